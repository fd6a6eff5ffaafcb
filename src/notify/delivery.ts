import { DelayedError, RateLimitError, UnrecoverableError, type Job, type Queue } from 'bullmq';
import type { Logger } from 'pino';
import { coerceError, RateLimitedError } from '../errors.js';
import type { NotifyKeys } from '../keys.js';
import { scriptCommand, type RedisClient } from '../redis.js';
import { notificationJobId, type DeliveryJobData, type DeliveryResult } from './contract.js';
import { policyOf, type SinkFilter } from './policy.js';
import type { Answer, Sink, SinkIO } from './sink.js';

/**
 * The consumer of one sink's queue, the same for every sink. Changes of one episode are
 * delivered strictly in seq order: a change whose predecessor is not delivered yet goes back to
 * "delayed" (no attempt spent) and is promoted as soon as the predecessor is done. The sink's
 * state of the episode lives in Redis, so whichever worker delivers the next change goes on
 * from it. A 429 pauses this sink's queue only (Retry-After, no attempt spent); 5xx and network
 * errors back off (1 s doubling to 5 min, about an hour in all); a refusal drops the change and
 * the episode goes on. No sink is ever on a remediation's path.
 */
export interface DeliveryDeps {
  redis: RedisClient;
  queue: Queue<DeliveryJobData>;
  sink: Sink;
  filter: SinkFilter;
  keys: NotifyKeys;
  ttlSeconds: number;
  log: Logger;
}

/** A predecessor that never reached the queue (its enqueue failed) is skipped after this. */
const GAP_GRACE_MS = 30_000;

// done = max(done, n): two deliverers may advance concurrently, and done must never go back.
const ADVANCE = `local d = tonumber(redis.call('HGET', KEYS[1], 'done') or '0')
if tonumber(ARGV[1]) > d then redis.call('HSET', KEYS[1], 'done', ARGV[1]) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return d`;

/** What a change's earlier attempts got answered, by request key (kept as the job's progress). */
const answeredOf = (job: Job): Record<string, Answer> => {
  const p = job.progress as { answered?: Record<string, Answer> } | number;
  return typeof p === 'object' && p !== null && p.answered ? { ...p.answered } : {};
};

export function createDelivery(deps: DeliveryDeps) {
  const name = deps.sink.name;
  const keyOf = (episode: string) => deps.keys.delivery(name, episode);
  const advance = (episode: string, n: number) =>
    scriptCommand(
      deps.redis,
      'remediatorNotifyAdvance',
      ADVANCE,
      1,
    )(keyOf(episode), String(n), String(deps.ttlSeconds));

  /** 'mine' when every earlier change of the episode is done; 'done' when this one already is. */
  async function turn(job: Job<DeliveryJobData>): Promise<'mine' | 'done' | 'wait'> {
    const { episode, seq } = job.data;
    for (let i = 0; i <= seq; i++) {
      const done = Number((await deps.redis.hget(keyOf(episode), 'done')) ?? 0);
      if (seq <= done) return 'done';
      if (seq === done + 1) return 'mine';
      const prev = await deps.queue.getJob(notificationJobId(episode, done + 1));
      const state = prev ? await prev.getState() : 'missing';
      const lost = (state === 'missing' || state === 'unknown') && Date.now() - job.timestamp > GAP_GRACE_MS;
      if (!lost && state !== 'completed' && state !== 'failed') return 'wait';
      if (lost) deps.log.warn({ episode, seq: done + 1 }, `${name} notification never queued: skipped`);
      await advance(episode, done + 1);
    }
    return 'wait';
  }

  async function promoteNext(episode: string, seq: number): Promise<void> {
    const next = await deps.queue.getJob(notificationJobId(episode, seq + 1));
    if (next && (await next.isDelayed())) await next.promote().catch(() => undefined);
  }

  async function saveState(episode: string, state: unknown): Promise<void> {
    const key = keyOf(episode);
    await deps.redis.multi().hset(key, 'state', JSON.stringify(state)).expire(key, deps.ttlSeconds).exec();
  }

  /** Run the sink on the change; each request at most once per change, even across retries. */
  async function deliver(job: Job<DeliveryJobData>): Promise<DeliveryResult> {
    const { episode, seq, event } = job.data;
    const stored = await deps.redis.hget(keyOf(episode), 'state');
    const state: unknown = stored ? JSON.parse(stored) : deps.sink.initial();
    const answered = answeredOf(job);
    let sent = 0;
    const io: SinkIO = {
      async call(key, req) {
        if (key in answered) return answered[key]!;
        const answer = await deps.sink.send(req);
        sent++;
        answered[key] = answer;
        await job.updateProgress({ answered });
        return answer;
      },
    };
    const policy = policyOf(event.data.remediation.notify, name, deps.filter.defaults);
    try {
      await deps.sink.deliver({ episode, seq, event, policy, state, io });
    } finally {
      // Kept even when a request failed: what was sent (Slack's parent and its ts) must be known
      // to the retry and, if this change is dropped, to the next one.
      await saveState(episode, state);
    }
    return { sent };
  }

  return async function process(job: Job<DeliveryJobData>, token?: string): Promise<DeliveryResult> {
    const { episode, seq, event } = job.data;
    const log = deps.log.child({ sink: name, thread: episode, seq, kind: event.type, jobId: event.jobId });
    const t = await turn(job);
    if (t === 'done') return { sent: 0, note: 'already delivered' };
    if (t === 'wait') {
      // Polling slows down as the wait gets long (an outage of this sink); promoteNext ends it early.
      const waitMs = Math.min(5_000, Math.max(200, (Date.now() - job.timestamp) / 10));
      await job.moveToDelayed(Date.now() + waitMs, token);
      throw new DelayedError();
    }
    try {
      const result = await deliver(job);
      await advance(episode, seq);
      log.info({ sent: result.sent, mode: deps.sink.mode }, `${name} notification delivered`);
      await promoteNext(episode, seq);
      return result;
    } catch (raw) {
      const err = coerceError(raw);
      if (err instanceof RateLimitedError) {
        // Retry-After holds for every call to this sink: pause its queue, across workers, then
        // retry this change (no attempt spent, so a long rate limit cannot exhaust it).
        log.warn({ retryAfterMs: err.retryAfterMs }, `${name} rate limited: its notifications paused`);
        await deps.queue.rateLimit(err.retryAfterMs);
        throw new RateLimitError();
      }
      const final = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (final) {
        // Given up: let the rest of the episode go on without this change.
        await advance(episode, seq);
        await promoteNext(episode, seq);
        log.error({ err: err.message, attempts: job.attemptsMade + 1 }, `${name} notification dropped`);
      } else {
        log.warn({ err: err.message, attempt: job.attemptsMade + 1 }, `${name} notification failed; will retry`);
      }
      throw err;
    }
  };
}
