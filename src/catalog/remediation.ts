import type { ActionParams } from '../actions/index.js';
import type { Outcome } from '../lifecycle/outcome.js';
import type { NotifyOn } from '../notify/policy.js';
import type { Matcher } from './matchers.js';
import type { TargetSpec } from './schema.js';

/**
 * A validated remediation with defaults applied: a runbook of ordered steps. The JSON part
 * (`RemediationSpec`) travels in the job, so a job finishes under the definition it was
 * enqueued with even if the catalog is reloaded meanwhile.
 */

export interface RetrySpec {
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  jitter: number;
}

export interface VerifySpec {
  /** Container state checks (for container and service scope actions whose handler verifies). */
  running: boolean;
  healthy: boolean;
  withinMs: number;
  /** PromQL that must come back empty or all true; may hold `{{ labels.X }}` inside quotes. */
  query: string | undefined;
  queryWithinMs: number;
  /** Written on the step itself (or the one-step `action:` form), not inherited from the file. */
  own: boolean;
}

export type WhenSpec =
  { kind: 'always' } | { kind: 'still_firing' } | { kind: 'previous_failed' } | { kind: 'query'; query: string };

/**
 * Whether a human approves a step before it acts: `always`, `never`, or `policy` (the action's
 * own rule, e.g. every recreate, and the many-containers rule of APPROVAL_ABOVE_CONTAINERS).
 */
export interface ApproveSpec {
  mode: 'policy' | 'always' | 'never';
  /** How long it waits for an answer; undefined: APPROVAL_TIMEOUT_SECONDS. */
  timeoutMs: number | undefined;
}

export type OnFailure = 'next' | 'abort' | 'continue';
export type OnSuccess = 'stop' | 'next';

/** One step of a runbook, normalized: every default from the file applied. */
export interface StepSpec {
  /** 0-based position in the runbook. */
  index: number;
  name: string;
  action: ActionParams;
  /** The step's own target, or the file's. */
  target: TargetSpec | undefined;
  verify: VerifySpec | undefined;
  when: WhenSpec;
  /** The action is stopped after this long (a failed attempt); undefined: no limit but its own. */
  timeoutMs: number | undefined;
  retry: RetrySpec;
  onFailure: OnFailure;
  onSuccess: OnSuccess;
  /** Approval before acting; absent (older jobs): the policy. */
  approve?: ApproveSpec | undefined;
}

/** `guards.recurrence`, normalized: a fix that does not hold opens the circuit sooner. */
export interface RecurrenceGuardSpec {
  /** A new episode of the same alert this soon after a success is a recurrence. */
  withinMs: number;
  /** Open when recurred successes / successes in the window is over this (0..1). */
  maxRate: number;
  /** ...and there were at least this many successes in the window. */
  minRuns: number;
  /** Which successes count: those of the last windowMs (default 24h). */
  windowMs: number;
  /** How long the circuit stays open once the rate is over (default 1h). */
  openForMs: number;
}

export interface RemediationSpec {
  id: string;
  file: string;
  /** sha256 of the file, first 16 hex digits. */
  hash: string;
  description: string | undefined;
  match: string[];
  /** The file-level target (steps may override it). */
  target: TargetSpec | undefined;
  /** The runbook: at least one step. The `action:` form is a one-step runbook. */
  steps: StepSpec[];
  /** The action run when the alert resolves, as a one-step runbook of its own. */
  onResolved: StepSpec | undefined;
  /** onResolved runs this long after the resolve, only if no re-fire came meanwhile (0: at once). */
  onResolvedAfterMs?: number | undefined;
  delayMs: number;
  guards: {
    cooldownMs: number;
    budget: { runs: number; windowMs: number } | undefined;
    /** Absent in jobs queued before it existed; undefined: no recurrence guard. */
    recurrence?: RecurrenceGuardSpec | undefined;
  };
  notify: NotifySpec;
  dryRun: boolean;
  /** Silence the alert in Alertmanager while acting (opt-in); undefined when off. */
  silence?: { maxDurationMs: number } | undefined;
}

/** One sink's part of the `notify:` section, normalized (`true` is `{ enabled: true }`). */
export interface NotifySinkSpec {
  enabled: boolean;
  /** The transitions it gets; absent: the sink's defaults. */
  on?: 'all' | NotifyOn[] | undefined;
  /** Whom it mentions on an escalation, in its own syntax. */
  mention?: string | undefined;
}

/** The `notify:` section: Slack's channel and mention, and (optional) the policy per sink. */
export interface NotifySpec {
  /** Slack channel (SLACK_CHANNEL otherwise). */
  channel: string | undefined;
  /** Slack handle mentioned on an escalation. */
  mention: string | undefined;
  /** Outcomes that also escalate (a mention, a PagerDuty incident) besides escalated and circuit_open. */
  escalateOn?: Outcome[] | undefined;
  /** Per sink: off, which transitions, whom to mention; a sink not listed keeps its defaults. */
  sinks?: Record<string, NotifySinkSpec> | undefined;
}

export interface Remediation extends RemediationSpec {
  matchers: Matcher[];
}

/** Defaults for a remediation that does not say. */
export const DEFAULTS = {
  attempts: 3,
  backoffMs: 5_000,
  maxBackoffMs: 300_000,
  jitter: 0.2,
  verifyWithinMs: 30_000,
  queryWithinMs: 120_000,
  silenceMaxDurationMs: 30 * 60_000,
  recurrenceWindowMs: 24 * 3_600_000,
  recurrenceOpenForMs: 3_600_000,
} as const;

export function toSpec(r: Remediation): RemediationSpec {
  const { matchers: _m, ...spec } = r;
  return spec;
}

/** The steps a job of this phase runs. */
export function stepsOf(spec: Pick<RemediationSpec, 'steps' | 'onResolved'>, phase: 'fire' | 'resolve'): StepSpec[] {
  return phase === 'fire' ? spec.steps : spec.onResolved ? [spec.onResolved] : [];
}

/**
 * The action type a remediation is known by in metrics and lists: its only action, or the
 * first step's for a runbook (metric label values stay bounded by the action types).
 */
export function primaryAction(spec: Pick<RemediationSpec, 'steps' | 'onResolved'>, phase: 'fire' | 'resolve'): string {
  return stepsOf(spec, phase)[0]?.action.type ?? 'none';
}
