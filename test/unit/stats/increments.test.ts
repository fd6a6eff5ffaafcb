import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../../../src/engine/types.js';
import type { HistoryRecord } from '../../../src/history/index.js';
import { cellOf } from '../../../src/stats/buckets.js';
import { finishIncrements, verifiedAtOf } from '../../../src/stats/increments.js';

// What one finished episode adds to the rollups: every counter and timing, from its record.

const FIRED = Date.parse('2026-11-27T11:54:29.137452655Z');

const step = (index: number, over: Partial<StepRecord>): StepRecord => ({
  index,
  name: `s${index}`,
  action: 'restart',
  outcome: 'succeeded',
  decision: 'act',
  summary: '',
  when: 'always',
  targets: [],
  attempts: 1,
  startedAt: FIRED + 1_000,
  finishedAt: FIRED + 3_000,
  durationMs: 2_000,
  details: undefined,
  ...over,
});

const record = (over: Partial<HistoryRecord>): HistoryRecord => ({
  jobId: 'ladder.f.1',
  remediation: 'ladder',
  hash: 'h',
  phase: 'fire',
  host: 'local',
  action: 'restart',
  alertname: 'A',
  fingerprint: 'f',
  startsAt: '2026-11-27T11:54:29.137452655Z',
  target: 'api',
  targets: ['api'],
  outcome: 'succeeded',
  summary: '',
  escalation: undefined,
  attempts: 1,
  dryRun: false,
  receivedAt: FIRED + 500,
  finishedAt: FIRED + 9_000,
  durationMs: 8_000,
  steps: [],
  ...over,
});

const c = cellOf('ladder', 'local');
const s = (name: string) => cellOf('ladder', 'local', name);

describe('finishIncrements', () => {
  it('a ladder whose first step failed its verification and whose second fixed it', () => {
    const r = record({
      steps: [
        step(0, {
          name: 'restart',
          outcome: 'failed',
          errorKind: 'verification',
          finishedAt: FIRED + 4_000,
          durationMs: 3_000,
        }),
        step(1, {
          name: 'cleanup',
          action: 'exec',
          startedAt: FIRED + 4_100,
          finishedAt: FIRED + 6_000,
          durationMs: 1_900,
          verification: { ok: true, detail: 'api running', durationMs: 10 },
        }),
      ],
    });
    expect(verifiedAtOf(r)).toBe(FIRED + 6_000);
    expect(finishIncrements(r)).toEqual({
      counts: [
        [`${c}|runs`, 1],
        [`${c}|o:succeeded`, 1],
        [`${s('restart')}|runs`, 1],
        [`${s('restart')}|o:failed`, 1],
        [`${s('restart')}|vr`, 1],
        [`${s('cleanup')}|runs`, 1],
        [`${s('cleanup')}|o:succeeded`, 1],
        [`${s('cleanup')}|vr`, 1],
        [`${s('cleanup')}|vp`, 1],
        [`${c}|vr`, 2],
        [`${c}|vp`, 1],
      ],
      timings: [
        [`${s('restart')}|dur`, 3_000],
        [`${s('cleanup')}|dur`, 1_900],
        [`${c}|ttv`, 6_000],
      ],
      successAt: FIRED + 6_000,
      actedFallback: FIRED + 1_000,
    });
  });

  it('an escalation counts with its reason; a skipped step has no duration; nothing was a success', () => {
    const r = record({
      outcome: 'circuit_open',
      escalation: 'circuit_open',
      steps: [step(0, { outcome: 'skipped', decision: 'skip', durationMs: 5 })],
    });
    const inc = finishIncrements(r)!;
    expect(inc.counts).toEqual(
      expect.arrayContaining([
        [`${c}|o:circuit_open`, 1],
        [`${c}|esc`, 1],
        [`${c}|e:circuit_open`, 1],
        [`${cellOf('ladder', 'local', 's0')}|o:skipped`, 1],
      ]),
    );
    expect(inc.timings).toEqual([]);
    expect(inc).toMatchObject({ successAt: undefined, actedFallback: undefined });
  });

  it('counts nothing for a queued record or an onResolved job', () => {
    expect(finishIncrements(record({ outcome: 'queued' }))).toBeUndefined();
    expect(finishIncrements(record({ phase: 'resolve' }))).toBeUndefined();
  });

  it('a time before firing (clock skew) counts as zero, never negative', () => {
    const r = record({ steps: [step(0, { finishedAt: FIRED - 50 })] });
    expect(finishIncrements(r)!.timings.find(([f]) => f.endsWith('|ttv'))).toEqual([`${c}|ttv`, 0]);
  });
});
