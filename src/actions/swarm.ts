/**
 * Swarm services through the Swarm API, for a `ctx.swarm` target: scale (the spec's replicas,
 * bounded), redeploy (`update --force`: bump TaskTemplate.ForceUpdate) and rollback (to
 * PreviousSpec). Each update carries the spec version it was read at; each remembers its goal
 * in the job memo so a rerun after a crash does not scale or redeploy twice.
 */
import type { SwarmServiceInfo } from '../docker/port.js';
import { RefusedError } from '../errors.js';
import { readJson, writeJson } from './support.js';
import type { ActionContext, ActionResult } from './types.js';

async function service(ctx: ActionContext): Promise<SwarmServiceInfo> {
  return ctx.docker.inspectService(ctx.swarm!.id);
}

export interface SwarmScaleAsk {
  by?: number | undefined;
  replicas?: number | undefined;
  max: number;
  min?: number | undefined;
}

export async function scaleService(p: SwarmScaleAsk, ctx: ActionContext): Promise<ActionResult> {
  const svc = await service(ctx);
  if (svc.replicas === undefined)
    throw new RefusedError(`Swarm service ${svc.name} is global: it has no replicas to scale`);
  const min = p.min ?? 1;
  const remembered = await readJson<{ before: number; wanted: number }>(ctx.memo, 'scale:wanted');
  const before = remembered?.before ?? svc.replicas;
  const asked = p.replicas ?? before + (p.by ?? 1);
  const wanted = Math.min(p.max, Math.max(min, asked));
  if (!remembered && !ctx.dryRun) await writeJson(ctx.memo, 'scale:wanted', { before, wanted });
  const details = { service: svc.name, swarm: true, before: svc.replicas, wanted, max: p.max, min };
  if (svc.replicas === wanted) {
    const why = asked > p.max ? ` (bounded by max ${p.max})` : asked < min ? ` (bounded by min ${min})` : '';
    return {
      summary: `Swarm service ${svc.name} already has ${wanted} replicas${why}`,
      changed: false,
      details: { ...details, after: wanted },
      before: { replicas: svc.replicas },
      after: { replicas: wanted },
    };
  }
  if (ctx.dryRun) {
    return {
      summary: `would scale Swarm service ${svc.name} from ${svc.replicas} to ${wanted} replicas`,
      changed: false,
      details,
      before: { replicas: svc.replicas },
    };
  }
  await ctx.docker.updateService(svc.id, svc.version, { replicas: wanted });
  ctx.log.info({ service: svc.name, before: svc.replicas, wanted }, 'swarm service scaled');
  return {
    summary: `scaled Swarm service ${svc.name} from ${svc.replicas} to ${wanted} replicas`,
    changed: true,
    details: { ...details, after: wanted },
    before: { replicas: svc.replicas },
    after: { replicas: wanted },
  };
}

export async function redeployService(ctx: ActionContext): Promise<ActionResult> {
  const svc = await service(ctx);
  const key = `redeploy:${ctx.attempt}`;
  const remembered = await readJson<{ forceUpdate: number }>(ctx.memo, key);
  const details = { service: svc.name, swarm: true, image: svc.image };
  if (remembered && svc.forceUpdate > remembered.forceUpdate) {
    return { summary: `Swarm service ${svc.name} already redeployed`, changed: false, details };
  }
  if (ctx.dryRun) {
    return {
      summary: `would redeploy Swarm service ${svc.name} (update --force, image ${svc.image})`,
      changed: false,
      details,
    };
  }
  const from = remembered?.forceUpdate ?? svc.forceUpdate;
  if (!remembered) await writeJson(ctx.memo, key, { forceUpdate: from });
  await ctx.docker.updateService(svc.id, svc.version, { forceUpdate: from + 1 });
  ctx.log.info({ service: svc.name, forceUpdate: from + 1 }, 'swarm service redeployed');
  return {
    summary: `redeployed Swarm service ${svc.name} (update --force, image ${svc.image})`,
    changed: true,
    details,
    before: { forceUpdate: from },
    after: { forceUpdate: from + 1 },
  };
}

export async function rollbackService(ctx: ActionContext): Promise<ActionResult> {
  const svc = await service(ctx);
  const key = `rollback:${ctx.attempt}`;
  const remembered = await readJson<{ version: number; from: string; to: string }>(ctx.memo, key);
  if (remembered && svc.version > remembered.version && svc.image === remembered.to) {
    return {
      summary: `Swarm service ${svc.name} already rolled back from ${remembered.from} to ${remembered.to}`,
      changed: false,
      details: { service: svc.name, swarm: true, ...remembered },
      before: { image: remembered.from },
      after: { image: remembered.to },
    };
  }
  if (svc.previousImage === undefined)
    throw new RefusedError(`Swarm service ${svc.name} has no previous spec to roll back to`);
  const plan = { version: svc.version, from: svc.image, to: svc.previousImage };
  if (ctx.dryRun) {
    return {
      summary: `would roll back Swarm service ${svc.name} from ${plan.from} to ${plan.to}`,
      changed: false,
      details: { service: svc.name, swarm: true, ...plan },
      before: { image: plan.from },
    };
  }
  await writeJson(ctx.memo, key, plan);
  await ctx.docker.updateService(svc.id, svc.version, { rollback: 'previous' });
  ctx.log.info({ service: svc.name, from: plan.from, to: plan.to }, 'swarm service rolled back');
  return {
    summary: `rolled back Swarm service ${svc.name} from ${plan.from} to ${plan.to}`,
    changed: true,
    details: { service: svc.name, swarm: true, ...plan },
    before: { image: plan.from },
    after: { image: plan.to },
  };
}
