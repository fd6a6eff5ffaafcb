import type { Logger } from 'pino';
import { handlerOf } from '../actions/index.js';
import { primaryAction, stepsOf } from '../catalog/remediation.js';
import { renderTarget, targetName as renderedName } from '../engine/render.js';
import type { StepRecord } from '../engine/types.js';
import { coerceError } from '../errors.js';
import type { RemediationEventMap, RemediationEvents } from '../lifecycle/events.js';
import type { RemediationJobData } from '../queue/contract.js';
import { verifiedAtOf } from '../stats/increments.js';
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

/** Characters of each exec output stream kept when a step's details are over the bound. */
export const OUTPUT_TAIL_MAX = 2_048;

/** An exec output entry ({container, stdout, stderr, ...}) with each stream cut to its tail. */
function tailOf(entry: unknown): unknown {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return entry;
  const out: Record<string, unknown> = { ...(entry as Record<string, unknown>) };
  for (const stream of ['stdout', 'stderr'] as const) {
    const text = out[stream];
    if (typeof text === 'string' && text.length > OUTPUT_TAIL_MAX) {
      out[stream] = text.slice(-OUTPUT_TAIL_MAX);
      out[`${stream}Truncated`] = true;
    }
  }
  return out;
}

/** Room for collect's log tails in one step's details (the rest: inspect, stats, top). */
const EVIDENCE_LOGS_MAX = 10_240;
/** Processes of collect's `top` kept when a step's details are over the bound. */
const EVIDENCE_PROCESSES_MAX = 20;

/**
 * collect's evidence for one container ({container, inspect, logs, stats, top}), its log cut
 * to the last `logChars` characters and its process list to the first few.
 */
function evidenceOf(entry: unknown, logChars: number): unknown {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return entry;
  const out: Record<string, unknown> = { ...(entry as Record<string, unknown>) };
  const logs = out.logs as Record<string, unknown> | undefined;
  if (logs && typeof logs.text === 'string' && logs.text.length > logChars) {
    const text = logs.text.slice(-logChars);
    out.logs = { ...logs, text, lines: text.split('\n').length, truncated: true };
  }
  const top = out.top as Record<string, unknown> | undefined;
  if (top && Array.isArray(top.processes) && top.processes.length > EVIDENCE_PROCESSES_MAX)
    out.top = { ...top, processes: top.processes.slice(0, EVIDENCE_PROCESSES_MAX), truncated: true };
  return out;
}

/**
 * A step record bounded for history. Exec output keeps its tail (the end of a log says what
 * went wrong): each stream of `outputs` and `failure` is cut to its last OUTPUT_TAIL_MAX
 * characters first, and collect's log tails share EVIDENCE_LOGS_MAX; details still over
 * STEP_DETAILS_MAX are cut, and say so.
 */
export function boundedStep(s: StepRecord): StepRecord {
  const json = s.details === undefined ? '' : JSON.stringify(s.details);
  if (json.length <= STEP_DETAILS_MAX) return s;
  const d = s.details!;
  const evidence = Array.isArray(d.containers) ? d.containers : undefined;
  const logChars = evidence ? Math.max(1_024, Math.floor(EVIDENCE_LOGS_MAX / Math.max(1, evidence.length))) : 0;
  const tails: Record<string, unknown> = {
    ...d,
    ...(Array.isArray(d.outputs) && { outputs: d.outputs.map(tailOf) }),
    ...(d.failure !== undefined && { failure: tailOf(d.failure) }),
    ...(evidence && { containers: evidence.map((e) => evidenceOf(e, logChars)) }),
  };
  if (JSON.stringify(tails).length <= STEP_DETAILS_MAX) return { ...s, details: tails };
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
    ...(end.result?.pauses && end.result.pauses.length > 0 && { pauses: end.result.pauses }),
    firedAt: data.episode.startsAtMs,
    verifiedAt: outcome === 'succeeded' ? verifiedAtOf({ outcome, steps: end.result?.steps ?? [] }) : undefined,
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
  stores: {
    producer?: Pick<HistoryStore, 'record'> | undefined;
    worker?: (Pick<HistoryStore, 'record'> & Partial<Pick<HistoryStore, 'markActed'>>) | undefined;
  },
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
    // The first Docker action's time, for the story. Issued on the worker's connection when the
    // action starts, so it reaches Redis before the job's outcome does (one connection, in order).
    const { markActed } = worker;
    if (markActed) {
      events.on('job.acting', (e) =>
        markActed(e.jobId, now()).catch((err: unknown) =>
          log.warn({ jobId: e.jobId, err: coerceError(err).message }, 'history write failed'),
        ),
      );
    }
    events.onCommit('job.finished', async (e) => {
      await worker.record(toRecord(e.jobId, e.data, e.outcome, { ...e, finishedAt: now() }), 'final');
    });
  }
}
