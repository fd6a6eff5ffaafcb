import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import { parseFor, pauseIdOf, scopeFrom, scopeText, type Pause } from '../guards/pauses.js';
import { usageLine } from './help.js';
import type { CliIO } from './io.js';
import { iso, reasonFrom, whoFrom, withOperator } from './operator-io.js';
import { EXIT, humanDuration, paintFor, table } from './term.js';

/**
 * `remediator pause`, `resume` and `pauses`: step remediator aside for one target, one
 * remediation or everything (`--all`, the kill switch). Held jobs wait (not dropped) and act
 * once the pause ends or is resumed.
 */

const SCOPE = {
  target: { type: 'string' },
  remediation: { type: 'string' },
  all: { type: 'boolean' },
  by: { type: 'string' },
  reason: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function scopeOf(values: { target?: string; remediation?: string; all?: boolean }, usage: string) {
  try {
    return scopeFrom(values);
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${usage}`);
  }
}

export async function pauseCommand(argv: string[], io: CliIO): Promise<number> {
  const usage = usageLine('pause');
  const { values } = parseArgs({ args: argv, options: { ...SCOPE, for: { type: 'string' } } });
  const scope = scopeOf(values, usage);
  if (values.for === undefined)
    throw new UsageError(`--for is required (e.g. --for 1h): a pause ends by itself\n${usage}`);
  const forMs = parseFor(values.for);
  const reason = reasonFrom(values.reason, usage);
  const by = whoFrom(values.by, io.env);
  const p = await withOperator(io, (op) => op.pause(scope, { by, reason, forMs }));
  if (values.json) io.out.write(`${JSON.stringify(p, null, 2)}\n`);
  else
    io.out.write(
      `paused ${scopeText(scope)} until ${iso(p.until)} (${humanDuration(forMs)}), by ${by}: ${reason}\n` +
        `  held jobs wait and act once it ends; end it now with: remediator resume ${resumeFlags(p)}\n`,
    );
  return EXIT.ok;
}

const resumeFlags = (p: Pause) =>
  p.scope.kind === 'all'
    ? '--all'
    : p.scope.kind === 'target'
      ? `--target ${p.scope.host}/${p.scope.name}`
      : `--remediation ${p.scope.id}`;

export async function resumeCommand(argv: string[], io: CliIO): Promise<number> {
  const usage = usageLine('resume');
  const { values } = parseArgs({ args: argv, options: SCOPE });
  const id = pauseIdOf(scopeOf(values, usage));
  const by = whoFrom(values.by, io.env);
  const r = await withOperator(io, (op) => op.resume(id, { by, reason: values.reason?.trim() ?? '' }));
  if (values.json) io.out.write(`${JSON.stringify(r, null, 2)}\n`);
  else if (!r.pause) io.err.write(`remediator resume: no pause ${id} (remediator pauses lists them)\n`);
  else io.out.write(`resumed ${scopeText(r.pause.scope)} (paused by ${r.pause.by}); ${r.woken} held job(s) woken\n`);
  return r.pause ? EXIT.ok : EXIT.problems;
}

export async function pausesCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' } } });
  const pauses = await withOperator(io, (op) => op.pauses.list());
  if (values.json) {
    io.out.write(`${JSON.stringify({ pauses }, null, 2)}\n`);
    return EXIT.ok;
  }
  const p = paintFor(io.out, io.env);
  if (pauses.length === 0) {
    io.out.write(`${p.dim('no pauses: remediator acts on every remediation')}\n`);
    return EXIT.ok;
  }
  const rows = [
    ['SCOPE', 'UNTIL', 'BY', 'REASON'].map((h) => p.bold(h)),
    ...pauses.map((x) => [
      x.scope.kind === 'all' ? p.red(scopeText(x.scope)) : scopeText(x.scope),
      iso(x.until),
      x.by,
      x.reason,
    ]),
  ];
  io.out.write(`${table(rows).join('\n')}\n`);
  return EXIT.ok;
}
