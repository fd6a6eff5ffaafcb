import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { coerceError } from '../errors.js';
import type { RemediationEvents } from '../lifecycle/events.js';
import type { RemediationJobData } from '../queue/contract.js';
import { DELIVERY } from './delivery.js';
import { notificationJobId, notifyKeys, threadOf, type NotificationJobData, type NotifyEvent } from './contract.js';
import { settledWithin } from '../time.js';

/**
 * The producer side: each job event becomes one numbered job on the notification queue. It
 * runs in every process (the webhook emits queued/cancelled/resolved, the worker the rest),
 * never awaits Slack, and never throws into the event bus: a notification that cannot be
 * queued is logged and lost, the remediation goes on regardless.
 */
export interface NotifierDeps {
  events: RemediationEvents;
  redis: Redis;
  queue: Queue<NotificationJobData>;
  prefix: string;
  ttlSeconds: number;
  log: Logger;
}

export function createNotifier(deps: NotifierDeps) {
  const pending = new Set<Promise<void>>();

  async function add(jobId: string, data: RemediationJobData, event: NotifyEvent): Promise<void> {
    const thread = threadOf(data);
    const seqKey = notifyKeys.seq(deps.prefix, thread);
    // INCRs of one process reach Redis in emit order (one connection), so seq follows the events.
    const replies = await deps.redis.multi().incr(seqKey).expire(seqKey, deps.ttlSeconds).exec();
    const [err, seq] = replies?.[0] ?? [new Error('no reply from Redis'), undefined];
    if (err) throw err;
    await deps.queue.add(
      event.kind,
      { thread, seq: Number(seq), jobId, at: Date.now(), event, data },
      {
        jobId: notificationJobId(thread, Number(seq)),
        attempts: DELIVERY.attempts,
        backoff: { type: 'slack' },
        removeOnComplete: { age: 24 * 3600, count: 1000 },
        removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
      },
    );
  }

  function enqueue(jobId: string, data: RemediationJobData, event: NotifyEvent): void {
    const p = add(jobId, data, event)
      .catch((err) =>
        deps.log.warn({ jobId, kind: event.kind, err: coerceError(err).message }, 'slack notification not queued'),
      )
      .finally(() => pending.delete(p));
    pending.add(p);
  }

  deps.events.on('job.queued', (e) => enqueue(e.jobId, e.data, { kind: 'queued' }));
  deps.events.on('job.running', (e) =>
    enqueue(e.jobId, e.data, { kind: 'running', attempt: e.attempt, attempts: e.attempts, step: e.step }),
  );
  deps.events.on('job.acting', (e) =>
    enqueue(e.jobId, e.data, { kind: 'acting', action: e.action, targets: e.targets, step: e.step }),
  );
  // A runbook's steps each get a reply; a one-step remediation's result is in the final reply.
  deps.events.on('step.finished', (e) => {
    if (e.step.count > 1) enqueue(e.jobId, e.data, { kind: 'step', step: e.step, record: e.record });
  });
  deps.events.on('job.waiting', (e) =>
    enqueue(e.jobId, e.data, {
      kind: 'waiting',
      on: e.on,
      detail: e.detail,
      ...(e.approval && {
        approval: {
          id: e.approval.id,
          describe: e.approval.describe,
          why: e.approval.why,
          deadline: e.approval.deadline,
        },
      }),
    }),
  );
  deps.events.on('approval.answered', (e) =>
    enqueue(e.jobId, e.data, {
      kind: 'approval',
      decision: e.decision,
      by: e.by,
      at: e.at,
      reason: e.reason,
      via: e.via,
      step: e.step,
    }),
  );
  deps.events.on('job.retrying', (e) =>
    enqueue(e.jobId, e.data, {
      kind: 'retrying',
      attempt: e.attempt,
      attempts: e.attempts,
      reason: e.reason,
      step: e.step,
    }),
  );
  deps.events.on('job.finished', (e) =>
    enqueue(e.jobId, e.data, {
      kind: 'finished',
      outcome: e.outcome,
      result: e.result,
      reason: e.reason,
      escalation: e.escalation,
      attempts: e.attempts,
    }),
  );
  deps.events.on('job.cancelled', (e) => enqueue(e.jobId, e.data, { kind: 'cancelled', reason: e.reason }));
  deps.events.on('alert.resolved', (e) => enqueue(e.jobId, e.data, { kind: 'resolved' }));
  // job.duplicate: the episode already has its thread; a re-send adds nothing to read.

  return {
    /** Wait (bounded) for notifications still being queued, e.g. before shutting down. */
    async flush(timeoutMs: number): Promise<void> {
      await settledWithin(Promise.allSettled([...pending]), timeoutMs);
    },
  };
}
