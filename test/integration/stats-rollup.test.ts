// The effectiveness rollups' Lua against a real Redis: each fact counts exactly once whatever
// order and however often it arrives (at-least-once jobs, re-sent resolved notifications, the
// webhook and the worker racing), a re-fire counts once per success and window, and the
// recurrence marker opens the circuit in the guards' own script, with its reason.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { RemediationSpec } from '../../src/catalog/remediation.js';
import { createGuards, type GuardRequest } from '../../src/guards/index.js';
import { createHistoryStore, type HistoryRecord } from '../../src/history/index.js';
import { createStatsReader, createStatsWriter, openForRecurrence } from '../../src/stats/index.js';

const a = new Redis(inject('redisUrl'));
const b = new Redis(inject('redisUrl'));
afterAll(() => {
  a.disconnect();
  b.disconnect();
});

const T0 = Date.now() - 600_000;
const guards = { cooldownMs: 0, budget: undefined };
const spec = { guards } as Pick<RemediationSpec, 'guards'>;

function setup() {
  const prefix = `sr${randomBytes(4).toString('hex')}`;
  const deps = { prefix, retentionSeconds: 3600 };
  return {
    prefix,
    onA: createStatsWriter({ ...deps, redis: a }),
    onB: createStatsWriter({ ...deps, redis: b }),
    history: createHistoryStore({ ...deps, redis: a }),
    read: () => createStatsReader({ redis: a, prefix }).query({ since: T0 - 3_600_000 }),
  };
}

const rec = (jobId: string, over: Partial<HistoryRecord> = {}): HistoryRecord => ({
  jobId,
  remediation: 'flaky',
  hash: 'h',
  phase: 'fire',
  host: 'local',
  action: 'restart',
  alertname: 'A',
  fingerprint: 'fp',
  startsAt: new Date(T0).toISOString(),
  target: 'api',
  targets: ['api'],
  outcome: 'succeeded',
  summary: 'restarted api',
  escalation: undefined,
  attempts: 1,
  dryRun: false,
  receivedAt: T0 + 100,
  finishedAt: T0 + 2_000,
  durationMs: 1_900,
  steps: [],
  firedAt: T0,
  verifiedAt: T0 + 1_500,
  ...over,
});

describe('exactly once', () => {
  it('a job finished twice (at-least-once) and a resolved notification sent twice count once', async () => {
    const s = setup();
    const r = rec('j1');
    expect(await s.onA.apply(r, spec, 'finished')).toMatchObject({ finished: 1 });
    expect(await s.onA.apply(r, spec, 'finished')).toEqual({});
    const endsAt = new Date(T0 + 9_000).toISOString();
    expect(await s.onA.resolved('j1', T0 + 9_500, endsAt)).toEqual({ first: true, mttrMs: 9_000 });
    expect(await s.onA.resolved('j1', T0 + 19_500, endsAt)).toEqual({ first: false, mttrMs: undefined });
    const flaky = (await s.read()).remediations[0]!;
    expect(flaky).toMatchObject({ runs: 1, succeeded: 1 });
    expect(flaky.timeToResolve).toMatchObject({ count: 1, meanMs: 9_000 });
    expect(flaky.timeToVerified).toMatchObject({ count: 1, meanMs: 1_500 });
  });

  it('resolved before the outcome: kept (the outcome write does not overwrite it), counted when the record comes', async () => {
    const s = setup();
    expect(await s.onB.resolved('j2', T0 + 7_000, undefined)).toEqual({ first: true, mttrMs: undefined });
    await s.history.record(rec('j2'), 'final');
    expect(await s.onA.apply(rec('j2'), spec, 'finished')).toMatchObject({ finished: 1, mttr: 7_000 });
    expect(await s.history.get('j2')).toMatchObject({ outcome: 'succeeded', resolvedAt: T0 + 7_000 });
    expect(await s.history.record(rec('j2', { outcome: 'queued' }), 'initial')).toBe(false);
  });

  it('the worker finishing and the webhook resolving at the same moment, on two connections: once each', async () => {
    const s = setup();
    const ids = Array.from({ length: 40 }, (_, i) => `race${i}`);
    await Promise.all(
      ids.map((id, i) =>
        Promise.all([
          s.onA.apply(rec(id, { fingerprint: `fp${i}` }), spec, 'finished'),
          s.onB.resolved(id, T0 + 5_000, new Date(T0 + 4_000).toISOString()),
        ]),
      ),
    );
    const row = (await s.read()).remediations[0]!;
    expect(row.runs).toBe(40);
    expect(row.timeToResolve).toMatchObject({ count: 40, minMs: 4_000, maxMs: 4_000 });
  });
});

