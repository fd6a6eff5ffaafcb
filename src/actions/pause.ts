/**
 * `pause`: freeze a container's processes (cgroup freezer) without stopping it, e.g. a noisy
 * batch job while the service it starves recovers. Rerun-safe by state: a paused one is skipped.
 */
import { Type } from '@sinclair/typebox';
import { assertOptedIn } from './support.js';
import { defineAction } from './types.js';

export const PauseParams = Type.Object({ type: Type.Literal('pause') }, { additionalProperties: false });

export const pause = defineAction(PauseParams, {
  scope: 'container',
  disruptive: true,
  // A paused container is not meant to serve: only a verify.query applies.
  verifies: 'none',
  describe: (_p, on) => `pause ${on}`,
  async run(_params, ctx) {
    assertOptedIn(ctx);
    const toPause = ctx.targets.filter((c) => c.running && !c.paused);
    const names = toPause.map((c) => c.name);
    const already = ctx.targets.filter((c) => c.paused).map((c) => c.name);
    const before = Object.fromEntries(ctx.targets.map((c) => [c.name, c.state]));
    if (toPause.length === 0) {
      return {
        summary: already.length > 0 ? `already paused: ${already.join(', ')}` : 'not running, nothing to pause',
        changed: false,
        details: { paused: [], alreadyPaused: already },
        before,
        after: before,
      };
    }
    if (ctx.dryRun)
      return { summary: `would pause ${names.join(', ')}`, changed: false, details: { paused: [] }, before };
    for (const c of toPause) {
      await ctx.docker.pause(c.id);
      ctx.log.info({ containerId: c.id, container: c.name }, 'container paused');
    }
    return {
      summary: `paused ${names.join(', ')}`,
      changed: true,
      details: { paused: names, alreadyPaused: already },
      before,
      after: { ...before, ...Object.fromEntries(names.map((n) => [n, 'paused'])) },
    };
  },
});
