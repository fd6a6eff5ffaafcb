import { DelayedError, RateLimitError, UnrecoverableError, type Job, type Queue } from 'bullmq';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { coerceError, SlackRateLimitedError, SlackPermanentError } from '../errors.js';

import { fitMessage, renderParent, type AlertmanagerLinks, type SlackMessage } from './blocks.js';

import { notificationJobId, notifyKeys, type NotificationJobData } from './contract.js';
import { renderEscalation, renderReply } from './details.js';
import { type SlackTransport } from './transport.js';
import { applyEvent, initialView, type ThreadView } from './view.js';
import { scriptCommand, type RedisClient } from '../redis.js';

/**
 * The consumer of the notification queue. Changes of one thread are delivered strictly in seq
 * order: a change whose predecessor is not delivered yet goes back to "delayed" (no attempt
 * spent) and is promoted as soon as the predecessor is done. The parent's ts lives in Redis,
 * so whichever worker delivers the next change edits the same thread.
 */
export interface DeliveryDeps {
  redis: RedisClient;
  queue: Queue<NotificationJobData>;
  transport: SlackTransport;
  prefix: string;
  defaultChannel: string | undefined;
  ttlSeconds: number;
  log: Logger;
  /** ALERTMANAGER_EXTERNAL_URL / ALERTMANAGER_UI for the parent's links. */
  alertmanagerLinks?: AlertmanagerLinks | undefined;
}

export interface DeliveryResult {
  delivered: number;
  note?: string;
}

/** Retries of one change: 5xx and network errors back off up to 5 min, about an hour in all. */
export const DELIVERY = { attempts: 20, firstBackoffMs: 1_000, maxBackoffMs: 300_000 } as const;
/** A predecessor that never reached the queue (its enqueue failed) is skipped after this. */
const GAP_GRACE_MS = 30_000;

