import type { RemediationSpec, StepSpec, WhenSpec } from '../catalog/remediation.js';
import type { Outcome } from '../queue/contract.js';
import type { GuardView } from '../guards/index.js';
import type { StepRecord } from './types.js';
import {
  controlDecision,
  radiusDecision,
  type ControlView,
  type PauseView,
  type RadiusView,
} from './decide-control.js';

export type { ApprovalView, ControlView, PauseView, RadiusView } from './decide-control.js';

/**
 * Stage 3, decide: pure. Given what the step's `when`, its targets and its guards say now, what
 * happens to the step; given a finished step, what happens to the runbook. The worker and
 * `simulate` both call these, so what simulate shows is what the worker does: the only
 * difference is where the inputs come from (guards taken vs. peeked, the real previous step vs.
 * "if it failed").
 */

/** What a step's `when` says now. */
export type WhenVerdict =
  | { holds: true; detail: string }
  | { holds: false; detail: string }
  /** The alert resolved: the runbook stops here. */
  | { holds: 'resolved'; detail: string }
  /** Not known yet (simulate, for a step that depends on an earlier one's outcome). */
  | { holds: 'unknown'; detail: string };

/** What the step's targets resolved to (or why not). */
export type TargetVerdict =
  | { ok: true; description: string; count: number }
  | { ok: false; kind: 'refused' | 'not_found' | 'unknown'; detail: string };

export interface DecideInput {
  remediation: Pick<RemediationSpec, 'id' | 'guards'>;
  step: Pick<StepSpec, 'name' | 'index'>;
  jobId: string;
  /** What the action would do, for a human: "restart api (stop timeout 10s)". */
  describe: string;
  when: WhenVerdict;
  targets: TargetVerdict;
  /** Undefined when the guards could not be read (simulate only; the worker throws). */
  guards: GuardView | undefined;
  /** Pauses and approvals; absent: none apply. */
  control?: ControlView | undefined;
  /** Blast-radius limits; absent: none apply. */
  radius?: RadiusView | undefined;
  dryRun: { global: boolean; remediation: boolean };
}

export type Decision =
  | { kind: 'act'; detail: string }
  | { kind: 'dry_run'; detail: string }
  | { kind: 'skip'; detail: string }
  | { kind: 'resolved'; detail: string }
  | { kind: 'wait'; on: 'lock' | 'in_flight' | 'share'; detail: string; retryInMs: number | undefined }
  /** Held by a pause until it ends or is resumed. */
  | { kind: 'paused'; detail: string; untilMs: number; pauseId: string; pause: PauseView }
  /** Waits for a human's yes (asked now if not yet), until the deadline. */
  | { kind: 'awaiting_approval'; detail: string; approvalId: string; deadline: number }
  /** A human said no. */
  | { kind: 'denied'; detail: string }
  /** Nobody answered by the deadline: escalated, nothing done. */
  | { kind: 'approval_expired'; detail: string }
  /** Not now, but still firing: waits (a cooldown, minHealthy, the fleet's rate) and checks again. */
  | { kind: 'deferred'; on: 'cooldown' | 'min_healthy' | 'rate'; detail: string; retryInMs: number }
  | { kind: 'circuit_open'; detail: string; reopensInMs: number }
  | { kind: 'refused' | 'not_found' | 'unknown'; detail: string }
  | { kind: 'conditional'; detail: string };

export type DecisionKind = Decision['kind'];

const seconds = (ms: number) => `${Math.ceil(ms / 1000)}s`;

/** A guard identity in words: `container/api` -> "container api", `service/shop/worker` -> "service worker (project shop)". */
export function identityText(id: string | undefined): string {
  if (!id) return 'its target';
  const [kind, ...rest] = id.split('/');
  if (kind === 'container') return `container ${rest.join('/')}`;
  if (kind === 'service') return rest[0] ? `service ${rest[1]} (project ${rest[0]})` : `service ${rest[1]}`;
  if (kind === 'swarm') return `Swarm service ${rest.join('/')}`;
  if (kind === 'host') return 'the Docker host';
  return id;
}

