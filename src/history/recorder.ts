import type { Logger } from 'pino';
import { handlerOf } from '../actions/index.js';
import { primaryAction, stepsOf } from '../catalog/remediation.js';
import { renderTarget, targetName as renderedName } from '../engine/render.js';
import type { StepRecord } from '../engine/types.js';
import { coerceError } from '../errors.js';
import type { RemediationEventMap, RemediationEvents } from '../lifecycle/events.js';
import type { RemediationJobData } from '../queue/contract.js';
import type { HistoryStore } from './store.js';
import type { HistoryOutcome, HistoryRecord } from './types.js';

/** The target an alert names, as an operator would filter by it; '' when it cannot name one. */
export function targetName(data: RemediationJobData): string {
  const step = stepsOf(data.remediation, data.phase)[0];
  if (!step) return '';
  try {
    return renderedName(renderTarget(step.target, handlerOf(step.action.type).scope, data.alert, data.host));
  } catch {
    return ''; // refused labels: the record's summary says why
  }
}

/** Bytes of one step's details kept in history (exec output tails, collected evidence). */
export const STEP_DETAILS_MAX = 16_384;

/** A step record bounded for history: oversized details are cut, and say so. */
export function boundedStep(s: StepRecord): StepRecord {
  const json = s.details === undefined ? '' : JSON.stringify(s.details);
  if (json.length <= STEP_DETAILS_MAX) return s;
  return { ...s, details: { truncated: true, head: json.slice(0, STEP_DETAILS_MAX) } };
}

type Finished = RemediationEventMap['job.finished'];

/** A history record from an event: `queued` when created, its outcome when it ends. */
export function toRecord(
  jobId: string,
  data: RemediationJobData,
  outcome: HistoryOutcome,
  end: Partial<Pick<Finished, 'result' | 'reason' | 'escalation' | 'attempts'>> & { finishedAt?: number } = {},
): HistoryRecord {
  return {
    jobId,
    remediation: data.remediation.id,
    hash: data.remediation.hash,
    phase: data.phase,
    host: data.host,
    action: end.result?.action ?? primaryAction(data.remediation, data.phase),
    alertname: data.alert.labels.alertname ?? '',
    fingerprint: data.alert.fingerprint,
    startsAt: data.alert.startsAt,
    target: targetName(data),
    targets: end.result?.targets ?? [],
    outcome,
    summary: end.result?.summary ?? end.reason ?? (outcome === 'queued' ? 'queued' : ''),
    escalation: end.escalation ?? end.result?.escalation,
    attempts: end.attempts ?? 0,
    dryRun: end.result?.dryRun ?? false,
    receivedAt: data.receivedAt,
    finishedAt: end.finishedAt,
    durationMs: end.result?.durationMs,
    steps: (end.result?.steps ?? []).map(boundedStep),
  };
}

/**
 * Keeps history from the lifecycle. The webhook's side (`queued` rows, cancellations) is
 * best effort: a failed write is logged, never holds up a delivery. A job's outcome is written
 * by a durable subscriber on the worker's connection: the engine awaits it before the job is
 * marked done, and that connection waits out a Redis outage, so no outcome is lost.
 */
export function subscribeHistory(
  events: RemediationEvents,
  stores: { producer?: Pick<HistoryStore, 'record'> | undefined; worker?: Pick<HistoryStore, 'record'> | undefined },
  log: Logger,
  now: () => number = Date.now,
): void {
  const bestEffort = async (store: Pick<HistoryStore, 'record'>, record: HistoryRecord, mode: 'initial' | 'final') => {
    try {
      await store.record(record, mode);
    } catch (err) {
      log.warn(
        {
          jobId: record.jobId,
          remediation: record.remediation,
          outcome: record.outcome,
          err: coerceError(err).message,
        },
        'history write failed',
      );
    }
  };
  const { producer, worker } = stores;
  if (producer) {
    events.on('job.queued', (e) => bestEffort(producer, toRecord(e.jobId, e.data, 'queued'), 'initial'));
    events.on('job.cancelled', (e) =>
      bestEffort(producer, toRecord(e.jobId, e.data, 'cancelled', { reason: e.reason, finishedAt: now() }), 'final'),
    );
  }
  if (worker) {
    events.onCommit('job.finished', async (e) => {
      await worker.record(toRecord(e.jobId, e.data, e.outcome, { ...e, finishedAt: now() }), 'final');
    });
  }
}
