/**
 * Small helpers the action files share: JSON in the memos (what a rerun after a crash reads
 * back), the opt-in check every new action repeats for itself, and a bounded, abortable wait
 * for a container to come up (recreate and rollback verify their own new container).
 */
import type { ContainerInfo } from '../docker/port.js';
import { RefusedError, TargetNotFoundError } from '../errors.js';
import { sleepUnless } from '../time.js';
import type { ActionContext, JobMemo } from './types.js';

/** A JSON value from a memo, or undefined. */
export async function readJson<T>(memo: JobMemo, key: string): Promise<T | undefined> {
  const raw = await memo.get(key);
  return raw === undefined ? undefined : (JSON.parse(raw) as T);
}

export async function writeJson(memo: JobMemo, key: string, value: unknown): Promise<void> {
  await memo.set(key, JSON.stringify(value));
}

/**
 * The engine resolves only opted-in containers; an action that creates, renames or rewires
 * containers checks again itself, so a wiring mistake can never reach a container nobody opted in.
 */
export function assertOptedIn(ctx: ActionContext, targets: ContainerInfo[] = ctx.targets): void {
  const out = targets.filter((c) => c.labels[ctx.optInLabel] !== 'true').map((c) => c.name);
  if (out.length > 0) throw new RefusedError(`${out.join(', ')} not opted in (label ${ctx.optInLabel}=true missing)`);
}

/** inspect, or undefined when the container is gone. */
export async function inspectIfThere(ctx: ActionContext, id: string): Promise<ContainerInfo | undefined> {
  try {
    return await ctx.docker.inspect(id);
  } catch (err) {
    if (err instanceof TargetNotFoundError) return undefined;
    throw err;
  }
}

/** The verification a recreated container must pass before the old one is removed. */
export interface UpPolicy {
  healthy: boolean;
  withinMs: number;
}

/** The step's verify policy, or 60 s, healthy where there is a health check. */
export function upPolicy(ctx: ActionContext): UpPolicy {
  return { healthy: ctx.verify?.healthy ?? true, withinMs: ctx.verify?.withinMs ?? 60_000 };
}

/** Why a container is not up yet, or undefined when it is. */
function notUp(c: ContainerInfo, policy: UpPolicy): string | undefined {
  if (!c.running || c.paused) return `${c.name} is ${c.state}`;
  if (policy.healthy && c.health !== 'none' && c.health !== 'healthy') return `${c.name} is ${c.health}`;
  return undefined;
}

/**
 * How long a container without a health check must stay up (same start, no restart) before
 * it counts as up: "running" right after a start says nothing about a process that dies in a
 * second, and the old container is removed on the strength of it. At most half the wait.
 */
export const SETTLE_MS = 3_000;

/**
 * Wait until the container runs (and is healthy, where it has a check; else has stayed up for
 * the settle time) within the policy's time. Gives up early when it exited and no restart
 * policy will bring it back.
 */
export async function waitUp(
  ctx: ActionContext,
  id: string,
  policy: UpPolicy,
): Promise<{ ok: true; detail: string } | { ok: false; reason: string }> {
  const started = Date.now();
  const settleMs = Math.min(SETTLE_MS, Math.floor(policy.withinMs / 2));
  let upSince: { at: number; startedAt: string } | undefined;
  for (;;) {
    const c = await ctx.docker.inspect(id);
    let why = notUp(c, policy);
    if (why === undefined && c.health === 'none') {
      if (upSince?.startedAt !== c.startedAt) upSince = { at: Date.now(), startedAt: c.startedAt };
      if (Date.now() - upSince.at < settleMs) why = `${c.name} up for less than ${settleMs} ms`;
    }
    if (why === undefined)
      return { ok: true, detail: `${c.name} ${c.state}${c.health !== 'none' ? `/${c.health}` : ''}` };
    const exited = !c.running && c.state !== 'created' && c.state !== 'restarting';
    if (exited && c.limits.restartPolicy.name === 'no')
      return { ok: false, reason: `${why} (exit code ${c.exitCode})` };
    if (Date.now() - started >= policy.withinMs) {
      return { ok: false, reason: `not up within ${Math.round(policy.withinMs / 1000)}s: ${why}` };
    }
    if (ctx.signal.aborted) return { ok: false, reason: `aborted while waiting: ${why}` };
    await sleepUnless(Math.min(250, policy.withinMs), ctx.signal);
  }
}
