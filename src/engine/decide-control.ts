import type { ApprovalAnswer } from '../guards/approvals.js';
import type { RateView } from '../guards/fleet-rate.js';
import type { Decision } from './decide.js';

/**
 * The parts of decide() that the operator's controls add: what a pause, an approval and the
 * blast-radius limits (minHealthy, the fleet's rate of disruptive actions) say about a step.
 * Pure; decide.ts calls them in its order (controls before the guards, limits after).
 */

const seconds = (ms: number) => `${Math.ceil(ms / 1000)}s`;
const at = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** A pause that holds the step, as decide() needs it. */
export interface PauseView {
  id: string;
  by: string;
  reason: string;
  /** When it was put in place (epoch ms). */
  from: number;
  until: number;
  /** "target local/api", "everything (kill switch)". */
  scope: string;
}

/** Whether the step needs a human's yes, and what the answer is so far. */
export type ApprovalView =
  | { required: false }
  | {
      required: true;
      id: string;
      /** Why: "approve: true", or the action's policy reason. */
      why: string;
      /** `none`: not asked yet (the worker asks now). `expired`: pending past its deadline. */
      state: 'none' | 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';
      deadline: number;
      requestedAt?: number | undefined;
      answer?: ApprovalAnswer | undefined;
    };

/** What the operator's controls say for one step now: read by the worker, peeked by simulate. */
export interface ControlView {
  pause: PauseView | undefined;
  approval: ApprovalView;
}

/** Blast-radius limits checked once the guards pass. */
export interface RadiusView {
  /** The Compose service's replicas that would stay healthy, against its minHealthy. */
  minHealthy?: { service: string; healthy: number; taking: number; inFlight: number; min: number } | undefined;
  /** The fleet-wide cap of disruptive actions per minute (absent: not disruptive, or not asked yet). */
  rate?: RateView | undefined;
}

/** What the pauses and approvals say, as a decision; undefined when neither holds the step. */
export function controlDecision(c: ControlView | undefined, describe: string): Decision | undefined {
  if (!c) return undefined;
  if (c.pause) {
    const p = c.pause;
    return {
      kind: 'paused',
      detail: `paused by ${p.by} until ${at(p.until)} (${p.scope}): ${p.reason}; held, not dropped: it acts once resumed`,
      untilMs: p.until,
      pauseId: p.id,
      pause: p,
    };
  }
  const a = c.approval;
  if (!a.required || a.state === 'approved') return undefined;
  switch (a.state) {
    case 'denied':
      return {
        kind: 'denied',
        detail: `${describe}: denied by ${a.answer?.by ?? 'an operator'}${a.answer ? ` (${a.answer.via})` : ''}: ${a.answer?.reason ?? 'no reason given'}`,
      };
    case 'expired':
    case 'cancelled':
      return {
        kind: 'approval_expired',
        detail: `nobody approved "${describe}" by ${at(a.deadline)} (${a.why}): escalated, nothing was done`,
      };
    default:
      return {
        kind: 'awaiting_approval',
        detail: `needs an approval (${a.why}) to ${describe}: approve or deny ${a.id} by ${at(a.deadline)}, else it escalates`,
        approvalId: a.id,
        deadline: a.deadline,
      };
  }
}

/** What the blast-radius limits say, once the guards passed; undefined when they allow it. */
export function radiusDecision(r: RadiusView | undefined): Decision | undefined {
  const m = r?.minHealthy;
  if (m && m.healthy - m.inFlight - m.taking < m.min) {
    return {
      kind: 'deferred',
      on: 'min_healthy',
      detail:
        `${m.service} has ${m.healthy} healthy replicas${m.inFlight > 0 ? ` (${m.inFlight} already being acted on)` : ''}: ` +
        `acting on ${m.taking} more would leave fewer than minHealthy ${m.min}; it waits`,
      retryInMs: 5_000,
    };
  }
  const rate = r?.rate;
  if (rate?.blocked) {
    return {
      kind: 'deferred',
      on: 'rate',
      detail: `${rate.used} disruptive actions in the last minute across the fleet (MAX_DISRUPTIVE_PER_MINUTE ${rate.limit}): it waits ${seconds(rate.retryInMs)}`,
      retryInMs: rate.retryInMs,
    };
  }
  return undefined;
}
