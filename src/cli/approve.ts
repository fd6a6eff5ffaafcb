import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import { APPROVAL_ID_RULE } from '../guards/approvals.js';
import { usageLine } from './help.js';
import type { CliIO } from './io.js';
import { iso, reasonFrom, whoFrom, withOperator } from './operator-io.js';
import { EXIT, paintFor, table } from './term.js';

/**
 * `remediator approve|deny ID --reason "..."` and `remediator approvals`: answer a step that
 * waits for a human (the same as the Slack buttons and POST /api/v1/approvals/ID).
 */

const WHY: Record<string, string> = {
  missing: 'no such approval (remediator approvals lists those waiting)',
  answered: 'already answered',
  expired: 'its deadline passed: the step escalated, nothing was done',
  gone: 'its job no longer waits (the alert resolved, or the job was removed): nothing will run',
};

export async function answerCommand(decision: 'approve' | 'deny', argv: string[], io: CliIO): Promise<number> {
  const usage = usageLine(decision);
  const { values, positionals } = parseArgs({
    args: argv,
    options: { reason: { type: 'string' }, by: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new UsageError(`${decision} takes one approval ID\n${usage}`);
  const id = positionals[0]!.toLowerCase();
  if (!APPROVAL_ID_RULE.test(id)) throw new UsageError(`"${positionals[0]}" is not an approval ID (12 hex digits)`);
  const reason = reasonFrom(values.reason, usage);
  const by = whoFrom(values.by, io.env);
  const { result, approval } = await withOperator(io, (op) =>
    op.answer(id, decision, { by, reason, at: Date.now(), via: 'cli' }),
  );
  if (values.json) io.out.write(`${JSON.stringify({ result, approval }, null, 2)}\n`);
  else if (result === 'ok')
    io.out.write(`${decision === 'approve' ? 'approved' : 'denied'} ${id} (${approval?.describe ?? ''}) by ${by}\n`);
  else
    io.err.write(
      `remediator ${decision}: ${id}: ${WHY[result] ?? result}${approval?.answer ? ` (${approval.state} by ${approval.answer.by})` : ''}\n`,
    );
  return result === 'ok' ? EXIT.ok : EXIT.problems;
}

export async function approvalsCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { all: { type: 'boolean' }, json: { type: 'boolean' } },
  });
  const list = await withOperator(io, (op) => op.approvals.list({ all: values.all }));
  if (values.json) {
    io.out.write(`${JSON.stringify({ approvals: list }, null, 2)}\n`);
    return EXIT.ok;
  }
  const p = paintFor(io.out, io.env);
  if (list.length === 0) {
    io.out.write(`${p.dim(values.all ? 'no approval requests' : 'no step waits for an approval')}\n`);
    return EXIT.ok;
  }
  const rows = [
    ['ID', 'STATE', 'DEADLINE', 'REMEDIATION', 'STEP', 'WOULD', 'WHY'].map((h) => p.bold(h)),
    ...list.map((a) => [
      a.id,
      a.state === 'pending' ? p.yellow(a.state) : a.state,
      iso(a.deadline),
      a.remediation,
      a.step.name,
      a.describe,
      a.why,
    ]),
  ];
  io.out.write(`${table(rows).join('\n')}\n`);
  return EXIT.ok;
}
