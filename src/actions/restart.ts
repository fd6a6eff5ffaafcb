import { Type } from '@sinclair/typebox';
import { defineAction } from './types.js';

export const RestartParams = Type.Object(
  {
    type: Type.Literal('restart'),
    /** Seconds Docker waits after SIGTERM before SIGKILL. */
    stopTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 600, default: 10 })),
  },
  { additionalProperties: false },
);

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
      // At-least-once: remember the start time seen before acting. If this attempt runs again
      // after the worker died and the container has started since, the restart already happened.
      // Keyed by attempt: a retry after a failed verification does restart again.
      const key = `restart:${ctx.attempt}:${target.id}`;
      const before = await ctx.memo.get(key);
      if (before !== undefined) {
        const now = await ctx.docker.inspect(target.id);
        if (now.startedAt !== before && now.running) {
          ctx.log.info(
            { containerId: target.id, startedAt: now.startedAt },
            'restart already done by an earlier attempt',
          );
          already.push(target.name);
          continue;
        }
      } else {
        await ctx.memo.set(key, target.startedAt);
      }
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
