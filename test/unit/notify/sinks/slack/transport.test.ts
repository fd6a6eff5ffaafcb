import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError } from '@slack/web-api';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../../../src/config.js';
import { deliveryBackoff, DELIVERY } from '../../../../../src/notify/contract.js';
import { createNotifications } from '../../../../../src/notify/index.js';
import {
  classifyWebApiError,
  retryAfterMs,
  webhookTransport,
} from '../../../../../src/notify/sinks/slack/transport.js';
import { SlackRateLimitedError, SlackTransientError, SlackPermanentError } from '../../../../../src/errors.js';

const WEBHOOK = 'https://hooks.slack.com/services/T000/B000/s3cr3tW3bh00kP4th';
const msg = { text: 'hi', blocks: [] };

describe('classifying Slack Web API errors', () => {
  it('429: rate limited for Retry-After seconds', () => {
    const e = classifyWebApiError('chat.postMessage', new WebAPIRateLimitedError(7));
    expect(e).toBeInstanceOf(SlackRateLimitedError);
    expect((e as SlackRateLimitedError).retryAfterMs).toBe(7000);
  });

  it('invalid_auth and channel_not_found are permanent; internal_error is transient', () => {
    const platform = (error: string) => new WebAPIPlatformError({ ok: false, error } as never);
    const auth = classifyWebApiError('chat.postMessage', platform('invalid_auth'));
    expect(auth).toBeInstanceOf(SlackPermanentError);
    expect(auth.message).toBe('chat.postMessage: Slack refused the call: invalid_auth');
    expect((classifyWebApiError('chat.update', platform('channel_not_found')) as SlackPermanentError).code).toBe(
      'channel_not_found',
    );
    expect(classifyWebApiError('chat.update', platform('internal_error'))).toBeInstanceOf(SlackTransientError);
  });

  it('HTTP 5xx is transient, other statuses permanent', () => {
    expect(classifyWebApiError('chat.update', new WebAPIHTTPError(503, 'Unavailable', {}, ''))).toBeInstanceOf(
      SlackTransientError,
    );
    expect(classifyWebApiError('chat.update', new WebAPIHTTPError(404, 'Not Found', {}, ''))).toBeInstanceOf(
      SlackPermanentError,
    );
  });

  it('a network error is transient and its message keeps only the error code, not the URL', () => {
    const cause = Object.assign(
      new Error('connect ECONNREFUSED https://slack.example/api/chat.postMessage?token=xoxb-1'),
      { code: 'ECONNREFUSED' },
    );
    const e = classifyWebApiError('chat.postMessage', new WebAPIRequestError(new TypeError('fetch failed', { cause })));
    expect(e).toBeInstanceOf(SlackTransientError);
    expect(e.message).toBe('chat.postMessage: Slack unreachable (ECONNREFUSED)');
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates, with a safe default', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('0')).toBe(1000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(retryAfterMs(null)).toBe(30_000);
    expect(retryAfterMs('soon')).toBe(30_000);
  });
});

describe('the incoming-webhook transport (fetch replaced, no network)', () => {
  afterEach(() => vi.unstubAllGlobals());
  const answer = (status: number, body: string, headers: Record<string, string> = {}) =>
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(body, { status, headers })),
    );

  it('maps 429, 5xx and 4xx, and no error message holds the webhook URL', async () => {
    const t = webhookTransport({ url: WEBHOOK });
    answer(429, 'rate_limited', { 'retry-after': '2' });
    const limited = await t.post('', msg).catch((e: Error) => e);
    expect(limited).toBeInstanceOf(SlackRateLimitedError);
    expect((limited as SlackRateLimitedError).retryAfterMs).toBe(2000);
    answer(500, 'oops');
    const down = await t.post('', msg).catch((e: Error) => e);
    expect(down).toBeInstanceOf(SlackTransientError);
    answer(404, 'no_service');
    const gone = await t.post('', msg).catch((e: Error) => e);
    expect(gone).toBeInstanceOf(SlackPermanentError);
    expect((gone as Error).message).toBe('incoming webhook: Slack answered HTTP 404 (no_service)');
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        Promise.reject(
          new TypeError(`fetch failed for ${WEBHOOK}`, {
            cause: Object.assign(new Error(WEBHOOK), { code: 'ENOTFOUND' }),
          }),
        ),
      ),
    );
    const unreachable = await t.post('', msg).catch((e: Error) => e);
    expect((unreachable as Error).message).toBe('incoming webhook: Slack unreachable (ENOTFOUND)');
    for (const e of [limited, down, gone, unreachable])
      expect(JSON.stringify({ m: (e as Error).message, s: (e as Error).stack })).not.toContain('s3cr3t');
  });

  it('posts JSON with the message and cannot edit', async () => {
    const fetch = vi.fn(async (_url: string, _init?: RequestInit) => new Response('ok', { status: 200 }));
    vi.stubGlobal('fetch', fetch);
    const t = webhookTransport({ url: WEBHOOK });
    expect(t.canEdit).toBe(false);
    await t.post('#ignored', { text: 'hello', blocks: [{ type: 'divider' }] });
    expect(JSON.parse(String(fetch.mock.calls[0]![1]!.body))).toMatchObject({
      text: 'hello',
      blocks: [{ type: 'divider' }],
    });
    await expect(t.update('C1', '1.1', msg)).rejects.toBeInstanceOf(SlackPermanentError);
  });
});

describe('delivery retries and the off switch', () => {
  it('backs off exponentially from 1 s to at most 5 min', () => {
    expect(deliveryBackoff(1)).toBeGreaterThanOrEqual(900);
    expect(deliveryBackoff(1)).toBeLessThanOrEqual(1100);
    expect(deliveryBackoff(4)).toBeGreaterThanOrEqual(7200);
    expect(deliveryBackoff(30)).toBeLessThanOrEqual(DELIVERY.maxBackoffMs * 1.1);
  });

  it('with no sink configured (no bot token, no webhook URL, no other sink), notifications are off and nothing is created', async () => {
    const events = { on: vi.fn(), emit: vi.fn(), onCommit: vi.fn(), commit: vi.fn() };
    const n = await createNotifications({
      config: loadConfig({ WEBHOOK_AUTH_DISABLED: 'true', REDIS_URL: 'redis://127.0.0.1:1', QUEUE_PREFIX: 'x' }),
      log: pino({ level: 'silent' }),
      events,
      consume: true,
    });
    expect(n).toBeUndefined();
    expect(events.on).not.toHaveBeenCalled();
  });
});
