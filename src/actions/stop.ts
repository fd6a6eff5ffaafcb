import { Type } from '@sinclair/typebox';
import { defineAction } from './types.js';

export const StopParams = Type.Object(
  {
    type: Type.Literal('stop'),
    stopTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 600, default: 10 })),
  },
  { additionalProperties: false },
);

export const stop = defineAction(StopParams, {
  scope: 'container',
  disruptive: true,
  verifies: 'none',
  describe: (p, on) => `stop ${on} (stop timeout ${p.stopTimeoutSeconds ?? 10}s)`,
  async run(params, ctx) {
    const t = params.stopTimeoutSeconds ?? 10;
    const toStop = ctx.targets.filter((c) => c.running);
    const names = toStop.map((c) => c.name);
    if (toStop.length === 0) return { summary: 'already stopped', changed: false, details: { stopped: [] } };
    if (ctx.dryRun) return { summary: `would stop ${names.join(', ')}`, changed: false, details: { stopped: [] } };
    for (const c of toStop) {
      await ctx.docker.stop(c.id, t);
      ctx.log.info({ containerId: c.id, container: c.name }, 'container stopped');
    }
    return {
      summary: `stopped ${names.join(', ')}`,
      changed: true,
      details: { stopped: names, stopTimeoutSeconds: t },
    };
  },
});
