import { Type, type Static } from '@sinclair/typebox';
import type { ContainerInfo } from '../docker/port.js';
import { ExecFailedError } from '../errors.js';
import { defineAction, namesOf, type ParamProblem } from './types.js';

/**
 * Run a command in each target container: an argv array, never a shell, never a template (an
 * alert's labels choose the container, never the command). The command comes from the file
 * (`command`) or from a label the container's owner set when deploying it (`commandFromLabel`,
 * a JSON argv: e.g. `remediator.cleanup='["/app/cleanup", "--older-than", "7d"]'`). A run that
 * times out or is aborted is stopped inside the container before the step ends (the Docker
 * adapter kills it and confirms it is gone), so a retry never runs beside it.
 */

const Argv = Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { minItems: 1, maxItems: 64 });

export const ExecParams = Type.Object(
  {
    type: Type.Literal('exec'),
    /** argv, run without a shell; literal strings (no templates), so alert labels never reach it. */
    command: Type.Optional(Argv),
    /** Or: the argv (JSON array) in this label of each target container. */
    commandFromLabel: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', maxLength: 256 })),
    user: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' })),
    workdir: Type.Optional(Type.String({ pattern: '^/[^\\0]{0,1023}$' })),
    env: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*=' }), { maxItems: 64 })),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, default: 60 })),
    /** Output kept per stream (the tail), in the job result and in Slack. */
    maxOutputBytes: Type.Optional(Type.Integer({ minimum: 256, maximum: 65_536, default: 4096 })),
  },
  { additionalProperties: false },
);
type Exec = Static<typeof ExecParams>;

/** The argv for one container, or why there is none. */
function argvFor(p: Exec, c: ContainerInfo): string[] | string {
  if (p.command) return p.command;
  const raw = c.labels[p.commandFromLabel!];
  if (raw === undefined) return `${c.name} has no label ${p.commandFromLabel}`;
  try {
    const argv: unknown = JSON.parse(raw);
    if (
      Array.isArray(argv) &&
      argv.length > 0 &&
      argv.length <= 64 &&
      argv.every((a) => typeof a === 'string' && a !== '')
    ) {
      return argv as string[];
    }
  } catch {
    /* reported below */
  }
  return `${c.name}'s label ${p.commandFromLabel} is not a JSON array of strings (an argv)`;
}

export const exec = defineAction(ExecParams, {
  scope: 'container',
  disruptive: false,
  abortable: true,
  check(p) {
    const problems: ParamProblem[] = [];
    if ((p.command === undefined) === (p.commandFromLabel === undefined)) {
      problems.push({ path: '', reason: 'give either command (an argv) or commandFromLabel (a label holding one)' });
    }
    (p.command ?? []).forEach((arg, i) => {
      if (arg.includes('{{')) {
        problems.push({
          path: `/command/${i}`,
          reason:
            'templates are not allowed in an exec command: alert labels never reach a command (use commandFromLabel for a per-container command)',
        });
      }
    });
    (p.env ?? []).forEach((e, i) => {
      if (e.includes('{{')) problems.push({ path: `/env/${i}`, reason: 'templates are not allowed in exec env' });
    });
    return problems;
  },
  describe: (p, on) =>
    `run ${p.command ? JSON.stringify(p.command) : `the command in label ${p.commandFromLabel}`} in ${on} (timeout ${p.timeoutSeconds ?? 60}s)`,
  async run(params, ctx) {
    const names = namesOf(ctx.targets);
    const what = params.command ? JSON.stringify(params.command) : `the command in label ${params.commandFromLabel}`;
    if (ctx.targets.length === 0) {
      return { summary: `no opted-in container carries ${what}: nothing to run`, changed: false, details: {} };
    }
    if (ctx.dryRun) {
      return { summary: `would run ${what} in ${names}`, changed: false, details: { command: params.command ?? null } };
    }
    const outputs: Record<string, unknown>[] = [];
    for (const c of ctx.targets) {
      const argv = argvFor(params, c);
      if (typeof argv === 'string') throw new ExecFailedError(argv, { container: c.name });
      // At-least-once: an exec that finished for this attempt is not run again on a rerun.
      const done = await ctx.memo.get(`exec:${ctx.attempt}:${c.id}`);
      if (done !== undefined) {
        outputs.push(JSON.parse(done) as Record<string, unknown>);
        continue;
      }
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
      const entry = { container: c.name, command: argv, ...r, durationMs: Date.now() - started };
      outputs.push(entry);
      ctx.log.info({ containerId: c.id, exitCode: r.exitCode, durationMs: entry.durationMs }, 'exec finished');
      if (r.exitCode !== 0) {
        throw new ExecFailedError(
          `${JSON.stringify(argv)} in ${c.name} exited ${r.exitCode}: ${r.stderr.trim().slice(-500) || r.stdout.trim().slice(-500)}`,
          entry,
        );
      }
      await ctx.memo.set(`exec:${ctx.attempt}:${c.id}`, JSON.stringify(entry));
    }
    return {
      summary: `ran ${what} in ${names}: exit 0`,
      changed: true,
      details: { command: params.command ?? null, outputs },
    };
  },
});
