import type { RedisClient } from '../redis.js';
import type { Logger } from 'pino';
import { coerceError } from '../errors.js';
import type { RemediationEvents } from '../lifecycle/events.js';
import type { RemediationJobData } from '../queue/contract.js';
import type { AlertmanagerApi, SilenceRequest } from '../alertmanager/api.js';

/**
 * Alertmanager silences while remediating (opt-in per remediation: `silence:`). When a job is
 * about to act (`job.acting`) the alert is silenced for its exact labels, so on-call is not
 * paged for what is being fixed; when the outcome is known (`job.finished`, whatever it is)
 * the silence is expired. The silence's endsAt is set at creation to now + maxDuration, so it
 * ends by itself even if this process dies mid-job. Failing to silence never blocks or fails a
 * remediation: it is logged and the action goes on.
 */

export const silenceKey = (prefix: string, jobId: string): string => `${prefix}:silence:${jobId}`;

/** The silence for one job: every label of the alert, matched exactly. Pure. */
export function silenceFor(
  job: { jobId: string; data: Pick<RemediationJobData, 'alert' | 'remediation'>; action: string; targets: string[] },
  nowMs: number,
  maxDurationMs: number,
): SilenceRequest {
  const labels = job.data.alert.labels;
  const on = job.targets.length > 0 ? ` on ${job.targets.join(', ')}` : '';
  return {
    matchers: Object.keys(labels)
      .sort()
      .map((name) => ({ name, value: labels[name]!, isRegex: false, isEqual: true })),
    startsAt: new Date(nowMs).toISOString(),
    endsAt: new Date(nowMs + maxDurationMs).toISOString(),
    createdBy: 'remediator',
    comment: `remediator is running ${job.data.remediation.id} (${job.action}${on}), job ${job.jobId}; expires when the outcome is known`,
  };
}

export interface SilencerDeps {
  events: RemediationEvents;
  redis: Pick<RedisClient, 'get' | 'set' | 'del'>;
  api: AlertmanagerApi;
  log: Logger;
  prefix: string;
  now?: () => number;
}

export function attachSilencer(deps: SilencerDeps): { settled(): Promise<void> } {
  const now = deps.now ?? Date.now;
  // Creation runs beside the action (listeners are not awaited); a fast action can finish
  // before Alertmanager answers, so the expiry waits for the creation it belongs to.
  const pending = new Map<string, Promise<string | undefined>>();
  const tasks = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    tasks.add(p);
    void p.finally(() => tasks.delete(p));
    return p;
  };

  deps.events.on('job.acting', ({ jobId, data, targets, action }) => {
    const policy = data.remediation.silence;
    if (!policy || data.phase !== 'fire' || pending.has(jobId)) return;
    const log = deps.log.child({ jobId, remediation: data.remediation.id, alertname: data.alert.labels.alertname });
    const key = silenceKey(deps.prefix, jobId);
    const created = (async () => {
      // A retry of the job keeps the silence an earlier attempt made (still within its bound).
      const existing = await deps.redis.get(key);
      if (existing) return existing;
      const request = silenceFor({ jobId, data, action, targets }, now(), policy.maxDurationMs);
      const id = await deps.api.createSilence(request);
      await deps.redis.set(key, id, 'PX', policy.maxDurationMs);
      log.info(
        { silenceId: id, endsAt: request.endsAt, alertmanager: deps.api.host },
        'alert silenced while remediating',
      );
      return id;
    })().catch((err: unknown) => {
      log.warn(
        { err: coerceError(err).message, alertmanager: deps.api.host },
        'could not silence the alert; remediating anyway',
      );
      return undefined;
    });
    pending.set(jobId, track(created));
    // Forget it after its bound even if this process never sees the job finish.
    setTimeout(() => pending.delete(jobId), policy.maxDurationMs).unref();
  });

  deps.events.on('job.finished', ({ jobId, data, outcome }) => {
    if (!data.remediation.silence || data.phase !== 'fire') return;
    const log = deps.log.child({ jobId, remediation: data.remediation.id, alertname: data.alert.labels.alertname });
    const key = silenceKey(deps.prefix, jobId);
    const mine = pending.get(jobId);
    pending.delete(jobId);
    void track(
      (async () => {
        const id = (await mine) ?? (await deps.redis.get(key));
        if (!id) return;
        await deps.api.expireSilence(id);
        await deps.redis.del(key);
        log.info({ silenceId: id, outcome }, 'silence expired: outcome known');
      })().catch((err: unknown) => {
        log.warn(
          { err: coerceError(err).message, alertmanager: deps.api.host },
          'could not expire the silence; it ends at its maxDuration',
        );
      }),
    );
  });

  return {
    /** Resolves once every silence call started so far has ended (for a graceful stop). */
    async settled() {
      while (tasks.size > 0) await Promise.allSettled([...tasks]);
    },
  };
}
