import { SinkPermanentError, SinkRateLimitedError, SinkTransientError } from '../errors.js';
import type { Outgoing } from './sink.js';

/**
 * The one HTTP POST of the JSON sinks (webhook, PagerDuty, Teams, Mattermost), with the answer
 * classified where it is seen: 429 waits Retry-After (only this sink), 5xx, 408 and network
 * errors are retried with backoff, any other refusal drops the change. Error messages hold the
 * sink's name, the status and a short, sanitized excerpt of the answer: never the URL, which
 * for most of these services is the secret.
 */

export interface Posted {
  status: number;
  text: string;
  /** The answer parsed as JSON, when it is JSON. */
  json: unknown;
}

/** Retry-After is seconds or an HTTP date; absent or unreadable: 30 s. */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (header && /^\d+$/.test(header.trim())) return Math.max(1, Number(header.trim())) * 1000;
  const at = header ? Date.parse(header) : NaN;
  return Number.isNaN(at) ? 30_000 : Math.max(1000, at - now);
}

/** The error code of a failed fetch (ECONNREFUSED, ENOTFOUND, timeout), never its message (it can hold the URL). */
export function causeCode(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 4 && e instanceof Error; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout';
    e = e.cause;
  }
  return 'network error';
}

/** A short excerpt of an answer, safe to log: letters, digits and a little punctuation. */
export function excerpt(text: string, max = 120): string {
  return text
    .replace(/[^A-Za-z0-9 _.,:;'()-]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, max);
}

/** The exact bytes of a request's body (a signature was computed over them). */
export const bodyText = (req: Outgoing): string => (typeof req.body === 'string' ? req.body : JSON.stringify(req.body));

/** POST `req` as JSON to `url`; `what` names the sink in errors ("PagerDuty", "webhook sink"). */
export async function postJson(url: string, req: Outgoing, what: string, timeoutMs = 10_000): Promise<Posted> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...req.headers },
      body: bodyText(req),
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new SinkTransientError(`${what}: unreachable (${causeCode(err)})`);
  }
  const text = await res.text().catch(() => '');
  if (res.status === 429) throw new SinkRateLimitedError(retryAfterMs(res.headers.get('retry-after')), what);
  if (res.status >= 500 || res.status === 408) throw new SinkTransientError(`${what}: answered HTTP ${res.status}`);
  if (!res.ok) {
    const why = excerpt(text);
    throw new SinkPermanentError(
      `http_${res.status}`,
      `${what}: refused with HTTP ${res.status}${why ? ` (${why})` : ''}`,
    );
  }
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** A URL and the parts of it that are its secret (the path of an incoming webhook, its query). */
export function urlSecrets(url: string): string[] {
  const out = [url];
  try {
    const u = new URL(url);
    if (u.pathname.length > 1) out.push(u.pathname, u.pathname + u.search);
    if (u.search.length > 1) out.push(u.search.slice(1));
    if (u.password) out.push(u.password);
  } catch {
    /* validated as http(s):// at start */
  }
  return out;
}
