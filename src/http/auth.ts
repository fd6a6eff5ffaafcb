import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.js';

// Comparing digests keeps the comparison constant-time whatever the lengths are.
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/** Constant-time equality of two secrets, whatever their lengths (the Slack signature, tokens). */
export const sameSecret = same;

/**
 * `Authorization: Bearer <token>` against one token, in constant time: the operator API's
 * check (OPERATOR_TOKEN), separate from the webhook's and the queue UI's credentials.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toLowerCase() !== 'bearer') return false;
  return same(header.slice(space + 1).trim(), token);
}

/**
 * Check an Authorization header against the configured secret: `Bearer <token>` or
 * `Basic base64(user:password)`, as Alertmanager's http_config sends them.
 */
export function authorize(header: string | undefined, auth: Config['auth']): boolean {
  if (auth.disabled) return true;
  if (!header) return false;
  const space = header.indexOf(' ');
  if (space < 0) return false;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer' && auth.token !== undefined) return same(value, auth.token);
  if (scheme === 'basic' && auth.basic !== undefined) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    // Both halves always compared: no early exit that tells which one was wrong.
    const userOk = same(decoded.slice(0, colon), auth.basic.user);
    const passOk = same(decoded.slice(colon + 1), auth.basic.password);
    return userOk && passOk;
  }
  return false;
}

export function challenge(auth: Config['auth']): string {
  return auth.token !== undefined ? 'Bearer realm="remediator"' : 'Basic realm="remediator"';
}
