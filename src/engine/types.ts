/**
 * The engine's vocabulary: how a step and a job end, and what a step record keeps. The job
 * result, the history record and the notifications all carry these shapes unchanged.
 */

/** How one step ended. */
export type StepOutcome =
  /** Acted and, where it has a verify, verified. */
  | 'succeeded'
  /** Acted (or tried) and failed: the action errored, timed out, or verification failed. */
  | 'failed'
  /** Not run: its `when` did not hold. */
  | 'skipped'
  /** Ran and found nothing to do (already done, at a bound), with nothing to verify. */
  | 'noop'
  /** Dry run: described, the guards asked, nothing done. */
  | 'dry_run';

/** One step as the job result, history and notifications keep it. */
export interface StepRecord {
  index: number;
  name: string;
  action: string;
  outcome: StepOutcome;
  /** What decide() said before it ran (act, skip, dry_run, refused, not_found, ...). */
  decision: string;
  /** One line a human reads: what it did, or why not. */
  summary: string;
  /** The step's `when`, for the reader: always, still_firing, previous_failed, query. */
  when: string;
  /** Containers (or service, host) acted on. */
  targets: string[];
  /** Attempts made (a retry adds one; a rerun after a crash does not). */
  attempts: number;
  startedAt: number | undefined;
  finishedAt: number | undefined;
  durationMs: number | undefined;
  details: Record<string, unknown> | undefined;
  before?: Record<string, unknown> | undefined;
  after?: Record<string, unknown> | undefined;
  verification?: { ok: boolean; detail: string; durationMs: number } | undefined;
  /** Why it failed, for a failed step. */
  error?: string | undefined;
  /**
   * The failure's class: transient (retries ran out), verification, refused, not_found,
   * bad_params, approval_expired.
   */
  errorKind?: string | undefined;
  /** The step needed a human's approval: who answered, when, why and how (or that nobody did). */
  approval?: StepApproval | undefined;
  /** A blast-radius refusal: the target set was empty or larger than the file allows. */
  blastRadius?: 'empty' | 'too_many' | undefined;
}

/** A pause that held a job's step: whose, over what, and when the step first met it. */
export interface JobPause {
  /** The step it held (its name). */
  step: string;
  /** "everything (kill switch)", "target local/api", "remediation restart-api". */
  scope: string;
  by: string;
  reason: string;
  /** When the pause was put in place (epoch ms). */
  from: number;
  /** When it ends by itself, as set when the step met it (epoch ms); a resume ends it earlier. */
  until: number;
  /** When this step was first held by it (epoch ms). */
  heldAt: number;
}

/** An approval as a step record keeps it. */
export interface StepApproval {
  id: string;
  state: 'approved' | 'denied' | 'expired';
  /** Why it was asked: "approve: true", or the policy's reason. */
  why: string;
  requestedAt: number;
  by?: string | undefined;
  at?: number | undefined;
  reason?: string | undefined;
  via?: string | undefined;
}
