import { Type } from '@sinclair/typebox';
import { defineAction, type ActionContext } from './types.js';

export const RestartParams = Type.Object(
  {
    type: Type.Literal('restart'),
    /** Seconds Docker waits after SIGTERM before SIGKILL. */
    stopTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 600, default: 10 })),
  },
  { additionalProperties: false },
);

/** Docker's restart is the stop timeout, then a start: past this margin an earlier call did not happen. */
const START_MARGIN_MS = 10_000;
const POLL_MS = 250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An earlier run of this attempt asked Docker to restart the target at `askedAt` and did not
 * see it end (it died, or was handed back at a shutdown deadline while Docker went on with
 * it). True once the container has started again since `before`, waiting while the restart
 * may still be under way; false when it cannot be (the call never reached Docker).
 */
async function doneEarlier(
  ctx: ActionContext,
  id: string,
  before: string,
  askedAt: number,
  stopTimeoutS: number,
): Promise<boolean> {
  const until = askedAt + stopTimeoutS * 1000 + START_MARGIN_MS;
  for (;;) {
    const now = await ctx.docker.inspect(id);
    if (now.startedAt !== before && now.running) {
      ctx.log.info({ containerId: id, startedAt: now.startedAt }, 'restart already done by an earlier attempt');
      return true;
    }
    if (Date.now() >= until) return false;
    await sleep(Math.min(POLL_MS, until - Date.now()));
  }
}

export const restart = defineAction(RestartParams, {
  scope: 'container',
  disruptive: true,
  describe: (p, on) => `restart ${on} (stop timeout ${p.stopTimeoutSeconds ?? 10}s)`,
  async run(params, ctx) {
    const t = params.stopTimeoutSeconds ?? 10;
    const done: string[] = [];
    const already: string[] = [];
    for (const target of ctx.targets) {
      if (ctx.dryRun) continue;
      // At-least-once: remember the start time seen before acting, and when Docker was asked.
      // If this attempt runs again and the container has started since (or does while the
      // asked-for restart is still running), the restart already happened.
      // Keyed by attempt: a retry after a failed verification does restart again.
      const key = `restart:${ctx.attempt}:${target.id}`;
      const before = await ctx.memo.get(key);
      if (before !== undefined) {
        const askedAt = Number((await ctx.memo.get(`${key}:at`)) ?? 0);
        if (await doneEarlier(ctx, target.id, before, askedAt, t)) {
          already.push(target.name);
          continue;
        }
      } else {
        await ctx.memo.set(key, target.startedAt);
      }
      await ctx.memo.set(`${key}:at`, String(Date.now()));
      await ctx.docker.restart(target.id, t);
      ctx.log.info({ containerId: target.id, container: target.name }, 'container restarted');
      done.push(target.name);
    }
    const names = ctx.targets.map((c) => c.name).join(', ');
    if (ctx.dryRun)
      return { summary: `would restart ${names} (stop timeout ${t}s)`, changed: false, details: { containers: names } };
    return {
      summary: `restarted ${[...done, ...already].join(', ')}`,
      changed: true,
      details: { restarted: done, alreadyRestarted: already, stopTimeoutSeconds: t },
    };
  },
});
