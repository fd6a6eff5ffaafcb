/**
 * The one way remediator replaces a container (recreate, rollback): the old one is renamed
 * aside, a new one is created from its configuration under the original name, the old one is
 * stopped, the new one started and verified, and only then is the old one removed. If the new
 * one does not come up, it is removed and the old one renamed back and started: the old
 * container is never lost before the new one is verified.
 *
 * Every phase is written to the job memo before it runs and checked against Docker on a rerun,
 * so a worker that dies at any point leaves a state the next run finishes or rolls back.
 */
import type { ContainerInfo, DockerPort } from '../docker/port.js';
import {
  PermanentError,
  RefusedError,
  RolledBackError,
  TransientError,
  coerceError,
  isPermanent,
  type PermanentKind,
} from '../errors.js';
import { inspectIfThere, readJson, upPolicy, waitUp, writeJson } from './support.js';
import type { ActionContext, ActionResult } from './types.js';

/** On the new container: which container it replaces (a rerun adopts it, never a stranger). */
export const RECREATED_FROM_LABEL = 'remediator.recreated-from';

export interface RecreateOptions {
  image?: string | undefined;
  env?: Record<string, string> | undefined;
  stopTimeoutSeconds: number;
}

export interface RecreatePlan {
  attempt: number;
  name: string;
  oldId: string;
  oldImage: string;
  oldImageId: string;
  /** The image the new container gets (the old one's when no override). */
  image: string;
  imageOverride: boolean;
  tempName: string;
  wasRunning: boolean;
  newId?: string | undefined;
  newImage?: string | undefined;
  phase: 'planned' | 'created' | 'verified' | 'done' | 'rolling-back' | 'rolled-back';
  /** How it was verified, or why it was rolled back. */
  detail?: string | undefined;
  /** Set when the cause of a rollback cannot pass by retrying (no such image): its kind. */
  permanent?: PermanentKind | undefined;
}

/** What one container's recreate did. */
export interface Recreated {
  name: string;
  oldId: string;
  newId: string;
  oldImage: string;
  oldImageId: string;
  newImage: string;
  /** How the new container was verified ("api running/healthy"). */
  detail: string;
  /** A rerun found it done already. */
  already: boolean;
}

const planKey = (name: string) => `recreate:${name}`;

const ASIDE = '-remediator-old-';

/** The aside name of the old container while its replacement is verified. */
export const asideName = (c: Pick<ContainerInfo, 'name' | 'id'>) => `${c.name}${ASIDE}${c.id.slice(0, 12)}`;

/** The name a container had before a recreate put it aside (its own name otherwise). */
export function originalName(c: Pick<ContainerInfo, 'name' | 'id'>): string {
  const suffix = `${ASIDE}${c.id.slice(0, 12)}`;
  return c.name.endsWith(suffix) && c.name.length > suffix.length ? c.name.slice(0, -suffix.length) : c.name;
}

/**
 * For the engine's resolve step: a container name that resolves to nothing may belong to a
 * recreate that died between renaming the old container aside and creating the new one. The
 * aside container is that target: the rerun finds its plan and finishes or rolls back.
 */
export async function findAside(docker: DockerPort, name: string): Promise<ContainerInfo | undefined> {
  const found = await docker.findContainers({ namePrefix: `${name}${ASIDE}` });
  return found.find((c) => originalName(c) === name);
}

/**
 * An unfinished plan for this container name (an earlier run died, or its rollback failed), or
 * this attempt's finished one. A finished plan of an earlier attempt does not count: a retry
 * recreates again.
 */
export async function currentPlan(ctx: ActionContext, name: string): Promise<RecreatePlan | undefined> {
  const plan = await readJson<RecreatePlan>(ctx.memo, planKey(name));
  if (!plan) return undefined;
  const finished = plan.phase === 'done' || plan.phase === 'rolled-back';
  return finished && plan.attempt !== ctx.attempt ? undefined : plan;
}

const save = (ctx: ActionContext, plan: RecreatePlan) => writeJson(ctx.memo, planKey(plan.name), plan);

/** The new container: by the id we noted, or one under the name that says it replaces the old one. */
async function ours(ctx: ActionContext, plan: RecreatePlan): Promise<ContainerInfo | undefined> {
  if (plan.newId) {
    const c = await inspectIfThere(ctx, plan.newId);
    if (c) return c;
  }
  const [c] = await ctx.docker.findContainers({ name: plan.name });
  return c && c.id !== plan.oldId && c.labels[RECREATED_FROM_LABEL] === plan.oldId ? c : undefined;
}

/** Put the old container back as it was: the new one removed, the old renamed back, started if it ran. */
async function rollBack(ctx: ActionContext, plan: RecreatePlan): Promise<void> {
  // Without the old container there is nothing to go back to: keep the new one, whatever it is.
  const old = await inspectIfThere(ctx, plan.oldId);
  if (!old) throw new Error(`the old container ${plan.oldId.slice(0, 12)} is gone; the new one is kept`);
  const fresh = await ours(ctx, plan);
  if (fresh) await ctx.docker.remove(fresh.id);
  if (old.name !== plan.name) await ctx.docker.rename(plan.oldId, plan.name);
  if (plan.wasRunning && !old.running) await ctx.docker.start(plan.oldId);
  ctx.log.warn({ containerId: plan.oldId, container: plan.name }, 'recreate rolled back: old container restored');
}

