import { createHmac } from 'node:crypto';
import { sameSecret } from './auth.js';

/**
 * Slack's request signing (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<raw body>">` with
 * the app's signing secret, and a timestamp within five minutes of now. Pure; the route adds
 * the replay check (each signature taken once).
 */

export const SLACK_TOLERANCE_SECONDS = 300;

export type SlackVerdict = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'bad_signature' };

/** The signature Slack sends for this body at this timestamp. */
export function slackSignature(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`, 'utf8').digest('hex')}`;
}

export function verifySlackRequest(o: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
  nowMs: number;
}): SlackVerdict {
  if (!o.timestamp || !o.signature) return { ok: false, reason: 'missing' };
  if (!/^[0-9]{1,12}$/.test(o.timestamp)) return { ok: false, reason: 'stale' };
  if (Math.abs(o.nowMs / 1000 - Number(o.timestamp)) > SLACK_TOLERANCE_SECONDS) return { ok: false, reason: 'stale' };
  // Constant time whatever the lengths (compared as digests).
  return sameSecret(o.signature, slackSignature(o.secret, o.timestamp, o.body))
    ? { ok: true }
    : { ok: false, reason: 'bad_signature' };
}
