import type { JobPause, StepRecord } from '../engine/types.js';
import { OUTCOMES, type Outcome } from '../lifecycle/outcome.js';

/** Outcomes a history record can have: a job's final outcome, or `queued` until it ends. */
export const HISTORY_OUTCOMES = [
  'queued',
  ...OUTCOMES,
  /** Not a job: an operator's action (pause, resume, reset of a cooldown or circuit). */
  'operator',
] as const satisfies readonly (Outcome | 'queued' | 'operator')[];

export type HistoryOutcome = (typeof HISTORY_OUTCOMES)[number];

/**
 * One remediation job as history keeps it, beyond BullMQ's job retention: what alert, which
 * remediation (and the hash of its definition), on what, and how it ended.
 */
export interface HistoryRecord {
  jobId: string;
  remediation: string;
  /** sha256 prefix of the remediation file the job ran under. */
  hash: string;
  phase: 'fire' | 'resolve';
  /** The Docker host acted on. */
  host: string;
  action: string;
  alertname: string;
  fingerprint: string;
  startsAt: string;
  /** The target the alert named (container or service name, `host`); '' when refused. */
  target: string;
  /** Containers acted on (from the job result), if any. */
  targets: string[];
  outcome: HistoryOutcome;
  /** One line for a human: the result's summary, or why it failed. */
  summary: string;
  escalation: string | undefined;
  attempts: number;
  dryRun: boolean;
  /** When the webhook accepted the alert (epoch ms): what history is ordered and filtered by. */
  receivedAt: number;
  /** When the job ended (epoch ms); absent while queued. */
  finishedAt: number | undefined;
  durationMs: number | undefined;
  /** Each step of the runbook as far as it got, details bounded (history keeps the story). */
  steps: StepRecord[];
  /** For an operator's record (outcome `operator`): what was done, by whom and why. */
  operator?: { action: string; by: string; reason: string } | undefined;
  // ---- the episode's story (src/history/story.ts); each absent until it happened ----
  /** When the alert started firing: Alertmanager's startsAt (epoch ms). */
  firedAt?: number | undefined;
  /** When the first Docker action of the job was made (the first `job.acting`). */
  firstActionAt?: number | undefined;
  /** When the step that fixed it passed its verification (outcome succeeded). */
  verifiedAt?: number | undefined;
  /** When remediator received Alertmanager's resolved notification (epoch ms). */
  resolvedAt?: number | undefined;
  /** Alertmanager's endsAt in that notification. */
  endsAt?: string | undefined;
  /** This episode re-fired after a success of the same remediation for the same alert. */
  recurrenceOf?: { jobId: string; afterMs: number } | undefined;
  /** This success did not hold: the same alert fired again (the first such episode). */
  refiredBy?: { jobId: string; afterMs: number } | undefined;
  /** Approvals its steps waited for (from the step records): who answered, when and why. */
  approvals?: HistoryApproval[] | undefined;
  /** Pauses that held a step of it (from the job's state), in the order they did. */
  pauses?: HistoryPause[] | undefined;
}

/** An approval a step waited for (written by the approvals feature, issue 14). */
export interface HistoryApproval {
  step: string;
  decision: 'approved' | 'denied' | 'expired';
  by: string | undefined;
  at: number;
  reason: string | undefined;
}

/** A pause that held a step of the job: whose, over what, and when it first held it. */
export type HistoryPause = JobPause;

/** Filters of `GET /api/v1/remediations` and `remediator history`; all optional, combined with AND. */
export interface HistoryFilter {
  alertname?: string | undefined;
  remediation?: string | undefined;
  target?: string | undefined;
  outcome?: HistoryOutcome | undefined;
  /** Epoch ms, inclusive. */
  since?: number | undefined;
  /** Epoch ms, inclusive. */
  until?: number | undefined;
  /** Page size (1 to 500; default 50). */
  limit?: number | undefined;
  /** Opaque, from the previous page's nextCursor. */
  cursor?: string | undefined;
}

export interface HistoryPage {
  records: HistoryRecord[];
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  nextCursor: string | undefined;
}
