import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { slackSignature, verifySlackRequest } from '../../../src/http/slack-signature.js';

// Slack's documented example (https://api.slack.com/authentication/verifying-requests-from-slack):
// the signing secret, timestamp and body below give exactly this signature.
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TS = '1531420618';
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const at = (ts: string, extraSeconds = 0) => (Number(ts) + extraSeconds) * 1000;

describe('verifySlackRequest', () => {
  it("computes Slack's own example signature", () => {
    expect(slackSignature(SECRET, TS, BODY)).toBe(SIGNATURE);
  });

  it('accepts the right signature within five minutes, either side', () => {
    for (const skew of [0, 299, -299]) {
      expect(
        verifySlackRequest({ secret: SECRET, timestamp: TS, signature: SIGNATURE, body: BODY, nowMs: at(TS, skew) }),
      ).toEqual({ ok: true });
    }
  });

  it('refuses a timestamp more than five minutes away (a captured request replayed later)', () => {
    for (const skew of [301, -301, 3600]) {
      expect(
        verifySlackRequest({ secret: SECRET, timestamp: TS, signature: SIGNATURE, body: BODY, nowMs: at(TS, skew) }),
      ).toEqual({ ok: false, reason: 'stale' });
    }
  });

  it('refuses a body, timestamp or secret that does not match the signature, and a missing header', () => {
    const now = at(TS);
    const ok = { secret: SECRET, timestamp: TS, signature: SIGNATURE, body: BODY, nowMs: now };
    expect(verifySlackRequest({ ...ok, body: `${BODY}&x=1` }).ok).toBe(false);
    expect(verifySlackRequest({ ...ok, timestamp: String(Number(TS) + 1) })).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verifySlackRequest({ ...ok, secret: `${SECRET}x` })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifySlackRequest({ ...ok, signature: SIGNATURE.toUpperCase() }).ok).toBe(false);
    expect(verifySlackRequest({ ...ok, signature: 'v0=' })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifySlackRequest({ ...ok, signature: undefined })).toEqual({ ok: false, reason: 'missing' });
    expect(verifySlackRequest({ ...ok, timestamp: undefined })).toEqual({ ok: false, reason: 'missing' });
    expect(verifySlackRequest({ ...ok, timestamp: '1e9' })).toEqual({ ok: false, reason: 'stale' });
  });

  it('signs v0:timestamp:body with HMAC-SHA256, hex', () => {
    const expected = `v0=${createHmac('sha256', 's3cret').update('v0:1:payload=%7B%7D').digest('hex')}`;
    expect(slackSignature('s3cret', '1', 'payload=%7B%7D')).toBe(expected);
  });
});
