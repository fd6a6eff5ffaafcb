import { describe, expect, it } from 'vitest';
import type { StepRecord } from '../../../src/engine/types.js';
import { OUTPUT_TAIL_MAX, STEP_DETAILS_MAX, boundedStep } from '../../../src/history/recorder.js';
import { endMs, withStory } from '../../../src/history/story.js';
import type { HistoryRecord } from '../../../src/history/index.js';

// The story fields merged into a record, and exec output bounded by its tail.

const base = { jobId: 'j', outcome: 'succeeded' } as HistoryRecord;

describe('withStory', () => {
  it('merges the first action, the resolved notification and both sides of a re-fire', () => {
    expect(
      withStory(base, [
        '1000',
        JSON.stringify({ resolvedAt: 3000, endsAt: '2026-12-02T00:00:00Z' }),
        JSON.stringify({ jobId: 'prev', afterMs: 50 }),
        JSON.stringify({ jobId: 'next', afterMs: 70 }),
      ]),
    ).toEqual({
      ...base,
      firstActionAt: 1000,
      resolvedAt: 3000,
      endsAt: '2026-12-02T00:00:00Z',
      recurrenceOf: { jobId: 'prev', afterMs: 50 },
      refiredBy: { jobId: 'next', afterMs: 70 },
    });
  });

  it('leaves out what is absent or unreadable', () => {
    expect(withStory(base, [null, 'not json', undefined, ''])).toEqual(base);
  });

  it("endMs: Alertmanager's endsAt, else when the notification came (a zero endsAt too)", () => {
    expect(endMs(5, '2026-12-02T00:00:01.5Z')).toBe(Date.parse('2026-12-02T00:00:01.5Z'));
    expect(endMs(5, undefined)).toBe(5);
    expect(endMs(5, '0001-01-01T00:00:00Z')).toBe(5);
  });
});

describe('boundedStep', () => {
  const step = (details: Record<string, unknown>): StepRecord => ({
    index: 0,
    name: 'cleanup',
    action: 'exec',
    outcome: 'succeeded',
    decision: 'act',
    summary: '',
    when: 'always',
    targets: [],
    attempts: 1,
    startedAt: 0,
    finishedAt: 1,
    durationMs: 1,
    details,
  });

  it('keeps small details as they are', () => {
    const s = step({ outputs: [{ container: 'api', stdout: 'ok\n', stderr: '', exitCode: 0 }] });
    expect(boundedStep(s)).toBe(s);
  });

  it('cuts long exec output to its tail, keeping the end of the log', () => {
    const long = `${'x'.repeat(40_000)}\nTHE END`;
    const b = boundedStep(step({ outputs: [{ container: 'api', stdout: long, stderr: long, exitCode: 0 }] }));
    const out = (b.details!.outputs as Record<string, unknown>[])[0]!;
    expect(out).toMatchObject({ container: 'api', exitCode: 0, stdoutTruncated: true, stderrTruncated: true });
    expect(out.stdout).toHaveLength(OUTPUT_TAIL_MAX);
    expect(String(out.stdout).endsWith('\nTHE END')).toBe(true);
    expect(JSON.stringify(b.details).length).toBeLessThanOrEqual(STEP_DETAILS_MAX);
  });

  it("keeps collect's evidence readable: each log cut to its tail, the process list to its head", () => {
    const log = `${'GET /slow 3001ms\n'.repeat(2_000)}THE LAST LINE`;
    const evidence = (name: string) => ({
      container: name,
      inspect: { state: 'running', health: 'unhealthy' },
      logs: { text: log, lines: 2_001, truncated: false },
      stats: { cpuPercent: 50 },
      top: { titles: ['PID', 'CMD'], processes: Array.from({ length: 200 }, (_, i) => [String(i), 'sleep']) },
    });
    const b = boundedStep(step({ containers: [evidence('api'), evidence('db')], failed: [] }));
    expect(JSON.stringify(b.details).length).toBeLessThanOrEqual(STEP_DETAILS_MAX);
    expect(b.details).not.toHaveProperty('head');
    const [api, db] = b.details!.containers as Record<string, any>[];
    for (const c of [api!, db!]) {
      expect(c.inspect).toEqual({ state: 'running', health: 'unhealthy' });
      expect(c.logs.truncated).toBe(true);
      expect(c.logs.text.endsWith('THE LAST LINE')).toBe(true);
      expect(c.top.processes).toHaveLength(20);
      expect(c.top.truncated).toBe(true);
    }
    expect(api!.container).toBe('api');
  });

  it('cuts any other oversized details to a marked head', () => {
    const b = boundedStep(step({ evidence: 'y'.repeat(STEP_DETAILS_MAX * 2) }));
    expect(b.details).toMatchObject({ truncated: true });
    expect(String(b.details!.head)).toHaveLength(STEP_DETAILS_MAX);
  });
});
