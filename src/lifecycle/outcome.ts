/**
 * How a remediation job ends, and the transitions it goes through on the way: the one list of
 * both. Metrics, history, Slack and every other sink read these; nothing else defines them.
 */

/** How a remediation job ended. Also the `outcome` label of remediator_remediations_total. */
export const OUTCOMES = [
  /** A step passed its verification (or acted, with nothing to verify) and ended the runbook. */
  'succeeded',
  /** Nothing to do: every step found the work already done or did not apply. */
  'skipped',
  /** Dry run: the whole runbook described, nothing done. */
  'dry_run',
  /** A step failed for a reason retrying cannot fix (target not found, bad params). */
  'failed',
  /** Policy refused it (not opted in, unsafe label, too many targets). */
  'refused',
  /** Retries or verification ran out, or a step said abort: a human is paged. */
  'escalated',
  /** The remediation ran on the target recently. */
  'cooldown',
  /** Its run budget is spent: a human is paged. */
  'circuit_open',
  /** The alert resolved before remediator acted. */
  'cancelled',
  /** The alert resolved between steps: the runbook stopped, nothing more was done. */
  'resolved',
] as const;

export type Outcome = (typeof OUTCOMES)[number];

/** The transitions of a job, in the order they can happen (events of src/lifecycle/events.ts). */
export const TRANSITIONS = [
  'job.queued',
  'job.duplicate',
  'job.cancelled',
  'alert.resolved',
  'job.running',
  'job.acting',
  'step.finished',
  'job.retrying',
  'job.waiting',
  'approval.answered',
  'job.finished',
] as const;

export type Transition = (typeof TRANSITIONS)[number];

/** Outcomes after which a human has to look: the mention goes out with these. */
export function needsHuman(outcome: Outcome, escalation: string | undefined): boolean {
  return escalation !== undefined || outcome === 'escalated' || outcome === 'circuit_open';
}

/** Outcomes that end a job as BullMQ "failed" (kept as failed, with the reason). */
export function isFailure(outcome: Outcome): boolean {
  return outcome === 'failed' || outcome === 'refused' || outcome === 'escalated' || outcome === 'circuit_open';
}
