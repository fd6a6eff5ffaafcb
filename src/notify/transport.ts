import {
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
  type ChatPostMessageArguments,
  type Logger as SlackLogger,
} from '@slack/web-api';
import type { Logger } from 'pino';
import type { SlackMessage } from './blocks.js';
import { SlackRateLimitedError, SlackTransientError, SlackPermanentError } from '../errors.js';

/**
 * The two ways to reach Slack, behind one narrow port. Errors are classified here, where the
 * answer is seen: rate limited (wait Retry-After), transient (back off and retry) or permanent
 * (retrying cannot help). Error messages are built here from status codes and Slack's error
 * codes only: never from the SDK's or fetch's own text, which can carry the URL, and never
 * with the token or the webhook URL.
 */

export interface Posted {
  ts: string | undefined;
  channel: string | undefined;
}

export interface SlackTransport {
  mode: 'web-api' | 'webhook';
  /** Edits are possible (Web API); an incoming webhook can only post new messages. */
  canEdit: boolean;
  post(channel: string, msg: SlackMessage, threadTs?: string): Promise<Posted>;
  update(channel: string, ts: string, msg: SlackMessage): Promise<void>;
}

/** Slack platform errors worth another try (https://docs.slack.dev/reference/methods/chat.postMessage). */
const TRANSIENT_CODES = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'ratelimited',
  'team_added_to_org',
]);

/** The SDK's logger, quieted: its lines go to ours at debug level, with no request bodies. */
function sdkLogger(log: Logger): SlackLogger {
  let level = LogLevel.WARN;
  const forward = (...msg: unknown[]) => log.debug({ sdk: msg.map(String).join(' ').slice(0, 200) }, 'slack sdk');
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: forward,
    error: forward,
    setLevel: (l: LogLevel) => void (level = l),
    getLevel: () => level,
    setName: () => undefined,
  };
}

function causeCode(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 4 && e instanceof Error; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout';
    e = e.cause;
  }
  return 'network error';
}

/** Map whatever the SDK threw to one of our three classes. Exported for the unit tests. */
export function classifyWebApiError(method: string, err: unknown): Error {
  if (err instanceof WebAPIRateLimitedError)
    return new SlackRateLimitedError(Math.max(1, err.retryAfter) * 1000, method);
  if (err instanceof WebAPIPlatformError) {
    const code =
      String(err.data.error)
        .replace(/[^a-z0-9_]/gi, '')
        .slice(0, 60) || 'unknown_error';
    return TRANSIENT_CODES.has(code)
      ? new SlackTransientError(`${method}: Slack answered ${code}`)
      : new SlackPermanentError(code, `${method}: Slack refused the call: ${code}`);
  }
  if (err instanceof WebAPIHTTPError) {
    const status = err.statusCode;
    return status >= 500 || status === 408
      ? new SlackTransientError(`${method}: Slack answered HTTP ${status}`)
      : new SlackPermanentError(`http_${status}`, `${method}: Slack answered HTTP ${status}`);
  }
  if (err instanceof WebAPIRequestError)
    return new SlackTransientError(`${method}: Slack unreachable (${causeCode(err.original)})`);
  return new SlackTransientError(`${method}: call failed (${causeCode(err)})`);
}

/** Web API with a bot token through the official SDK; its own retries are off (our queue retries). */
export function webApiTransport(opts: {
  token: string;
  apiUrl: string;
  log: Logger;
  timeoutMs?: number;
}): SlackTransport {
  const client = new WebClient(opts.token, {
    slackApiUrl: opts.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: opts.timeoutMs ?? 10_000,
    allowAbsoluteUrls: false,
    logger: sdkLogger(opts.log),
  });
  const call = async <T>(method: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw classifyWebApiError(method, err);
    }
  };
  return {
    mode: 'web-api',
    canEdit: true,
    async post(channel, msg, threadTs) {
      const res = await call('chat.postMessage', () =>
        // The SDK's argument type is a union per message shape; ours is one plain shape.
        client.chat.postMessage({
          channel,
          text: msg.text,
          blocks: msg.blocks,
          ...(threadTs && { thread_ts: threadTs, reply_broadcast: msg.broadcast ?? false }),
          link_names: msg.linkNames ?? false,
          unfurl_links: false,
          unfurl_media: false,
        } as ChatPostMessageArguments),
      );
      return { ts: res.ts, channel: res.channel };
    },
    async update(channel, ts, msg) {
      await call('chat.update', () =>
        client.chat.update({ channel, ts, text: msg.text, blocks: msg.blocks, link_names: msg.linkNames ?? false }),
      );
    },
  };
}

/** Retry-After is seconds or an HTTP date; absent or unreadable: 30 s. */
export function retryAfterMs(header: string | null, now = Date.now()): number {
  if (header && /^\d+$/.test(header.trim())) return Math.max(1, Number(header.trim())) * 1000;
  const at = header ? Date.parse(header) : NaN;
  return Number.isNaN(at) ? 30_000 : Math.max(1000, at - now);
}

/** An incoming webhook: plain POSTs of new messages, no threads, no edits. */
export function webhookTransport(opts: { url: string; timeoutMs?: number }): SlackTransport {
  const what = 'incoming webhook';
  return {
    mode: 'webhook',
    canEdit: false,
    async post(_channel, msg) {
      let res: Response;
      try {
        res = await fetch(opts.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            text: msg.text,
            blocks: msg.blocks,
            link_names: msg.linkNames ?? false,
            unfurl_links: false,
            unfurl_media: false,
          }),
          redirect: 'error',
          signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
        });
      } catch (err) {
        throw new SlackTransientError(`${what}: Slack unreachable (${causeCode(err)})`);
      }
      // Slack answers a short code such as "invalid_payload" or "channel_is_archived".
      const body = (await res.text().catch(() => '')).replace(/[^a-z0-9_]/gi, '').slice(0, 60);
      if (res.status === 429) throw new SlackRateLimitedError(retryAfterMs(res.headers.get('retry-after')), what);
      if (res.status >= 500 || res.status === 408)
        throw new SlackTransientError(`${what}: Slack answered HTTP ${res.status}`);
      if (!res.ok)
        throw new SlackPermanentError(
          body || `http_${res.status}`,
          `${what}: Slack answered HTTP ${res.status}${body ? ` (${body})` : ''}`,
        );
      return { ts: undefined, channel: undefined };
    },
    async update() {
      throw new SlackPermanentError('not_supported', `${what}: messages cannot be edited`);
    },
  };
}
