import { actionIsDisruptive, actionNeedsApproval } from '../actions/index.js';
import type { StepSpec } from '../catalog/remediation.js';
import { approvalIdOf, type Approvals } from '../guards/approvals.js';
import type { FleetRate } from '../guards/fleet-rate.js';
import { pauseFor, scopeText, type Pauses } from '../guards/pauses.js';
import type { ApprovalView, ControlView, RadiusView } from './decide.js';
import type { ResolvedTargets } from './resolve.js';
import type { StepApproval } from './types.js';

/**
 * The operator's controls as one step sees them: is it paused, does it need an approval and
 * what is the answer, and the blast-radius inputs (minHealthy, the fleet's rate). Reading is
 * the same for the worker and simulate (nothing here writes); what the worker then does about
 * a decision is in step.ts.
 */

/** What the engine needs of the controls (created in the composition root). */
export interface EngineControl {
  pauses: Pick<Pauses, 'current' | 'changedSince' | 'hold'>;
  approvals: Pick<Approvals, 'get' | 'request' | 'expire' | 'cancel'>;
  fleetRate: Pick<FleetRate, 'take' | 'peek' | 'giveBack'>;
  /** APPROVAL_TIMEOUT_SECONDS, for steps whose `approve:` gives no timeout. */
  approvalTimeoutMs: number;
  /** APPROVAL_ABOVE_CONTAINERS: disruptive steps on more containers need an approval (0: no such rule). */
  approvalAboveContainers: number;
}

/** Why this step needs a human's yes before it acts; undefined when it does not. Pure. */
export function approvalNeed(step: StepSpec, targets: number, aboveContainers: number): string | undefined {
  const mode = step.approve?.mode ?? 'policy';
  if (mode === 'never') return undefined;
  if (mode === 'always') return 'the remediation says approve: true';
  const own = actionNeedsApproval(step.action.type, step.action);
  if (own) return `policy: ${own}`;
  if (aboveContainers > 0 && targets > aboveContainers && actionIsDisruptive(step.action.type, step.action)) {
    return `policy: ${step.action.type} on ${targets} containers, more than APPROVAL_ABOVE_CONTAINERS (${aboveContainers})`;
  }
  return undefined;
}

/** Names a pause of a target can name this step by: containers, service, Swarm service, rendered target. */
export function pauseNames(resolved: ResolvedTargets, rendered: string | undefined): string[] {
  const names = resolved.containers.map((c) => c.name);
  if (resolved.service) names.push(resolved.service.name);
  if (resolved.swarm) names.push(resolved.swarm.name);
  if (rendered) names.push(rendered);
  return [...new Set(names)];
}

export interface ControlRead {
  view: ControlView;
  /** The pauses' version read, for the recheck right before acting. */
  version: string;
}

/** Read the controls for one step now (GETs only: simulate calls it too). */
export async function readControl(
  c: EngineControl,
  s: {
    host: string;
    remediation: string;
    names: string[];
    jobId: string;
    step: StepSpec;
    targets: number;
    now: number;
  },
): Promise<ControlRead> {
  const { version, pauses } = await c.pauses.current();
  const p = pauseFor(pauses, { host: s.host, remediation: s.remediation, names: s.names }, s.now);
  const why = approvalNeed(s.step, s.targets, c.approvalAboveContainers);
  let approval: ApprovalView = { required: false };
  if (why !== undefined) {
    const id = approvalIdOf(s.jobId, s.step.index);
    const rec = await c.approvals.get(id);
    const timeout = s.step.approve?.timeoutMs ?? c.approvalTimeoutMs;
    const state = !rec ? 'none' : rec.state === 'pending' && s.now >= rec.deadline ? 'expired' : rec.state;
    approval = {
      required: true,
      id,
      why,
      state,
      deadline: rec?.deadline ?? s.now + timeout,
      requestedAt: rec?.requestedAt,
      answer: rec?.answer,
    };
  }
  return {
    version,
    view: {
      pause: p && {
        id: p.id,
        by: p.by,
        reason: p.reason,
        from: p.createdAt,
        until: p.until,
        scope: scopeText(p.scope),
      },
      approval,
    },
  };
}

/** The minHealthy input of a disruptive step on a Compose service's replicas, once resolved. */
export function minHealthyOf(resolved: ResolvedTargets, inFlight: number): RadiusView['minHealthy'] {
  const h = resolved.health;
  if (!h) return undefined;
  return {
    service: h.service,
    healthy: h.healthy.length,
    taking: resolved.containers.filter((c) => h.healthy.includes(c.name)).length,
    inFlight,
    min: h.min,
  };
}

/** The member of the fleet's rate window for one step of one job. */
export const rateMember = (host: string, jobId: string, stepIndex: number): string => `${host}|${jobId}|${stepIndex}`;

/** An answered approval as the step record keeps it. */
export function stepApproval(v: ApprovalView): StepApproval | undefined {
  if (!v.required || (v.state !== 'approved' && v.state !== 'denied' && v.state !== 'expired')) return undefined;
  return {
    id: v.id,
    state: v.state,
    why: v.why,
    requestedAt: v.requestedAt ?? v.deadline,
    by: v.answer?.by,
    at: v.answer?.at,
    reason: v.answer?.reason,
    via: v.answer?.via,
  };
}
