import { unaskedGuardView, type GuardRequest, type GuardView, type Lease } from '../guards/index.js';
import { minHealthyOf, readControl, type ControlRead } from './control.js';
import { decide, type DecideInput, type Decision } from './decide.js';
import type { ResolvedTargets } from './resolve.js';
import type { StepDeps, StepRun } from './step.js';

/**
 * Stage 3, decide, as the worker takes it: the same decide() at each stage, with what has been
 * read so far (a part not read yet lets the step through):
 *   1. the operator's controls (a pause, an approval): nothing is taken while they hold it;
 *   2. every guard at once (the one script), with minHealthy from the resolved replicas;
 *   3. the fleet's rate of disruptive actions (its slot taken);
 *   4. the pauses again, if any changed since stage 1 (one GET): a pause that came in while
 *      the guards were taken still stops the step before the Docker call;
 *   5. the fleet-wide in-flight cap (MAX_IN_FLIGHT_GLOBAL), its own key in `{global}`.
 * A dry run peeks everything and takes nothing.
 */

export interface Staged {
  decision: Decision;
  view: GuardView;
  /** Taken in stage 2 (released by the caller's finally, acted or not). */
  lease: Lease | undefined;
  /** A slot of the fleet's rate was taken (given back by the caller if it did not act). */
  rateTaken: boolean;
  /** A slot of MAX_IN_FLIGHT_GLOBAL was taken (given back by the caller's finally). */
  globalSlot: boolean;
  control: ControlRead;
}

export async function decideStep(
  deps: StepDeps,
  x: {
    s: StepRun;
    resolved: ResolvedTargets;
    request: GuardRequest;
    describe: string;
    /** Names a pause of a target may use for this step. */
    names: string[];
    disruptive: boolean;
    /** This step's member of the fleet's rate window. */
    member: string;
    isDry: boolean;
  },
): Promise<Staged> {
  const { s, resolved } = x;
  const data = s.job.data;
  const read = () =>
    readControl(deps.control, {
      host: data.host,
      remediation: data.remediation.id,
      names: x.names,
      jobId: s.job.id!,
      step: s.step,
      targets: resolved.containers.length,
      now: Date.now(),
    });
  const control = await read();
  const input: DecideInput = {
    remediation: data.remediation,
    step: s.step,
    jobId: s.job.id!,
    describe: x.describe,
    when: s.verdict,
    targets: { ok: true, description: resolved.description, count: resolved.containers.length },
    guards: unaskedGuardView(data.remediation, deps.maxInFlight),
    control: control.view,
    dryRun: s.dryRun,
  };
  if (x.isDry) {
    const view = await deps.guards.peek(x.request);
    const rate = x.disruptive ? await deps.control.fleetRate.peek(x.member) : undefined;
    const minHealthy = minHealthyOf(resolved, view.share?.used ?? 0);
    const decision = decide({ ...input, guards: view, radius: { minHealthy, rate } });
    return { decision, view, lease: undefined, rateTaken: false, globalSlot: false, control };
  }
  const first = decide(input);
  if (first.kind !== 'act')
    return { decision: first, view: input.guards!, lease: undefined, rateTaken: false, globalSlot: false, control };

  const { lease, view } = await deps.guards.acquire(x.request);
  const minHealthy = minHealthyOf(resolved, view.share?.used ?? 0);
  let decision = decide({ ...input, guards: view, radius: { minHealthy } });
  let rateTaken = false;
  if (decision.kind === 'act' && x.disruptive) {
    const rate = await deps.control.fleetRate.take(x.member);
    rateTaken = !rate.blocked;
    decision = decide({ ...input, guards: view, radius: { minHealthy, rate } });
  }
  if (decision.kind === 'act' && (await deps.control.pauses.changedSince(control.version))) {
    const again = await read();
    decision = decide({ ...input, control: again.view, guards: view, radius: { minHealthy } });
  }
  let globalSlot = false;
  if (decision.kind === 'act' && deps.globalCap) {
    // The host's guards are held; the fleet-wide cap is its own key (its own Cluster slot).
    const slot = await deps.globalCap.take(s.job.id!);
    if (slot.taken) globalSlot = true;
    else {
      decision = {
        kind: 'wait',
        on: 'in_flight',
        detail: `${slot.used} actions already in flight across all hosts (MAX_IN_FLIGHT_GLOBAL ${slot.max}): it waits for a slot`,
        retryInMs: undefined,
      };
    }
  }
  if (decision.kind !== 'act' && rateTaken) {
    await deps.control.fleetRate.giveBack(x.member);
    rateTaken = false;
  }
  return { decision, view, lease, rateTaken, globalSlot, control };
}
