import type { RedisClient } from '../redis.js';
import type { Logger } from 'pino';
import { coerceError } from '../errors.js';
import { toRecord } from '../history/recorder.js';
import type { RemediationEvents } from '../lifecycle/events.js';
import type { RemediationJobData } from '../queue/contract.js';
import { openForRecurrence, recurrenceVerdict } from './feedback.js';
import type { ApplyResult, StatsWriter } from './rollup.js';

/**
 * Keeps the effectiveness rollups from the lifecycle, beside history (src/history/recorder.ts):
 * - webhook side (the producer's connection): a new episode is checked for a re-fire after a
 *   success (best effort: the worker's write checks again), a cancelled one counted; and
 *   Alertmanager's resolved notification is a durable subscriber: its time is written before
 *   the webhook answers 202, else the answer is 503 and Alertmanager sends it again. It is the
 *   one record of when the episode ended, so it must not be lost.
 * - worker side (the worker's connection, which waits out a Redis outage): each outcome is
 *   counted before the job is marked done, and the recurrence guard re-evaluated.
 * What was newly counted is emitted (`episode.resolved`, `episode.recurred`) for the metrics.
 */

/** One side's writer and the connection the feedback marker is written on. */
export interface EffectivenessSide {
  stats: Pick<StatsWriter, 'apply' | 'resolved'>;
  redis: RedisClient;
}

export function subscribeEffectiveness(
  events: RemediationEvents,
  sides: { producer?: EffectivenessSide | undefined; worker?: EffectivenessSide | undefined },
  o: { log: Logger; prefix: string; now?: () => number },
): void {
  const now = o.now ?? Date.now;
  const tell = (jobId: string, data: RemediationJobData, r: ApplyResult) => {
    if (r.recurred && r.recurred.within.length > 0) {
      events.emit('episode.recurred', {
        jobId,
        data,
        previousJobId: r.recurred.prev,
        afterMs: r.recurred.afterMs,
        within: r.recurred.within.filter((w) => w !== 'guard'),
      });
    }
    if (r.mttr !== undefined) events.emit('episode.resolved', { jobId, data, mttrMs: r.mttr });
  };
  const warn = (jobId: string, err: unknown) =>
    o.log.warn({ jobId, err: coerceError(err).message }, 'effectiveness rollup write failed');

  const { producer, worker } = sides;
  if (producer) {
    events.on('job.queued', async (e) => {
      try {
        tell(
          e.jobId,
          e.data,
          await producer.stats.apply(toRecord(e.jobId, e.data, 'queued'), e.data.remediation, 'opened'),
        );
      } catch (err) {
        warn(e.jobId, err);
      }
    });
    events.on('job.cancelled', async (e) => {
      const r = toRecord(e.jobId, e.data, 'cancelled', { reason: e.reason, finishedAt: now() });
      try {
        tell(e.jobId, e.data, await producer.stats.apply(r, e.data.remediation, 'finished'));
      } catch (err) {
        warn(e.jobId, err);
      }
    });
    events.onCommit('alert.resolved', async (e) => {
      const { first, mttrMs } = await producer.stats.resolved(e.jobId, e.data.receivedAt, e.data.alert.endsAt);
      if (first) {
        o.log.info(
          {
            jobId: e.jobId,
            remediation: e.data.remediation.id,
            alertname: e.data.alert.labels.alertname,
            fingerprint: e.data.alert.fingerprint,
            endsAt: e.data.alert.endsAt,
            mttrMs,
          },
          'alert resolved',
        );
      }
      if (mttrMs !== undefined) events.emit('episode.resolved', { jobId: e.jobId, data: e.data, mttrMs });
    });
  }
  if (worker) {
    events.onCommit('job.finished', async (e) => {
      const r = toRecord(e.jobId, e.data, e.outcome, { ...e, finishedAt: now() });
      const result = await worker.stats.apply(r, e.data.remediation, 'finished');
      tell(e.jobId, e.data, result);
      const guard = e.data.remediation.guards.recurrence;
      if (!guard || !result.guard) return;
      const reason = recurrenceVerdict(guard, result.guard, e.data.remediation.id, e.data.host);
      if (!reason) return;
      await openForRecurrence(worker.redis, o.prefix, {
        remediation: e.data.remediation.id,
        host: e.data.host,
        reason,
        openForMs: guard.openForMs,
        now: now(),
      });
      o.log.warn(
        { remediation: e.data.remediation.id, host: e.data.host, reason },
        'circuit opened: the fix does not hold',
      );
    });
  }
}
