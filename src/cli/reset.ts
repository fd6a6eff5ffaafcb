import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import { usageLine } from './help.js';
import type { CliIO } from './io.js';
import { reasonFrom, whoFrom, withOperator } from './operator-io.js';
import { EXIT } from './term.js';

/**
 * `remediator reset --cooldown|--circuit ID TARGET --reason "..."`: re-arm a remediation on a
 * target once a human has dealt with why it kept firing. TARGET is what the target resolved
 * to, with its host: `api`, `local/container/api`, `service/shop/worker`, `swarm/web`, `host`.
 */
export async function resetCommand(argv: string[], io: CliIO): Promise<number> {
  const usage = usageLine('reset');
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      cooldown: { type: 'boolean' },
      circuit: { type: 'boolean' },
      reason: { type: 'string' },
      by: { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  const kinds = [values.cooldown ? 'cooldown' : undefined, values.circuit ? 'circuit' : undefined].filter(
    (k): k is 'cooldown' | 'circuit' => k !== undefined,
  );
  if (kinds.length === 0) throw new UsageError(`say what to reset: --cooldown, --circuit or both\n${usage}`);
  if (positionals.length !== 2) throw new UsageError(`reset takes a remediation ID and a TARGET\n${usage}`);
  const [remediation, target] = positionals as [string, string];
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(remediation)) {
    throw new UsageError(`"${remediation}" is not a remediation id\n${usage}`);
  }
  const reason = reasonFrom(values.reason, usage);
  const by = whoFrom(values.by, io.env);
  const results = await withOperator(io, async (op) => {
    const out = [];
    for (const kind of kinds) out.push({ kind, ...(await op.reset(kind, { remediation, target, by, reason })) });
    return out;
  });
  if (values.json) io.out.write(`${JSON.stringify({ reset: results }, null, 2)}\n`);
  else
    for (const r of results) {
      io.out.write(
        r.cleared
          ? `${r.kind} of ${remediation} on ${r.host}/${r.identity} reset by ${by}: the next episode acts\n`
          : `no ${r.kind === 'cooldown' ? 'cooldown' : 'counted run or open circuit'} of ${remediation} on ${r.host}/${r.identity}: nothing to reset (recorded anyway)\n`,
      );
    }
  return EXIT.ok;
}
