import type { HistoryRecord } from '../history/types.js';
import { endMs } from '../history/story.js';
import { msText } from '../stats/format.js';
import type { Paint } from './term.js';

/**
 * The lines `remediator history` prints under a record: who held it (a pause) or answered for
 * it (an approval), when the alert resolved, whether it re-fired after the fix, and the tail
 * of each exec's output; with --details, every moment of
 * the episode's story (fired, first action, each step, verified). Pure.
 */

const clock = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');

/** Exec output entries of a step's details (outputs of a success, failure of a failed run). */
function execOutputs(details: Record<string, unknown> | undefined): Record<string, unknown>[] {
  if (!details) return [];
  const list = Array.isArray(details.outputs) ? details.outputs : [];
  const failure = details.failure;
  return [...list, ...(failure && typeof failure === 'object' ? [failure] : [])].filter(
    (e): e is Record<string, unknown> => typeof e === 'object' && e !== null && ('stdout' in e || 'stderr' in e),
  );
}

/** The last `n` non-empty lines of a text. */
const tail = (text: unknown, n: number): string[] =>
  typeof text === 'string'
    ? text
        .split('\n')
        .map((l) => l.trimEnd())
        .filter((l) => l !== '')
        .slice(-n)
    : [];

export function storyLines(r: HistoryRecord, p: Paint, details: boolean): string[] {
  const fired = r.firedAt ?? Date.parse(r.startsAt);
  const after = (t: number) => (Number.isFinite(fired) ? ` (${msText(Math.max(0, t - fired))} after firing)` : '');
  const lines: string[] = [];
  if (details) {
    if (Number.isFinite(fired)) lines.push(`fired      ${clock(fired)}`);
    if (r.firstActionAt !== undefined) lines.push(`acted      ${clock(r.firstActionAt)}${after(r.firstActionAt)}`);
    for (const s of r.steps) {
      const took = s.durationMs !== undefined ? `, ${msText(s.durationMs)}` : '';
      const why = s.errorKind ? ` (${s.errorKind})` : '';
      lines.push(
        `step ${s.index + 1}     ${s.name} ${s.action}: ${s.outcome}${why}${took}: ${s.summary.replace(/\s+/g, ' ')}`,
      );
      if (s.verification) lines.push(`           verified: ${s.verification.detail}`);
    }
    if (r.verifiedAt !== undefined) lines.push(`verified   ${clock(r.verifiedAt)}${after(r.verifiedAt)}`);
    if (r.escalation) lines.push(`escalated  ${r.escalation}`);
  }
  for (const z of r.pauses ?? []) {
    lines.push(
      `paused     ${z.step} held ${clock(z.heldAt)} by ${z.by}'s pause of ${z.scope} (set ${clock(z.from)}, until ${clock(z.until)}): ${z.reason}`,
    );
  }
  for (const a of r.approvals ?? []) {
    const who = a.by ? ` by ${a.by}` : '';
    lines.push(`${a.decision.padEnd(10)} ${a.step}${who} ${clock(a.at)}${a.reason ? `: ${a.reason}` : ''}`);
  }
  if (r.resolvedAt !== undefined) {
    const end = endMs(r.resolvedAt, r.endsAt);
    lines.push(`resolved   ${clock(end)}${after(end)}${r.endsAt ? '' : ' (no endsAt: when the notification came)'}`);
  }
  if (r.recurrenceOf)
    lines.push(`recurrence fired again ${msText(r.recurrenceOf.afterMs)} after the fix of ${r.recurrenceOf.jobId}`);
  if (r.refiredBy)
    lines.push(`did not hold: the alert fired again ${msText(r.refiredBy.afterMs)} later (${r.refiredBy.jobId})`);
  for (const s of r.steps) {
    for (const out of execOutputs(s.details)) {
      const who = typeof out.container === 'string' ? out.container : 'container';
      const code = typeof out.exitCode === 'number' ? `exit ${out.exitCode}` : 'exec';
      lines.push(`output     ${s.name} in ${who} (${code}):`);
      for (const stream of ['stdout', 'stderr'] as const) {
        for (const l of tail(out[stream], details ? 20 : 3))
          lines.push(`  ${stream === 'stderr' ? '!' : '|'} ${l.slice(0, 200)}`);
      }
    }
  }
  return lines.map((l) => p.dim(`    ${l}`));
}
