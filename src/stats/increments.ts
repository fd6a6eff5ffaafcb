import type { HistoryRecord } from '../history/types.js';
import { cellOf } from './buckets.js';

/**
 * What one finished episode adds to the effectiveness rollups, from its history record: the
 * counters and the timings of the remediation's cell and of each step's. Pure, so what is
 * counted is unit-tested; rollup.ts applies it in Redis exactly once per record.
 */

export interface FinishIncrements {
  /** [field, amount] */
  counts: [string, number][];
  /** [field base, milliseconds]: count, sum, min, max and a histogram bucket each. */
  timings: [string, number][];
  /** When it was fixed (verified, or finished) for a succeeded episode: what a re-fire recurs after. */
  successAt: number | undefined;
  /** When it first acted, from its steps, should the first `job.acting` not have been recorded. */
  actedFallback: number | undefined;
}

/** When the step that fixed it ended: the last succeeded step of a succeeded episode. */
export function verifiedAtOf(r: Pick<HistoryRecord, 'outcome' | 'steps'>): number | undefined {
  if (r.outcome !== 'succeeded') return undefined;
  return [...r.steps].reverse().find((s) => s.outcome === 'succeeded')?.finishedAt;
}

/** The counters and timings a finished fire-phase record adds; undefined for other records. */
export function finishIncrements(r: HistoryRecord): FinishIncrements | undefined {
  if (r.phase !== 'fire' || r.outcome === 'queued') return undefined;
  const cell = cellOf(r.remediation, r.host);
  const counts: [string, number][] = [
    [`${cell}|runs`, 1],
    [`${cell}|o:${r.outcome}`, 1],
  ];
  const timings: [string, number][] = [];
  if (r.escalation) counts.push([`${cell}|esc`, 1], [`${cell}|e:${encodeURIComponent(r.escalation)}`, 1]);
  let run = 0;
  let passed = 0;
  for (const s of r.steps) {
    const sc = cellOf(r.remediation, r.host, s.name);
    counts.push([`${sc}|runs`, 1], [`${sc}|o:${s.outcome}`, 1]);
    // A verification that threw leaves no `verification`, only errorKind 'verification'.
    const verified = s.verification !== undefined || s.errorKind === 'verification';
    if (verified) {
      const ok = s.verification?.ok === true ? 1 : 0;
      counts.push([`${sc}|vr`, 1], [`${sc}|vp`, ok]);
      run++;
      passed += ok;
    }
    if (s.outcome !== 'skipped' && s.durationMs !== undefined) timings.push([`${sc}|dur`, s.durationMs]);
  }
  if (run > 0) counts.push([`${cell}|vr`, run], [`${cell}|vp`, passed]);
  const firedAt = r.firedAt ?? Date.parse(r.startsAt);
  const verifiedAt = r.verifiedAt ?? verifiedAtOf(r);
  if (verifiedAt !== undefined && Number.isFinite(firedAt)) timings.push([`${cell}|ttv`, verifiedAt - firedAt]);
  const acting = r.steps.filter((s) => s.decision === 'act' && s.startedAt !== undefined).map((s) => s.startedAt!);
  return {
    counts: counts.filter(([, n]) => n !== 0),
    timings: timings.map(([f, ms]) => [f, Math.max(0, Math.round(ms))]),
    successAt: r.outcome === 'succeeded' ? (verifiedAt ?? r.finishedAt) : undefined,
    actedFallback: acting.length > 0 ? Math.min(...acting) : undefined,
  };
}
