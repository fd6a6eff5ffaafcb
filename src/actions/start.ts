import { Type } from '@sinclair/typebox';
import { defineAction } from './types.js';

export const StartParams = Type.Object({ type: Type.Literal('start') }, { additionalProperties: false });

export const start = defineAction(StartParams, {
  scope: 'container',
  disruptive: false,
  describe: (_p, on) => `start ${on} if stopped`,
  async run(_params, ctx) {
    const toStart = ctx.targets.filter((c) => !c.running);
    const names = toStart.map((c) => c.name);
    if (toStart.length === 0) return { summary: 'already running', changed: false, details: { started: [] } };
    if (ctx.dryRun) return { summary: `would start ${names.join(', ')}`, changed: false, details: { started: [] } };
    for (const c of toStart) {
      await ctx.docker.start(c.id);
      ctx.log.info({ containerId: c.id, container: c.name }, 'container started');
    }
    return { summary: `started ${names.join(', ')}`, changed: true, details: { started: names } };
  },
});
