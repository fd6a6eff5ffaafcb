/** `unpause`: thaw a paused container (the undo of `pause`, e.g. as an onResolved action). */
import { Type } from '@sinclair/typebox';
import { assertOptedIn } from './support.js';
import { defineAction } from './types.js';

export const UnpauseParams = Type.Object({ type: Type.Literal('unpause') }, { additionalProperties: false });

export const unpause = defineAction(UnpauseParams, {
  scope: 'container',
  disruptive: false,
  describe: (_p, on) => `unpause ${on} if paused`,
  async run(_params, ctx) {
    assertOptedIn(ctx);
    const toThaw = ctx.targets.filter((c) => c.paused);
    const names = toThaw.map((c) => c.name);
    const before = Object.fromEntries(ctx.targets.map((c) => [c.name, c.state]));
    if (toThaw.length === 0) {
      return {
        summary: 'not paused, nothing to unpause',
        changed: false,
        details: { unpaused: [] },
        before,
        after: before,
      };
    }
    if (ctx.dryRun)
      return { summary: `would unpause ${names.join(', ')}`, changed: false, details: { unpaused: [] }, before };
    for (const c of toThaw) {
      await ctx.docker.unpause(c.id);
      ctx.log.info({ containerId: c.id, container: c.name }, 'container unpaused');
    }
    return {
      summary: `unpaused ${names.join(', ')}`,
      changed: true,
      details: { unpaused: names },
      before,
      after: { ...before, ...Object.fromEntries(names.map((n) => [n, 'running'])) },
    };
  },
});
