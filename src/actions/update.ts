/**
 * `update`: change a running container's CPU, memory, pids limits and restart policy in place
 * (`POST /containers/{id}/update`), each value absolute or a bounded factor of the current one.
 * The values it replaced are kept in the episode memo, first change wins, so that
 * `{ type: update, restore: true }` as the onResolved action puts them back.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { ContainerInfo, ResourceLimits, ResourceUpdate } from '../docker/port.js';
import { BadParamsError } from '../errors.js';
import { assertOptedIn, readJson, writeJson } from './support.js';
import { defineAction, type ActionContext, type ActionResult, type ParamProblem } from './types.js';
import {
  FIELDS,
  FIELD_NAMES,
  Size,
  askOf,
  bounded,
  bytesOf,
  describeChange,
  pick,
  policyText,
  restoreValue,
  swapFor,
  wanted,
  type Bounded,
} from './update-values.js';

export const UpdateParams = Type.Object(
  {
    type: Type.Literal('update'),
    /** Put back the values an earlier `update` of this episode replaced (onResolved). Alone. */
    restore: Type.Optional(Type.Boolean()),
    /** CPUs (NanoCpus): 0.5 is half a CPU. Not with cpuQuota/cpuPeriod (Docker refuses both). */
    cpus: Type.Optional(bounded(Type.Number({ minimum: 0.01, maximum: 1024 }))),
    /** Relative CPU weight (kernel default 1024). */
    cpuShares: Type.Optional(bounded(Type.Integer({ minimum: 2, maximum: 262_144 }))),
    /** CFS quota and period, microseconds. */
    cpuQuota: Type.Optional(bounded(Type.Integer({ minimum: 1000, maximum: 100_000_000 }))),
    cpuPeriod: Type.Optional(bounded(Type.Integer({ minimum: 1000, maximum: 1_000_000 }))),
    /** Bytes or `256m`; at least 6m (Docker's minimum). Swap follows unless memorySwap is given. */
    memory: Type.Optional(bounded(Size)),
    /** Memory + swap (finite: an unlimited swap does not reliably apply on update). */
    memorySwap: Type.Optional(Size),
    memoryReservation: Type.Optional(bounded(Size)),
    pidsLimit: Type.Optional(bounded(Type.Integer({ minimum: 1, maximum: 4_194_304 }))),
    restartPolicy: Type.Optional(
      Type.Object(
        {
          name: Type.Union([
            Type.Literal('no'),
            Type.Literal('always'),
            Type.Literal('unless-stopped'),
            Type.Literal('on-failure'),
          ]),
          maximumRetryCount: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
type Update = Static<typeof UpdateParams>;

const MIN_MEMORY = 6 * 1024 ** 2;
const sizeFields = ['memory', 'memoryReservation'] as const;

/** The episode memo field holding what a restore puts back, per container name. */
export const restoreKey = (container: string) => `update:restore:${container}`;

function check(p: Update): ParamProblem[] {
  const problems: ParamProblem[] = [];
  const given = FIELD_NAMES.filter((f) => p[f] !== undefined);
  if (p.restore && (given.length > 0 || p.restartPolicy))
    problems.push({ path: '/restore', reason: 'restore: true puts recorded values back; give no other value with it' });
  if (!p.restore && given.length === 0 && !p.restartPolicy)
    problems.push({
      path: '',
      reason: `nothing to update: give one of ${FIELD_NAMES.join(', ')}, restartPolicy, or restore: true`,
    });
  if (p.cpus !== undefined && (p.cpuQuota !== undefined || p.cpuPeriod !== undefined))
    problems.push({
      path: '/cpus',
      reason: 'cpus sets the CFS quota itself: give cpus or cpuQuota/cpuPeriod, not both',
    });
  for (const f of given) {
    const v = p[f] as Bounded<number | string>;
    if (typeof v === 'object' && typeof v.min !== 'undefined') {
      const parse = FIELDS[f].parse as (x: number | string) => number;
      if (parse(v.min) > parse(v.max)) problems.push({ path: `/${f}/min`, reason: `must not exceed max (${v.max})` });
    }
  }
  for (const f of sizeFields) {
    const v = p[f];
    if (v === undefined) continue;
    const values = typeof v === 'object' ? [v.min, v.max] : [v];
    if (f === 'memory' && values.some((x) => bytesOf(x) < MIN_MEMORY))
      problems.push({ path: '/memory', reason: 'must be at least 6m (Docker refuses less)' });
  }
  if (typeof p.memory !== 'object' && p.memory !== undefined) {
    const mem = bytesOf(p.memory);
    if (p.memorySwap !== undefined && bytesOf(p.memorySwap) < mem)
      problems.push({ path: '/memorySwap', reason: 'memory + swap must not be less than memory' });
    if (
      p.memoryReservation !== undefined &&
      typeof p.memoryReservation !== 'object' &&
      bytesOf(p.memoryReservation) > mem
    )
      problems.push({ path: '/memoryReservation', reason: 'must not exceed memory' });
  }
  if (p.restartPolicy?.maximumRetryCount !== undefined && p.restartPolicy.name !== 'on-failure')
    problems.push({ path: '/restartPolicy/maximumRetryCount', reason: 'only with name: on-failure' });
  return problems;
}

/** "cpus 0.5, memory x1.5 within 256MiB..1GiB". */
function describeAsk(p: Update): string {
  const parts = FIELD_NAMES.filter((f) => p[f] !== undefined).map((f) => {
    const v = p[f] as Bounded<number | string>;
    return typeof v === 'object' ? `${f} x${v.factor} within ${v.min}..${v.max}` : `${f} ${v}`;
  });
  if (p.restartPolicy)
    parts.push(
      `restart policy ${policyText({ name: p.restartPolicy.name, maximumRetryCount: p.restartPolicy.maximumRetryCount ?? 0 })}`,
    );
  return parts.join(', ');
}

/** Same value as Docker reads it back (a pids limit of -1 reads as 0). */
function sameValue(k: keyof ResourceLimits, a: unknown, b: unknown): boolean {
  if (k === 'pidsLimit') return Math.max(0, a as number) === Math.max(0, b as number);
  return JSON.stringify(a) === JSON.stringify(b);
}
const applied = (limits: ResourceLimits, change: ResourceUpdate) =>
  (Object.keys(change) as (keyof ResourceLimits)[]).every((k) => sameValue(k, limits[k], change[k]));

/** The change the file asks of this container now, in Docker's units (only what differs). */
function changeFor(p: Update, c: ContainerInfo): ResourceUpdate {
  const cur = c.limits;
  const change: Record<string, unknown> = {};
  for (const f of FIELD_NAMES) {
    const v = p[f];
    if (v === undefined) continue;
    const limit = FIELDS[f].limit;
    const to = wanted(askOf(f, v as Bounded<number | string>), cur[limit]);
    if (to !== undefined && !sameValue(limit, cur[limit], to)) change[limit] = to;
  }
  if (change.nanoCpus !== undefined && (cur.cpuQuota > 0 || cur.cpuPeriod > 0))
    throw new BadParamsError(`${c.name} has a CPU quota/period set: use cpuQuota instead of cpus`);
  if ((change.cpuQuota !== undefined || change.cpuPeriod !== undefined) && cur.nanoCpus > 0)
    throw new BadParamsError(`${c.name} has a cpus limit set: use cpus instead of cpuQuota/cpuPeriod`);
  if (change.memory !== undefined && change.memorySwap === undefined && p.memorySwap === undefined) {
    const swap = swapFor(change.memory as number, cur);
    if (swap !== cur.memorySwap) change.memorySwap = swap;
  }
  if (p.restartPolicy) {
    const policy = { name: p.restartPolicy.name, maximumRetryCount: p.restartPolicy.maximumRetryCount ?? 0 };
    if (!sameValue('restartPolicy', cur.restartPolicy, policy)) change.restartPolicy = policy;
  }
  return change as ResourceUpdate;
}

/** What puts the recorded values back on this container (only what differs now). */
async function restoreFor(ctx: ActionContext, c: ContainerInfo): Promise<ResourceUpdate | undefined> {
  const recorded = await readJson<ResourceUpdate>(ctx.episode, restoreKey(c.name));
  if (!recorded) return undefined;
  const needsEngine = (recorded.nanoCpus ?? 1) <= 0 || (recorded.memory ?? 1) <= 0;
  const engine = needsEngine ? await ctx.docker.engineInfo() : { cpus: 1, memoryBytes: 0 };
  const change: Record<string, unknown> = {};
  for (const k of Object.keys(recorded) as (keyof ResourceLimits)[]) {
    const v = recorded[k]!;
    change[k] = k === 'restartPolicy' ? v : restoreValue(k, v as number, engine);
  }
  // An unset swap follows the memory restored (finite: see swapFor).
  if (change.memorySwap === 0) delete change.memorySwap;
  if (change.memory !== undefined && change.memorySwap === undefined) {
    const memory = change.memory as number;
    change.memorySwap = recorded.memory !== undefined && recorded.memory <= 0 ? memory * 2 : swapFor(memory, c.limits);
  }
  return change as ResourceUpdate;
}

/** Record the values about to be replaced, keeping those an earlier change of the episode recorded. */
async function recordForRestore(ctx: ActionContext, c: ContainerInfo, change: ResourceUpdate): Promise<void> {
  const earlier = (await readJson<ResourceUpdate>(ctx.episode, restoreKey(c.name))) ?? {};
  await writeJson(ctx.episode, restoreKey(c.name), { ...pick(c.limits, change), ...earlier });
}

export const update = defineAction(UpdateParams, {
  scope: 'container',
  disruptive: false,
  check,
  describe: (p, on) =>
    p.restore ? `restore the limits of ${on} recorded earlier in this episode` : `update ${on}: ${describeAsk(p)}`,
  async run(params, ctx): Promise<ActionResult> {
    assertOptedIn(ctx);
    const lines: string[] = [];
    const already: string[] = [];
    const skipped: string[] = [];
    const before: Record<string, ResourceUpdate> = {};
    const after: Record<string, ResourceUpdate> = {};
    let changed = false;
    for (const c of ctx.targets) {
      // A rerun (the worker died) keeps the change computed first: a factor is applied once.
      const planKey = `update:${ctx.attempt}:${c.name}`;
      const planned = ctx.dryRun ? undefined : await readJson<ResourceUpdate>(ctx.memo, planKey);
      const change = planned ?? (params.restore ? await restoreFor(ctx, c) : changeFor(params, c));
      if (change === undefined) {
        skipped.push(c.name);
        continue;
      }
      if (Object.keys(change).length === 0 || applied(c.limits, change)) {
        already.push(c.name);
        continue;
      }
      before[c.name] = pick(c.limits, change);
      after[c.name] = change;
      lines.push(`${c.name}: ${describeChange(c.limits, change)}`);
      if (ctx.dryRun) continue;
      if (planned === undefined) {
        if (!params.restore) await recordForRestore(ctx, c, change);
        await writeJson(ctx.memo, planKey, change);
      }
      await ctx.docker.update(c.id, change);
      changed = true;
      ctx.log.info(
        { containerId: c.id, container: c.name, change },
        params.restore ? 'limits restored' : 'limits updated',
      );
    }
    const verb = params.restore ? 'restore' : 'update';
    const tail = [
      already.length > 0 ? `already as asked: ${already.join(', ')}` : '',
      skipped.length > 0 ? `nothing recorded to restore for ${skipped.join(', ')}` : '',
    ].filter(Boolean);
    const done = lines.length > 0 ? `${ctx.dryRun ? `would ${verb}` : `${verb}d`} ${lines.join('; ')}` : '';
    return {
      summary: [done, ...tail].filter(Boolean).join('; ') || 'nothing to update',
      changed,
      details: { changes: after, alreadyAsAsked: already, nothingRecorded: skipped, restore: params.restore === true },
      before,
      after,
    };
  },
});