describe('recurrence', () => {
  it('a re-fire counts once per success and window; its story is on both records', async () => {
    const s = setup();
    await s.onA.apply(rec('ok1'), spec, 'finished');
    const refire = rec('n1', { firedAt: T0 + 60_000, outcome: 'queued' });
    expect(await s.onA.apply(refire, spec, 'opened')).toEqual({
      recurred: { prev: 'ok1', afterMs: 58_500, within: ['1h', '24h'] },
    });
    expect(await s.onB.apply(refire, spec, 'opened')).toEqual({});
    // It failed: the next episode is still after the same success, already counted.
    await s.onA.apply({ ...refire, outcome: 'escalated', verifiedAt: undefined }, spec, 'finished');
    expect((await s.onA.apply(rec('n2', { firedAt: T0 + 120_000 }), spec, 'opened')).recurred).toBeUndefined();
    await s.history.record(rec('ok1'), 'final');
    await s.history.record(refire, 'final');
    expect((await s.history.get('ok1'))?.refiredBy).toEqual({ jobId: 'n1', afterMs: 58_500 });
    expect((await s.history.get('n1'))?.recurrenceOf).toEqual({ jobId: 'ok1', afterMs: 58_500 });
    expect((await s.read()).remediations[0]!.recurrence).toEqual({
      within1h: { count: 1, rate: 1 },
      within24h: { count: 1, rate: 1 },
    });
  });

  it('two hours after a success is a recurrence within 24h, not within 1h; another alert is none', async () => {
    const s = setup();
    await s.onA.apply(rec('ok'), spec, 'finished');
    expect((await s.onA.apply(rec('other', { fingerprint: 'fp2' }), spec, 'opened')).recurred).toBeUndefined();
    const late = await s.onA.apply(rec('late', { firedAt: T0 + 1_500 + 7_200_000 }), spec, 'opened');
    expect(late.recurred?.within).toEqual(['24h']);
  });
});

describe('the recurrence marker in the guards', () => {
  it('opens the circuit of that remediation on that host, with its reason; other remediations act', async () => {
    const s = setup();
    await openForRecurrence(a, s.prefix, {
      remediation: 'flaky',
      host: 'local',
      reason: 'the fix does not hold: 2 of 3 …',
      openForMs: 60_000,
      now: Date.now(),
    });
    const g = createGuards({ redis: a, prefix: s.prefix, lockTtlMs: 10_000 });
    const request = (id: string): GuardRequest => ({
      host: 'local',
      jobId: `${id}.job`,
      fireJobId: `${id}.job`,
      remediation: { id, guards },
      locks: [`container/${id}`],
      subjects: [`container/${id}`],
      admit: true,
      checkResolved: true,
      maxInFlight: 10,
    });
    const blocked = await g.acquire(request('flaky'));
    expect(blocked.lease).toBeUndefined();
    expect(blocked.view.blocker).toBe('circuit_open');
    expect(blocked.view.budget.recurrence).toBe('the fix does not hold: 2 of 3 …');
    expect(blocked.view.budget.reopensInMs).toBeGreaterThan(50_000);
    expect((await g.peek(request('flaky'))).blocker).toBe('circuit_open');
    const other = await g.acquire(request('holds'));
    expect(other.view.blocker).toBeUndefined();
    await other.lease!.release({ acted: false });
    // One open circuit, the recurrence's: the blocked acquire does not list its target as another.
    expect((await g.listOpenCircuits()).map((c) => [c.remediation, c.subject])).toEqual([['flaky', 'recurrence']]);
  });
});