/** What the guards say, as a decision; undefined when every guard passes. */
export function guardDecision(
  input: Pick<DecideInput, 'remediation' | 'guards' | 'jobId'>,
  what: string,
): Decision | undefined {
  const g = input.guards;
  if (!g) return { kind: 'unknown', detail: 'guards unreadable' };
  switch (g.blocker) {
    case undefined:
      return undefined;
    case 'resolved':
      return { kind: 'resolved', detail: 'Alertmanager said this episode resolved: nothing more to do' };
    case 'lock':
      return {
        kind: 'wait',
        on: 'lock',
        detail: `${identityText(g.lock.identity)} is locked by job ${g.lock.holder} (${seconds(g.lock.ttlMs)} left): it waits for it`,
        retryInMs: g.lock.ttlMs,
      };
    case 'cooldown':
      return {
        kind: 'deferred',
        on: 'cooldown',
        detail:
          `${input.remediation.id} ran on ${identityText(g.cooldown.subject)} recently: cooldown, ${seconds(g.cooldown.remainingMs)} left; ` +
          'it waits it out, then acts if the alert still fires',
        retryInMs: g.cooldown.remainingMs,
      };
    case 'circuit_open': {
      if (g.budget.recurrence !== undefined) {
        return {
          kind: 'circuit_open',
          detail:
            `circuit open: ${g.budget.recurrence}; not acting again for ${Math.ceil(g.budget.reopensInMs / 60_000)} min. ` +
            'A human should look at why the fix does not hold.',
          reopensInMs: g.budget.reopensInMs,
        };
      }
      const windowMin = Math.round((g.budget.windowMs ?? 0) / 60_000);
      return {
        kind: 'circuit_open',
        detail:
          `circuit open: ${input.remediation.id} already ran ${g.budget.runsInWindow} times on ${what} in the last ` +
          `${windowMin} min (budget ${g.budget.limit}); not acting again for ${Math.ceil(g.budget.reopensInMs / 60_000)} min. ` +
          'A human should look at why the fix does not hold.',
        reopensInMs: g.budget.reopensInMs,
      };
    }
    case 'in_flight':
      return {
        kind: 'wait',
        on: 'in_flight',
        detail: `${g.inFlight.used} actions already in flight (max ${g.inFlight.max}): it waits for a slot`,
        retryInMs: undefined,
      };
    case 'share':
      return {
        kind: 'wait',
        on: 'share',
        detail: `already acting on ${g.share?.used} of this service's replicas (at most ${g.share?.limit} at once): it waits`,
        retryInMs: undefined,
      };
  }
}

/**
 * One step, now. Order (the worker checks in the same order): when -> targets -> controls
 * (pause, approval) -> guards (resolved, lock, cooldown, budget, in flight, share) -> blast
 * radius (minHealthy, the fleet's rate) -> dry run -> act. The worker reads these in stages
 * (the guards are taken only once the controls let the step through) and calls decide() at
 * each with what it has: a part not read yet is one that lets the step through.
 */
export function decide(input: DecideInput): Decision {
  const w = input.when;
  if (w.holds === 'resolved') return { kind: 'resolved', detail: w.detail };
  if (w.holds === false) return { kind: 'skip', detail: w.detail };
  const t = input.targets;
  if (!t.ok) return { kind: t.kind, detail: t.detail };
  const guarded = guardDecision(input, t.description);
  const blocked =
    controlDecision(input.control, input.describe) ??
    guarded ??
    (input.guards ? radiusDecision(input.radius) : undefined);
  const conditional = w.holds === 'unknown' ? ` (${w.detail})` : '';
  if (input.dryRun.global || input.dryRun.remediation) {
    const why = input.dryRun.global ? 'DRY_RUN=true' : `${input.remediation.id} has dryRun: true`;
    const guard = blocked ? `guards would stop it: ${blocked.kind} (${blocked.detail})` : 'guards would pass';
    return { kind: 'dry_run', detail: `dry run (${why}): would ${input.describe}${conditional}; ${guard}` };
  }
  if (blocked) return blocked;
  if (w.holds === 'unknown') return { kind: 'conditional', detail: `would ${input.describe}${conditional}` };
  return { kind: 'act', detail: `would ${input.describe}` };
}

/** The `when` of a step, in words. */
export function whenText(when: WhenSpec): string {
  switch (when.kind) {
    case 'always':
      return 'always';
    case 'still_firing':
      return 'still_firing';
    case 'previous_failed':
      return 'previous_failed';
    case 'query':
      return `query: ${when.query}`;
  }
}