export function deliveryBackoff(attemptsMade: number): number {
  const base = Math.min(DELIVERY.maxBackoffMs, DELIVERY.firstBackoffMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(base * (0.9 + Math.random() * 0.2));
}

// done = max(done, n): two deliverers may advance concurrently, and done must never go back.
const ADVANCE = `local d = tonumber(redis.call('HGET', KEYS[1], 'done') or '0')
if tonumber(ARGV[1]) > d then redis.call('HSET', KEYS[1], 'done', ARGV[1]) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return d`;

interface ThreadRecord {
  exists: boolean;
  ts: string | undefined;
  channel: string | undefined;
  view: ThreadView;
  rendered: string | undefined;
}

const digest = (m: SlackMessage) => createHash('sha256').update(JSON.stringify(m)).digest('hex').slice(0, 16);

export function createDelivery(deps: DeliveryDeps) {
  const keyOf = (thread: string) => notifyKeys.thread(deps.prefix, thread);
  const advance = (thread: string, n: number) =>
    scriptCommand(deps.redis, 'remediatorNotifyAdvance', ADVANCE, 1)(keyOf(thread), String(n), String(deps.ttlSeconds));

  async function load(thread: string): Promise<ThreadRecord> {
    const h = await deps.redis.hgetall(keyOf(thread));
    const view = h.view ? (JSON.parse(h.view) as ThreadView) : initialView();
    return {
      exists: h.ts !== undefined || h.view !== undefined,
      ts: h.ts,
      channel: h.channel,
      view,
      rendered: h.rendered,
    };
  }

  /** 'mine' when every earlier change of the thread is done; 'done' when this one already is. */
  async function turn(job: Job<NotificationJobData>): Promise<'mine' | 'done' | 'wait'> {
    const { thread, seq } = job.data;
    for (let i = 0; i <= seq; i++) {
      const done = Number((await deps.redis.hget(keyOf(thread), 'done')) ?? 0);
      if (seq <= done) return 'done';
      if (seq === done + 1) return 'mine';
      const prev = await deps.queue.getJob(notificationJobId(thread, done + 1));
      const state = prev ? await prev.getState() : 'missing';
      const lost = (state === 'missing' || state === 'unknown') && Date.now() - job.timestamp > GAP_GRACE_MS;
      if (!lost && state !== 'completed' && state !== 'failed') return 'wait';
      if (lost) deps.log.warn({ thread, seq: done + 1 }, 'slack notification never queued: skipped');
      await advance(thread, done + 1);
    }
    return 'wait';
  }

  async function promoteNext(thread: string, seq: number): Promise<void> {
    const next = await deps.queue.getJob(notificationJobId(thread, seq + 1));
    if (next && (await next.isDelayed())) await next.promote().catch(() => undefined);
  }

  /** Post, edit, reply: each step at most once per change, even across retries (job progress). */
  async function deliver(job: Job<NotificationJobData>): Promise<DeliveryResult> {
    const n = job.data;
    const rec = await load(n.thread);
    if (n.event.kind === 'resolved' && !rec.exists) return { delivered: 0, note: 'no thread for this episode' };
    const { view, changed } = applyEvent(rec.view, n);
    const parent = fitMessage(renderParent(view, n.data, n.thread, deps.alertmanagerLinks));
    const reply = renderReply(n.event, n.data, n.jobId);
    const escalation = renderEscalation(n.event, n.data, n.jobId);
    const channel = rec.channel ?? n.data.remediation.notify.channel ?? deps.defaultChannel ?? '';
    const t = deps.transport;
    const stepsDone = typeof job.progress === 'number' ? job.progress : 0;
    let step = 0;
    let delivered = 0;
    // fn returns false when it found nothing to send.
    const once = async (fn: () => Promise<boolean | void>) => {
      step++;
      if (step <= stepsDone) return;
      if ((await fn()) !== false) delivered++;
      await job.updateProgress(step);
    };
    const hkey = keyOf(n.thread);
    let ts = rec.ts;
    let rendered = rec.rendered;

    if (!t.canEdit) {
      // Webhook: no threads, no edits; every state change worth reading is one new message.
      if (n.event.kind === 'acting' || (!changed && !reply && !escalation))
        return { delivered: 0, note: 'nothing new' };
      const extra = [...(reply?.blocks ?? []), ...(escalation?.blocks ?? [])];
      const msg = fitMessage({
        text: escalation?.text ?? parent.text,
        blocks: [...parent.blocks, ...(extra.length ? [{ type: 'divider' as const }, ...extra] : [])],
        linkNames: escalation?.linkNames ?? false,
      });
      await once(async () => void (await t.post(channel, msg)));
    } else {
      const postParent = async () => {
        const posted = await t.post(channel, parent);
        ts = posted.ts;
        rendered = digest(parent);
        // Stored at once: a retry of a later step must edit this message, not post another.
        await deps.redis
          .multi()
          .hset(hkey, { ts: posted.ts ?? '', channel: posted.channel ?? channel, rendered })
          .expire(hkey, deps.ttlSeconds)
          .exec();
      };
      await once(async () => {
        if (!ts) return postParent();
        if (!changed || rendered === digest(parent)) return false;
        try {
          await t.update(rec.channel ?? channel, ts, parent);
        } catch (err) {
          // The parent was deleted by someone: start the thread again rather than lose it.
          if (err instanceof SlackPermanentError && err.code === 'message_not_found') return postParent();
          throw err;
        }
        rendered = digest(parent);
        await deps.redis.hset(hkey, 'rendered', rendered);
      });
      const postChannel = (await deps.redis.hget(hkey, 'channel')) || channel;
      if (reply) await once(async () => void (await t.post(postChannel, fitMessage(reply), ts)));
      if (escalation) await once(async () => void (await t.post(postChannel, fitMessage(escalation), ts)));
    }
    await deps.redis.multi().hset(hkey, 'view', JSON.stringify(view)).expire(hkey, deps.ttlSeconds).exec();
    return { delivered };
  }

  return async function process(job: Job<NotificationJobData>, token?: string): Promise<DeliveryResult> {
    const { thread, seq } = job.data;
    const log = deps.log.child({ thread, seq, kind: job.data.event.kind, jobId: job.data.jobId });
    const t = await turn(job);
    if (t === 'done') return { delivered: 0, note: 'already delivered' };
    if (t === 'wait') {
      // Polling slows down as the wait gets long (a Slack outage); promoteNext ends it early.
      const waitMs = Math.min(5_000, Math.max(200, (Date.now() - job.timestamp) / 10));
      await job.moveToDelayed(Date.now() + waitMs, token);
      throw new DelayedError();
    }
    try {
      const result = await deliver(job);
      await advance(thread, seq);
      log.info(
        { delivered: result.delivered, mode: deps.transport.mode, note: result.note },
        'slack notification delivered',
      );
      await promoteNext(thread, seq);
      return result;
    } catch (raw) {
      const err = coerceError(raw);
      if (err instanceof SlackRateLimitedError) {
        // Retry-After holds for every call: pause the whole queue, across workers, then retry
        // this change (no attempt spent, so a long rate limit cannot exhaust it).
        log.warn({ retryAfterMs: err.retryAfterMs }, 'slack rate limited: notification queue paused');
        await deps.queue.rateLimit(err.retryAfterMs);
        throw new RateLimitError();
      }
      const final = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (final) {
        // Given up: let the rest of the thread go on without this change.
        await advance(thread, seq);
        await promoteNext(thread, seq);
        log.error({ err: err.message, attempts: job.attemptsMade + 1 }, 'slack notification dropped');
      } else {
        log.warn({ err: err.message, attempt: job.attemptsMade + 1 }, 'slack notification failed; will retry');
      }
      throw err;
    }
  };
}
