import { Type } from '@sinclair/typebox';

import { defineAction } from './types.js';
import { ExecFailedError } from '../errors.js';

export const ExecParams = Type.Object(
  {
    type: Type.Literal('exec'),
    /** argv, run without a shell; literal strings (no templates), so alert labels never reach it. */
    command: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { minItems: 1, maxItems: 64 }),
    user: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' })),
    workdir: Type.Optional(Type.String({ pattern: '^/[^\\0]{0,1023}$' })),
    env: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*=' }), { maxItems: 64 })),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, default: 60 })),
    /** Output kept per stream (the tail), in the job result and in Slack. */
    maxOutputBytes: Type.Optional(Type.Integer({ minimum: 256, maximum: 65_536, default: 4096 })),
  },
  { additionalProperties: false },
);

export const exec = defineAction(ExecParams, {
  scope: 'container',
  disruptive: false,
  describe: (p, on) => `run ${JSON.stringify(p.command)} in ${on} (timeout ${p.timeoutSeconds ?? 60}s)`,
  async run(params, ctx) {
    const argv = params.command;
    const names = ctx.targets.map((c) => c.name).join(', ');
    if (ctx.dryRun) {
      return { summary: `would run ${JSON.stringify(argv)} in ${names}`, changed: false, details: { command: argv } };
    }
    const outputs: Record<string, unknown>[] = [];
    for (const c of ctx.targets) {
      const started = Date.now();
      const r = await ctx.docker.exec(c.id, {
        cmd: argv,
        user: params.user,
        workdir: params.workdir,
        env: params.env,
        timeoutMs: (params.timeoutSeconds ?? 60) * 1000,
        maxOutputBytes: params.maxOutputBytes ?? 4096,
        signal: ctx.signal,
      });
      const entry = { container: c.name, ...r, durationMs: Date.now() - started };
      outputs.push(entry);
      ctx.log.info({ containerId: c.id, exitCode: r.exitCode, durationMs: entry.durationMs }, 'exec finished');
      if (r.exitCode !== 0) {
        throw new ExecFailedError(
          `${JSON.stringify(argv)} in ${c.name} exited ${r.exitCode}: ${r.stderr.trim().slice(-500) || r.stdout.trim().slice(-500)}`,
          entry,
        );
      }
    }
    return {
      summary: `ran ${JSON.stringify(argv)} in ${names}: exit 0`,
      changed: true,
      details: { command: argv, outputs },
    };
  },
});
