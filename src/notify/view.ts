import type { LifecycleEvent, StepRef } from '../lifecycle/events.js';
import type { Outcome } from '../queue/contract.js';
import { escalates, escalationCode } from './policy.js';
import type { ApprovalPromptView } from './sinks/slack/approval-blocks.js';

/**
 * Where an episode stands, folded from its lifecycle events in order: what Slack's parent
 * message shows, and what tells Teams and Mattermost that the state changed. Pure: a sink keeps
 * it in its state of the episode, applies one event, renders, and keeps it again.
 */
export type ThreadState = 'queued' | 'running' | 'acting' | 'retrying' | 'waiting' | Outcome;

export interface ThreadView {
  state: ThreadState;
  /** Progress of the fire job; an event with a lower rank is stale and leaves the state alone. */
  rank: number;
  attempt: number | undefined;
  attempts: number | undefined;
  action: string | undefined;
  targets: string[];
  /** One line: what was done, or why not. */
  summary: string | undefined;
  /** Why the last attempt failed, while the job is being retried. */
  lastError: string | undefined;
  escalation: string | undefined;
  /** The runbook step in progress (runbooks of more than one step). */
  step: { index: number; count: number; name: string } | undefined;
  /** Each finished step of a runbook: name and outcome, in order. */
  steps: { name: string; outcome: string }[];
  /** Why the job is held back, while it waits (a busy lock or slot, a pause, an approval). */
  waiting: string | undefined;
  /** A step waiting for a human's approval: the parent shows Approve / Deny buttons. */
  approval?: ApprovalPromptView | undefined;
  /** Who approved or denied a step, when and why. */
  approvalAnswer?: { decision: 'approved' | 'denied'; by: string; at: number; reason: string; via: string } | undefined;
  /** Set once Alertmanager says the alert ended. */
  resolved: { endsAt: string | undefined } | undefined;
  /** The onResolved action's progress, when the remediation has one. */
  afterResolve: { state: ThreadState; summary: string | undefined } | undefined;
}

const TERMINAL = 1_000_000;

export function initialView(): ThreadView {
  return {
    state: 'queued',
    rank: -1,
    attempt: undefined,
    attempts: undefined,
    action: undefined,
    targets: [],
    summary: undefined,
    lastError: undefined,
    escalation: undefined,
    step: undefined,
    steps: [],
    waiting: undefined,
    resolved: undefined,
    afterResolve: undefined,
  };
}

/** Why a human is needed, in words the on-call reads at 3 a.m. */
export function escalationReason(code: string | undefined, outcome: Outcome): string {
  switch (code ?? (outcome === 'circuit_open' ? 'circuit_open' : 'retries_exhausted')) {
    case 'escalate_on':
      return `the job ended ${outcome.replace('_', ' ')}, an outcome this remediation escalates (notify.escalateOn)`;
    case 'verification_failed':
      return 'the target did not come back healthy after the action, on every attempt';
    case 'circuit_open':
      return 'the circuit breaker is open: this remediation ran too often in its window, so remediator stopped acting';
    case 'retries_exhausted':
      return 'every attempt failed; remediator gave up';
    case 'exec_still_running':
      return 'a command it ran could not be stopped after its timeout: it may still run, and its target stays locked until the lock expires';
    case 'approval_expired':
      return 'the step needed an approval and nobody answered by its deadline; nothing was done';
    default:
      return `escalated (${code})`;
  }
}

/** The job moves on (running, acting): no longer held, and at this step of a runbook. */
function moving(v: ThreadView, step: StepRef | undefined): void {
  v.waiting = undefined;
  v.approval = undefined;
  if (step && step.count > 1) v.step = { index: step.index, count: step.count, name: step.name };
}

/**
 * Fold one event into the view. `changed` says whether the parent message should be edited
 * (a stale or repeated event leaves it as it is).
 */
