import { Type } from '@sinclair/typebox';
import type { ContainerInfo } from '../docker/port.js';
import { RefusedError } from '../errors.js';
import { plural } from '../plural.js';
import { scaleService } from './swarm.js';
import { defineAction, type ActionContext, type ActionResult, type ParamProblem } from './types.js';

export const ScaleParams = Type.Object(
  {
    type: Type.Literal('scale'),
    /** Change in running replicas (negative scales in). Ignored when `replicas` is given. */
    by: Type.Optional(Type.Integer({ minimum: -100, maximum: 100, default: 1 })),
    /** Absolute number of running replicas wanted, e.g. the baseline to scale back to. */
    replicas: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    /** Never more running replicas than this. Required: scale-out is always bounded. */
    max: Type.Integer({ minimum: 1, maximum: 100 }),
    /** Never fewer running replicas than this. */
    min: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, default: 1 })),
  },
  { additionalProperties: false },
);

export const NUMBER_LABEL = 'com.docker.compose.container-number';
export const CREATED_BY_LABEL = 'remediator.created-by';
export const PROJECT_LABEL = 'com.docker.compose.project';

const numberOf = (c: ContainerInfo): number => Number(c.labels[NUMBER_LABEL] ?? 0) || 0;

async function scaleOut(ctx: ActionContext, running: ContainerInfo[], wanted: number): Promise<string[]> {
  const service = ctx.service!;
  const all = await ctx.docker.findContainers({ labels: service.selector });
  const taken = new Set(all.map((c) => c.name));
  let next = Math.max(0, ...all.map(numberOf)) + 1;
  // Clone the oldest replica remediator did not create: it carries the service's real config.
  const source = running.find((c) => c.labels[CREATED_BY_LABEL] === undefined) ?? running[0]!;
  // Compose v2 names replicas <project>-<service>-<n>; follow it so `docker compose ps` shows them.
  const project = service.project ?? source.labels[PROJECT_LABEL];
  const nameFor = (n: number) => (project ? `${project}-${service.name}-${n}` : `${service.name}-${n}`);
  const created: string[] = [];
  for (let i = running.length; i < wanted; i++) {
    let name = nameFor(next);
    while (taken.has(name)) name = nameFor(++next);
    taken.add(name);
    const replica = await ctx.docker.createReplica(source.id, {
      name,
      labels: { [NUMBER_LABEL]: String(next), [CREATED_BY_LABEL]: ctx.jobId, 'remediator.replica-of': source.name },
    });
    ctx.log.info({ containerId: replica.id, container: name, service: service.name }, 'replica created');
    created.push(name);
    next++;
  }
  return created;
}

async function scaleIn(ctx: ActionContext, running: ContainerInfo[], wanted: number): Promise<string[]> {
  // Only replicas remediator created are removed: the service's own containers are the user's.
  const ours = running
    .filter((c) => c.labels[CREATED_BY_LABEL] !== undefined)
    .sort((a, b) => numberOf(b) - numberOf(a));
  const removed: string[] = [];
  for (const c of ours.slice(0, Math.max(0, running.length - wanted))) {
    await ctx.docker.stop(c.id, 10);
    await ctx.docker.remove(c.id);
    ctx.log.info({ containerId: c.id, container: c.name }, 'replica removed');
    removed.push(c.name);
  }
  return removed;
}

export const scale = defineAction(ScaleParams, {
  scope: 'service',
  // Scaling in stops replicas; scaling out only adds.
  disruptive: (p) => (p.replicas !== undefined ? false : (p.by ?? 1) < 0),
  check(p) {
    const problems: ParamProblem[] = [];
    if (p.replicas !== undefined && p.replicas > p.max)
      problems.push({ path: '/replicas', reason: `must not exceed max (${p.max})` });
    if (p.min !== undefined && p.min > p.max) problems.push({ path: '/min', reason: `must not exceed max (${p.max})` });
    return problems;
  },
  describe: (p, on) =>
    p.replicas !== undefined
      ? `scale ${on} to ${plural(p.replicas, 'replica')} (bounded ${p.min ?? 1}..${p.max})`
      : `scale ${on} by ${p.by ?? 1} (at most ${p.max}, at least ${p.min ?? 1})`,
  async run(params, ctx): Promise<ActionResult> {
    // A Swarm service scales through its spec; a Compose service by cloning replicas.
    if (ctx.swarm) return scaleService(params, ctx);
    const service = ctx.service!;
    const projects = [...new Set(ctx.targets.map((c) => c.labels[PROJECT_LABEL] ?? ''))];
    if (projects.length > 1) {
      throw new RefusedError(
        `service ${service.name} exists in several Compose projects (${projects.join(', ')}); set target.project`,
      );
    }
    const running = ctx.targets.filter((c) => c.running);
    const min = params.min ?? 1;
    // A rerun of this job (worker died) keeps the goal computed the first time, so it cannot
    // add a second replica for the same episode.
    const remembered = await ctx.memo.get('scale:wanted');
    const before = remembered !== undefined ? Number(JSON.parse(remembered).before) : running.length;
    const asked = params.replicas ?? before + (params.by ?? 1);
    const wanted = Math.min(params.max, Math.max(min, asked));
    if (remembered === undefined && !ctx.dryRun) await ctx.memo.set('scale:wanted', JSON.stringify({ before, wanted }));
    const details = {
      service: service.name,
      project: service.project,
      before: running.length,
      wanted,
      max: params.max,
      min,
    };

    if (wanted === running.length) {
      const why =
        asked > params.max ? ` (bounded by max ${params.max})` : asked < min ? ` (bounded by min ${min})` : '';
      return {
        summary: `${service.name} already has ${plural(running.length, 'running replica')}${why}`,
        changed: false,
        details: { ...details, after: running.length },
      };
    }
    if (running.length === 0 && wanted > 0) {
      return {
        summary: `${service.name} has no running replica to clone`,
        changed: false,
        details: { ...details, after: 0 },
      };
    }
    if (ctx.dryRun) {
      return {
        summary: `would scale ${service.name} from ${running.length} to ${plural(wanted, 'replica')}`,
        changed: false,
        details,
      };
    }
    if (wanted > running.length) {
      const created = await scaleOut(ctx, running, wanted);
      const after = running.length + created.length;
      return {
        summary: `scaled ${service.name} from ${running.length} to ${plural(after, 'replica')}`,
        changed: true,
        details: { ...details, after, created },
      };
    }
    const removed = await scaleIn(ctx, running, wanted);
    const after = running.length - removed.length;
    return {
      summary: `scaled ${service.name} from ${running.length} to ${plural(after, 'replica')}`,
      changed: removed.length > 0,
      details: { ...details, after, removed },
    };
  },
});
