import type { Logger } from 'pino';
import { actions } from '../actions/index.js';
import { coerceError } from '../errors.js';
import type { RemediationEventMap, RemediationEvents } from '../events.js';
import type { RemediationJobData } from '../queue/contract.js';
import { renderTarget } from '../queue/targets.js';
import type { HistoryStore } from './store.js';
import type { HistoryOutcome, HistoryRecord } from './types.js';

/** The target an alert names, as an operator would filter by it; '' when it cannot name one. */
export function targetName(data: RemediationJobData): string {
  const action = data.phase === 'fire' ? data.remediation.action : data.remediation.onResolved;
  if (!action) return '';
  try {
    const rendered = renderTarget(data.remediation.target, actions[action.type].scope, data.alert);
    return rendered.container ?? rendered.service?.name ?? 'host';
  } catch {
    return ''; // refused labels: the record's summary says why
  }
}

type Finished = RemediationEventMap['job.finished'];

/** A history record from an event: `queued` when created, its outcome when it ends. */
export function toRecord(
  jobId: string,
  data: RemediationJobData,
  outcome: HistoryOutcome,
  end: Partial<Pick<Finished, 'result' | 'reason' | 'escalation' | 'attempts'>> & { finishedAt?: number } = {},
): HistoryRecord {
  const action = data.phase === 'fire' ? data.remediation.action.type : (data.remediation.onResolved?.type ?? 'none');
  return {
    jobId,
    remediation: data.remediation.id,
    hash: data.remediation.hash,
    phase: data.phase,
    action,
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
  };
}

/**
 * Keeps history from the event bus: a `queued` row when the webhook creates a job (HTTP
 * process), the outcome when it ends (worker process) or is cancelled. A write that fails is
 * logged and dropped: history must never hold up a remediation.
 */
export function subscribeHistory(
  events: RemediationEvents,
  store: Pick<HistoryStore, 'record'>,
  log: Logger,
  now: () => number = Date.now,
): void {
  const write = async (record: HistoryRecord, mode: 'initial' | 'final') => {
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
  events.on('job.queued', (e) => write(toRecord(e.jobId, e.data, 'queued'), 'initial'));
  events.on('job.cancelled', (e) =>
    write(toRecord(e.jobId, e.data, 'cancelled', { reason: e.reason, finishedAt: now() }), 'final'),
  );
  events.on('job.finished', (e) => write(toRecord(e.jobId, e.data, e.outcome, { ...e, finishedAt: now() }), 'final'));
}