async function forward(ctx: ActionContext, plan: RecreatePlan, o: RecreateOptions): Promise<void> {
  const old = await ctx.docker.inspect(plan.oldId);
  if (old.name !== plan.tempName) await ctx.docker.rename(plan.oldId, plan.tempName);
  let fresh = await ours(ctx, plan);
  if (!fresh) {
    fresh = await ctx.docker.createFrom(plan.oldId, {
      name: plan.name,
      image: plan.imageOverride ? plan.image : undefined,
      env: o.env,
      labels: { [RECREATED_FROM_LABEL]: plan.oldId },
    });
    ctx.log.info({ containerId: fresh.id, container: plan.name, image: fresh.image }, 'replacement created');
  }
  if (plan.newId !== fresh.id) await save(ctx, { ...plan, newId: fresh.id, newImage: fresh.image, phase: 'created' });
  Object.assign(plan, { newId: fresh.id, newImage: fresh.image, phase: 'created' });
  // Stopped before the new one starts: both may want the same host ports.
  if ((await ctx.docker.inspect(plan.oldId)).running) await ctx.docker.stop(plan.oldId, o.stopTimeoutSeconds);
  if (!fresh.running) await ctx.docker.start(fresh.id);
  const up = await waitUp(ctx, fresh.id, upPolicy(ctx));
  if (!up.ok) throw new NotUpError(up.reason);
  plan.phase = 'verified';
  plan.detail = up.detail;
  await save(ctx, plan);
}

class NotUpError extends Error {}

/**
 * Recreate one container (a rerun resumes its plan). Throws {@link RolledBackError} when the
 * new container did not come up and the old one is back, or a PermanentError (its kind kept)
 * when the cause cannot pass by retrying (no such image): rolled back too.
 */
export async function recreateContainer(ctx: ActionContext, c: ContainerInfo, o: RecreateOptions): Promise<Recreated> {
  // A target found aside (a rerun after a crash) is the container of its original name.
  let plan = await currentPlan(ctx, originalName(c));
  if (!plan) {
    if (c.autoRemove) {
      throw new RefusedError(
        `${c.name} runs with --rm (AutoRemove): stopping it deletes it, so it cannot be kept until its replacement is verified`,
      );
    }
    plan = {
      attempt: ctx.attempt,
      name: originalName(c),
      oldId: c.id,
      oldImage: c.image,
      oldImageId: c.imageId,
      image: o.image ?? c.image,
      imageOverride: o.image !== undefined,
      tempName: asideName({ name: originalName(c), id: c.id }),
      wasRunning: c.running,
      phase: 'planned',
    };
    await save(ctx, plan);
  }
  const outcome = (already: boolean): Recreated => ({
    name: plan.name,
    oldId: plan.oldId,
    newId: plan.newId ?? '',
    oldImage: plan.oldImage,
    oldImageId: plan.oldImageId,
    newImage: plan.newImage ?? plan.image,
    detail: plan.detail ?? '',
    already,
  });
  if (plan.phase === 'rolled-back') throw failure(plan);
  if (plan.phase === 'done') return outcome(true);
  if (plan.phase === 'planned' || plan.phase === 'created') {
    try {
      await forward(ctx, plan, o);
    } catch (err) {
      const e = coerceError(err);
      plan.phase = 'rolling-back';
      plan.detail = e.message;
      if (!(e instanceof NotUpError) && isPermanent(e))
        plan.permanent = e instanceof PermanentError ? e.kind : 'refused';
      // A memo that cannot be written must not stop the rollback: the old container comes first.
      await save(ctx, plan).catch((m: Error) => ctx.log.error({ err: m.message }, 'recreate memo not written'));
    }
  }
  if (plan.phase === 'rolling-back') {
    try {
      await rollBack(ctx, plan);
    } catch (undo) {
      // The plan stays 'rolling-back' in the memo: the next run tries the rollback again.
      throw new TransientError(
        `recreate of ${plan.name} failed (${plan.detail}) and its rollback did not finish (${coerceError(undo).message}); the old container is ${plan.oldId.slice(0, 12)}`,
      );
    }
    plan.phase = 'rolled-back';
    await save(ctx, plan);
    throw failure(plan);
  }
  // Verified: now, and only now, the old container goes.
  if (await inspectIfThere(ctx, plan.oldId)) await ctx.docker.remove(plan.oldId);
  plan.phase = 'done';
  await save(ctx, plan);
  ctx.log.info({ containerId: plan.newId, container: plan.name, replaced: plan.oldId }, 'container recreated');
  return outcome(false);
}

/** The error a rolled-back recreate ends with (the same on every rerun). */
function failure(plan: RecreatePlan): Error {
  const reason = plan.detail ?? 'rolled back earlier';
  if (plan.permanent) {
    return new PermanentError(
      plan.permanent,
      `recreate of ${plan.name} rolled back: ${reason}; the old one is back under its own name`,
    );
  }
  return rolledBack(plan, reason);
}

function rolledBack(plan: RecreatePlan, reason: string): RolledBackError {
  const summary =
    `recreate of ${plan.name} rolled back: the new container (${plan.image}) did not come up (${reason}); ` +
    `the old one is back under its own name${plan.wasRunning ? ', running' : ''}`;
  const result: ActionResult = {
    summary,
    changed: false,
    details: { rolledBack: true, container: plan.name, oldId: plan.oldId, image: plan.image, reason },
    before: { [plan.name]: { id: plan.oldId, image: plan.oldImage } },
    after: { [plan.name]: { id: plan.oldId, image: plan.oldImage } },
  };
  return new RolledBackError(summary, result);
}
