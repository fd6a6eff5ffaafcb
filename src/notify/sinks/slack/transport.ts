import {
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
  type ChatPostMessageArguments,
  type ChatUpdateArguments,
  type Logger as SlackLogger,
} from '@slack/web-api';
import type { Logger } from 'pino';
import type { SlackMessage } from './blocks.js';
import { SlackRateLimitedError, SlackTransientError, SlackPermanentError } from '../../../errors.js';
import { causeCode, retryAfterMs } from '../../http.js';
import type { Answer } from '../../sink.js';
import { postArgs, updateArgs, webhookBody } from './requests.js';

export { retryAfterMs };

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
  /** Send one request as the sink rendered it (requests.ts): `chat.postMessage`, `chat.update`, the webhook's POST. */
  call(endpoint: string, body: Record<string, unknown>): Promise<Answer>;
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
  const send = async (endpoint: string, body: Record<string, unknown>): Promise<Answer> => {
    // The SDK's argument types are a union per message shape; ours is one plain shape (requests.ts).
    if (endpoint === 'chat.postMessage') {
      const res = await call(endpoint, () => client.chat.postMessage(body as unknown as ChatPostMessageArguments));
      return { ts: res.ts, channel: res.channel };
    }
    if (endpoint === 'chat.update') {
      const res = await call(endpoint, () => client.chat.update(body as unknown as ChatUpdateArguments));
      return { ts: res.ts, channel: res.channel };
    }
    throw new SlackPermanentError('unknown_method', `${endpoint}: not a method remediator calls`);
  };
  return {
    mode: 'web-api',
    canEdit: true,
    call: send,
    async post(channel, msg, threadTs) {
      const res = await send('chat.postMessage', postArgs(channel, msg, threadTs));
      return { ts: res.ts as string | undefined, channel: res.channel as string | undefined };
    },
    async update(channel, ts, msg) {
      await send('chat.update', updateArgs(channel, ts, msg));
    },
  };
}

/** An incoming webhook: plain POSTs of new messages, no threads, no edits. */
export function webhookTransport(opts: { url: string; timeoutMs?: number }): SlackTransport {
  const what = 'incoming webhook';
  const send = async (_endpoint: string, body: Record<string, unknown>): Promise<Answer> => {
    let res: Response;
    try {
      res = await fetch(opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new SlackTransientError(`${what}: Slack unreachable (${causeCode(err)})`);
    }
    // Slack answers a short code such as "invalid_payload" or "channel_is_archived".
    const text = (await res.text().catch(() => '')).replace(/[^a-z0-9_]/gi, '').slice(0, 60);
    if (res.status === 429) throw new SlackRateLimitedError(retryAfterMs(res.headers.get('retry-after')), what);
    if (res.status >= 500 || res.status === 408)
      throw new SlackTransientError(`${what}: Slack answered HTTP ${res.status}`);
    if (!res.ok)
      throw new SlackPermanentError(
        text || `http_${res.status}`,
        `${what}: Slack answered HTTP ${res.status}${text ? ` (${text})` : ''}`,
      );
    return {};
  };
  return {
    mode: 'webhook',
    canEdit: false,
    call: send,
    async post(_channel, msg) {
      await send(what, webhookBody(msg));
      return { ts: undefined, channel: undefined };
    },
    async update() {
      throw new SlackPermanentError('not_supported', `${what}: messages cannot be edited`);
    },
  };
}