export function applyEvent(prev: ThreadView, e: LifecycleEvent): { view: ThreadView; changed: boolean } {
  const v: ThreadView = { ...initialView(), ...prev, targets: [...prev.targets], steps: [...(prev.steps ?? [])] };
  if (e.type === 'job.duplicate') return { view: prev, changed: false };
  if (e.data.phase === 'resolve') {
    // The onResolved action lives in the same thread but does not overwrite the fire job's state.
    if (e.type === 'job.running' || e.type === 'job.acting' || e.type === 'job.waiting')
      v.afterResolve = { state: 'running', summary: undefined };
    else if (e.type === 'job.retrying') v.afterResolve = { state: 'retrying', summary: e.reason };
    else if (e.type === 'job.finished') v.afterResolve = { state: e.outcome, summary: e.result?.summary ?? e.reason };
    else if (e.type === 'job.cancelled') v.afterResolve = { state: 'cancelled', summary: e.reason };
    else return { view: prev, changed: false };
    return { view: v, changed: JSON.stringify(v.afterResolve) !== JSON.stringify(prev.afterResolve) };
  }
  if (e.type === 'alert.resolved') {
    if (prev.resolved) return { view: prev, changed: false };
    const endsAt = e.data.alert.endsAt;
    v.resolved = { endsAt: endsAt && Date.parse(endsAt) > 0 ? endsAt : undefined };
    return { view: v, changed: true };
  }
  if (e.type === 'step.finished') {
    // A step's record adds to the list; it never moves the state back.
    if (v.steps.some((st) => st.name === e.step.name)) return { view: prev, changed: false };
    v.steps.push({ name: e.step.name, outcome: e.record.outcome });
    return { view: v, changed: true };
  }
  const rank = rankOf(e, prev);
  // Events from two processes can be numbered out of order (the worker may start the job
  // before the webhook's "queued" is counted); the latest progress wins.
  if (rank < prev.rank || prev.rank >= TERMINAL) return { view: prev, changed: false };
  v.rank = rank;
  switch (e.type) {
    case 'job.queued':
      v.state = 'queued';
      break;
    case 'job.running':
      v.state = 'running';
      v.attempt = e.attempt;
      v.attempts = e.attempts;
      moving(v, e.step);
      break;
    case 'job.acting':
      v.state = 'acting';
      v.action = e.action;
      v.targets = e.targets;
      moving(v, e.step);
      break;
    case 'job.waiting':
      v.state = 'waiting';
      v.waiting = e.detail;
      if (e.approval) v.approval = e.approval;
      break;
    case 'approval.answered':
      v.approval = undefined;
      v.approvalAnswer = { decision: e.decision, by: e.by, at: e.at, reason: e.reason, via: e.via };
      break;
    case 'job.retrying':
      v.state = 'retrying';
      v.attempt = e.attempt;
      v.attempts = e.attempts;
      v.lastError = e.reason;
      break;
    case 'job.finished':
      v.state = e.outcome;
      v.summary = e.result?.summary ?? e.reason;
      v.lastError = undefined;
      if (e.result) {
        v.action = e.result.action;
        if (e.result.targets.length > 0) v.targets = e.result.targets;
      }
      v.attempt = e.attempts || v.attempt;
      v.step = undefined;
      v.waiting = undefined;
      v.approval = undefined;
      if (e.result && e.result.steps.length > 1)
        v.steps = e.result.steps.map((st) => ({ name: st.name, outcome: st.outcome }));
      v.escalation = escalates(e) ? escalationReason(escalationCode(e), e.outcome) : undefined;
      break;
    case 'job.cancelled':
      v.state = 'cancelled';
      v.summary = e.reason;
      v.approval = undefined;
      break;
  }
  return { view: v, changed: JSON.stringify(v) !== JSON.stringify(prev) };
}

/** Progress order of events: by step, then attempt, then kind (stale ones rank lower). */
function rankOf(e: LifecycleEvent, prev: ThreadView): number {
  const stepBase = (s: { index: number } | undefined) => (s?.index ?? 0) * 10_000;
  switch (e.type) {
    case 'job.queued':
      return 0;
    case 'job.running':
      return stepBase(e.step) + e.attempt * 10 + 1;
    case 'job.acting':
      if (e.step) return stepBase(e.step) + (prev.attempt ?? 1) * 10 + 2;
      // Without a step: it always follows the "running" of its attempt (same process).
      return prev.state === 'running' ? prev.rank + 1 : prev.rank <= 0 ? 12 : -2;
    case 'job.waiting':
    case 'approval.answered':
      // Waiting does not advance: it shows between the events of the step it waits in.
      return Math.max(prev.rank, 1);
    case 'job.retrying':
      return stepBase(e.step) + e.attempt * 10 + 5;
    default:
      return TERMINAL;
  }
}

/** True when a reader of new messages (no edits) should get one: the state shown moved on. */
export function stateMoved(prev: ThreadView, next: ThreadView): boolean {
  return (
    prev.state !== next.state ||
    (next.state === 'retrying' && next.attempt !== prev.attempt) ||
    (!prev.resolved && next.resolved !== undefined) ||
    JSON.stringify(prev.afterResolve) !== JSON.stringify(next.afterResolve)
  );
}

/** Emoji and words for a state. */
export const STATE_LABEL: Record<ThreadState, { emoji: string; text: string }> = {
  queued: { emoji: ':hourglass_flowing_sand:', text: 'Queued' },
  running: { emoji: ':gear:', text: 'Running' },
  acting: { emoji: ':hammer_and_wrench:', text: 'Acting' },
  retrying: { emoji: ':repeat:', text: 'Retrying' },
  waiting: { emoji: ':hourglass:', text: 'Waiting' },
  succeeded: { emoji: ':white_check_mark:', text: 'Succeeded' },
  skipped: { emoji: ':fast_forward:', text: 'Skipped (nothing to do)' },
  dry_run: { emoji: ':test_tube:', text: 'Dry run' },
  failed: { emoji: ':x:', text: 'Failed' },
  refused: { emoji: ':no_entry:', text: 'Refused' },
  escalated: { emoji: ':rotating_light:', text: 'Escalated' },
  cooldown: { emoji: ':ice_cube:', text: 'Cooldown (not run)' },
  circuit_open: { emoji: ':octagonal_sign:', text: 'Circuit open' },
  cancelled: { emoji: ':heavy_multiplication_x:', text: 'Cancelled' },
  resolved: { emoji: ':large_green_circle:', text: 'Stopped: the alert resolved' },
};
