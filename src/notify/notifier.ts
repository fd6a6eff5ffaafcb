import type { Queue } from 'bullmq';
import type { RedisClient } from '../redis.js';
import type { Logger } from 'pino';
import { coerceError } from '../errors.js';
import type { LifecycleEvent, RemediationEvents } from '../lifecycle/events.js';
import { TRANSITIONS } from '../lifecycle/outcome.js';
import type { NotifyKeys } from '../keys.js';
import { notificationJobId, threadOf, DELIVERY, type DeliveryJobData } from './contract.js';
import { wants, type SinkFilter } from './policy.js';
import { settledWithin } from '../time.js';

/**
 * The producer side: each lifecycle event becomes, for every sink that wants it (the
 * remediation's `notify:` policy over the sink's defaults), one numbered job on that sink's
 * queue. It runs in every process (the webhook emits queued/cancelled/resolved, the worker the
 * rest), never awaits a sink, and never throws into the event bus: a change that cannot be
 * queued is logged, and the remediation goes on regardless.
 */
export interface NotifierDeps {
  events: RemediationEvents;
  redis: RedisClient;
  keys: NotifyKeys;
  sinks: { filter: SinkFilter; queue: Queue<DeliveryJobData> }[];
  ttlSeconds: number;
  log: Logger;
}

export function createNotifier(deps: NotifierDeps) {
  const pending = new Set<Promise<void>>();

  async function add(sink: string, queue: Queue<DeliveryJobData>, event: LifecycleEvent): Promise<void> {
    const episode = threadOf(event.data);
    const seqKey = deps.keys.seq(sink, episode);
    // INCRs of one process reach Redis in emit order (one connection), so seq follows the events.
    const replies = await deps.redis.multi().incr(seqKey).expire(seqKey, deps.ttlSeconds).exec();
    const [err, seq] = replies?.[0] ?? [new Error('no reply from Redis'), undefined];
    if (err) throw err;
    await queue.add(
      event.type,
      { sink, episode, seq: Number(seq), event },
      {
        jobId: notificationJobId(episode, Number(seq)),
        attempts: DELIVERY.attempts,
        backoff: { type: 'notify' },
        removeOnComplete: { age: 24 * 3600, count: 1000 },
        removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
      },
    );
  }

  function route(event: LifecycleEvent): void {
    for (const { filter, queue } of deps.sinks) {
      if (!wants(filter, event)) continue;
      const p = add(filter.name, queue, event)
        .catch((err) =>
          deps.log.warn(
            { sink: filter.name, jobId: event.jobId, transition: event.type, err: coerceError(err).message },
            'notification not queued',
          ),
        )
        .finally(() => pending.delete(p));
      pending.add(p);
    }
  }

  for (const type of TRANSITIONS) {
    deps.events.on(type, (e) => route({ ...e, type, at: Date.now() } as LifecycleEvent));
  }

  return {
    /** Wait (bounded) for changes still being queued, e.g. before shutting down. */
    async flush(timeoutMs: number): Promise<void> {
      await settledWithin(Promise.allSettled([...pending]), timeoutMs);
    },
  };
}