/** Pure part of a `when`: `previous_failed` from the records, the rest from what was asked. */
export function whenVerdict(
  when: WhenSpec,
  input: {
    previous: StepRecord | undefined;
    firing: boolean | undefined;
    query: boolean | undefined;
    firingDetail?: string;
  },
): WhenVerdict {
  switch (when.kind) {
    case 'always':
      return { holds: true, detail: 'always' };
    case 'previous_failed':
      if (!input.previous) return { holds: 'unknown', detail: 'if the previous step fails' };
      return input.previous.outcome === 'failed'
        ? { holds: true, detail: `step ${input.previous.name} failed` }
        : { holds: false, detail: `step ${input.previous.name} did not fail (${input.previous.outcome})` };
    case 'still_firing':
      if (input.firing === undefined) return { holds: 'unknown', detail: 'if the alert still fires then' };
      return input.firing
        ? { holds: true, detail: input.firingDetail ?? 'the alert still fires' }
        : { holds: 'resolved', detail: input.firingDetail ?? 'the alert no longer fires' };
    case 'query':
      if (input.query === undefined) return { holds: 'unknown', detail: `if ${when.query} holds then` };
      return input.query
        ? { holds: true, detail: `${when.query} holds` }
        : { holds: false, detail: `${when.query} does not hold` };
  }
}

/** What happens after a step: go on to the next one, or end the runbook with an outcome. */
export type Next =
  { go: 'next' } | { go: 'end'; outcome: Outcome; escalation: string | undefined; reason: string | undefined };

/** Escalation code of a failed step that ends a runbook. */
function escalationOf(rec: StepRecord): string {
  if (rec.errorKind === 'verification') return 'verification_failed';
  if (rec.errorKind === 'circuit_open') return 'circuit_open';
  if (rec.errorKind === 'still_running') return 'exec_still_running';
  if (rec.errorKind === 'approval_expired') return 'approval_expired';
  return 'retries_exhausted';
}

/** The outcome of a runbook whose step failed with onFailure abort (or as the last step). */
function failedEnd(rec: StepRecord, index: number, count: number): Next {
  const where = count > 1 ? `step ${rec.name} (${index + 1}/${count}): ` : '';
  const reason = `${where}${rec.error ?? rec.summary}`;
  if (rec.errorKind === 'refused') return { go: 'end', outcome: 'refused', escalation: undefined, reason };
  if (rec.errorKind === 'not_found' || rec.errorKind === 'bad_params') {
    return { go: 'end', outcome: 'failed', escalation: undefined, reason };
  }
  if (rec.errorKind === 'circuit_open')
    return { go: 'end', outcome: 'circuit_open', escalation: 'circuit_open', reason };
  return { go: 'end', outcome: 'escalated', escalation: escalationOf(rec), reason };
}

/**
 * After step `index` ended as `rec`: the next step, or the end. `records` are all steps so far
 * (this one included). A passed step with onSuccess stop ends it succeeded; a failed one
 * follows its onFailure; past the last step the records decide.
 */
export function afterStep(
  steps: Pick<StepSpec, 'onSuccess' | 'onFailure'>[],
  index: number,
  records: StepRecord[],
): Next {
  const step = steps[index]!;
  const rec = records[records.length - 1]!;
  const last = index === steps.length - 1;
  if (rec.outcome === 'succeeded' && step.onSuccess === 'stop') {
    return { go: 'end', outcome: 'succeeded', escalation: undefined, reason: undefined };
  }
  // A policy refusal, a missing target or bad params is no fix that failed: the ladder stops
  // there (`continue` still goes on: an evidence step is best effort). So does a command that
  // could not be stopped: its target stays locked, and the next step would act beside it.
  // A denial or an unanswered approval stops it too: no later step runs around a human's no.
  const permanent =
    rec.errorKind === 'refused' ||
    rec.errorKind === 'not_found' ||
    rec.errorKind === 'bad_params' ||
    rec.errorKind === 'still_running' ||
    rec.errorKind === 'approval_expired';
  const stops = step.onFailure === 'abort' || (step.onFailure === 'next' && (last || permanent));
  if (rec.outcome === 'failed' && stops) return failedEnd(rec, index, steps.length);
  if (!last) return { go: 'next' };
  return endOfRunbook(steps, records);
}

/** Every step has been reached: what the records add up to. */
export function endOfRunbook(steps: Pick<StepSpec, 'onFailure'>[], records: StepRecord[]): Next {
  if (records.some((r) => r.outcome === 'dry_run')) {
    return { go: 'end', outcome: 'dry_run', escalation: undefined, reason: undefined };
  }
  // A failure handed on with `next` that no later step made good: a human is needed.
  let pending: StepRecord | undefined;
  for (const r of records) {
    if (r.outcome === 'failed' && steps[r.index]?.onFailure === 'next') pending = r;
    else if (r.outcome === 'succeeded') pending = undefined;
  }
  if (pending) return failedEnd(pending, pending.index, steps.length);
  if (records.some((r) => r.outcome === 'succeeded')) {
    return { go: 'end', outcome: 'succeeded', escalation: undefined, reason: undefined };
  }
  return { go: 'end', outcome: 'skipped', escalation: undefined, reason: undefined };
}
