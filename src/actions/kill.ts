import { Type } from '@sinclair/typebox';
import { defineAction } from './types.js';

export const KillParams = Type.Object(
  {
    type: Type.Literal('kill'),
    signal: Type.Optional(Type.String({ pattern: '^(SIG)?[A-Z0-9]{2,10}$', default: 'SIGKILL' })),
  },
  { additionalProperties: false },
);

export const kill = defineAction(KillParams, {
  scope: 'container',
  disruptive: true,
  verifies: 'none',
  describe: (p, on) => `send ${p.signal ?? 'SIGKILL'} to ${on}`,
  async run(params, ctx) {
    const signal = params.signal ?? 'SIGKILL';
    const running = ctx.targets.filter((c) => c.running);
    const names = running.map((c) => c.name);
    if (running.length === 0) return { summary: 'not running, nothing to signal', changed: false, details: { signal } };
    if (ctx.dryRun)
      return { summary: `would send ${signal} to ${names.join(', ')}`, changed: false, details: { signal } };
    for (const c of running) {
      await ctx.docker.kill(c.id, signal);
      ctx.log.info({ containerId: c.id, container: c.name, signal }, 'container signalled');
    }
    return { summary: `sent ${signal} to ${names.join(', ')}`, changed: true, details: { signal, containers: names } };
  },
});
