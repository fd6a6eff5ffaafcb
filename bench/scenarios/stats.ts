// Scenario 6, stats: 100,000 history records written as the worker writes them (the record,
// then its effectiveness rollup; 60% resolved through the webhook's path), spread over the last
// 7 days across 4 remediations x 3 hosts, then GET /api/v1/stats' query timed for 7 days, for
// one remediation on one host, and for 24 h. Baselines in the same run: a plain ZCARD (one
// round trip, the floor) and one scan of every record (what a query without rollups costs).
import { randomBytes } from 'node:crypto';
import type { HistoryRecord } from '../../src/history/index.js';
import { createHistoryStore } from '../../src/history/index.js';
import { historyKeys } from '../../src/keys.js';
import { createStatsReader, createStatsWriter } from '../../src/stats/index.js';
import type { BenchContext } from '../lib/context.js';
import { nowMs, num, summarize, type Row } from '../lib/stats.js';

const DAY = 86_400_000;
const REMEDIATIONS = ['high-latency', 'disk-full', 'queue-depth-high', 'flaky'];
const HOSTS = ['local', 'edge-1', 'edge-2'];
const OUTCOMES = ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'escalated', 'cooldown', 'skipped'] as const;
/** Writes in flight while filling (bounded), and queries timed per case. */
const IN_FLIGHT = 256;
const RUNS = 50;

export function benchRecord(i: number, now: number): HistoryRecord {
  const receivedAt = now - Math.floor((i / 100_000) * 7 * DAY) - (i % 997);
  const outcome = OUTCOMES[i % OUTCOMES.length]!;
  const fired = receivedAt - 400;
  const acted = outcome === 'succeeded' || outcome === 'escalated';
  const step = (index: number, name: string, ok: boolean) => ({
    index,
    name,
    action: 'restart',
    outcome: ok ? ('succeeded' as const) : ('failed' as const),
    decision: 'act',
    summary: ok ? 'restarted' : 'not verified',
    when: 'always',
    targets: ['api'],
    attempts: 1,
    startedAt: receivedAt + 100,
    finishedAt: receivedAt + 1_500 + (i % 50) * 10,
    durationMs: 1_400 + (i % 50) * 10,
    details: undefined,
    ...(ok ? { verification: { ok: true, detail: 'running', durationMs: 200 } } : { errorKind: 'verification' }),
  });
  return {
    jobId: `bench.${i.toString(16).padStart(16, '0')}.${fired}`,
    remediation: REMEDIATIONS[i % REMEDIATIONS.length]!,
    hash: 'bench',
    phase: 'fire',
    host: HOSTS[i % HOSTS.length]!,
    action: 'restart',
    alertname: 'BenchAlert',
    // 2,000 alerts re-firing: recurrences get counted too.
    fingerprint: (i % 2_000).toString(16).padStart(16, '0'),
    startsAt: new Date(fired).toISOString(),
    target: `c${i % 50}`,
    targets: [`c${i % 50}`],
    outcome,
    summary: outcome,
    escalation: outcome === 'escalated' ? 'verification_failed' : undefined,
    attempts: 1,
    dryRun: false,
    receivedAt,
    finishedAt: receivedAt + 2_000,
    durationMs: 1_900,
    steps: acted
      ? [step(0, 'restart', outcome === 'succeeded'), ...(i % 3 === 0 ? [step(1, 'scale-out', true)] : [])]
      : [],
    firedAt: fired,
  };
}

async function timeRuns(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 5; i++) await fn(); // warm-up: script cache, connection
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = nowMs();
    await fn();
    ms.push(nowMs() - t);
  }
  return ms;
}

export async function stats(ctx: BenchContext): Promise<{ rows: Row[]; data: Record<string, unknown> }> {
  const n = ctx.settings.statsRecords;
  await ctx.flush();
  const prefix = `bstats${randomBytes(3).toString('hex')}`;
  const deps = { redis: ctx.redis, prefix, retentionSeconds: 90 * 24 * 3600 };
  const history = createHistoryStore({ ...deps, maxRecords: n + 1 });
  const writer = createStatsWriter(deps);
  const reader = createStatsReader(deps);
  const now = Date.now();

  process.stdout.write(`[bench] stats: writing ${n.toLocaleString('en-US')} history records with their rollups\n`);
  const fillStart = nowMs();
  for (let from = 0; from < n; from += IN_FLIGHT) {
    const batch = Array.from({ length: Math.min(IN_FLIGHT, n - from) }, (_, k) => benchRecord(from + k, now));
    await Promise.all(
      batch.map(async (r, k) => {
        await history.record(r, 'final');
        await writer.apply(r, undefined, 'finished');
        if ((from + k) % 10 < 6)
          await writer.resolved(r.jobId, r.finishedAt! + 5_000, new Date(r.finishedAt! + 4_000).toISOString());
      }),
    );
  }
  const fillMs = nowMs() - fillStart;
  const k = historyKeys(prefix);
  const records = await ctx.redis.zcard(k.time);
  if (records !== n) throw new Error(`stats: ${records} records in history, expected ${n}`);

  process.stdout.write(`[bench] stats: timing the stats query (${RUNS} runs per case) beside ZCARD and a full scan\n`);
  const week = await timeRuns(() => reader.query({ since: now - 7 * DAY }));
  const one = await timeRuns(() => reader.query({ since: now - 7 * DAY, remediation: 'flaky', host: 'edge-1' }));
  const day = await timeRuns(() => reader.query({ since: now - DAY }));
  const zcard = await timeRuns(() => ctx.redis.zcard(k.time));
  const report = await reader.query({ since: now - 8 * DAY });
  if (report.total.runs !== n) throw new Error(`stats: the report counts ${report.total.runs} runs, expected ${n}`);

  // What answering from the records themselves would cost: read and parse every one, once.
  const scanStart = nowMs();
  let scanned = 0;
  for (let offset = 0; offset < n; offset += 1_000) {
    const ids = await ctx.redis.zrange(k.time, offset, offset + 999);
    const replies = (await ctx.redis.pipeline(ids.map((id) => ['hget', k.rec(id), 'json'])).exec()) ?? [];
    for (const [, json] of replies) if (typeof json === 'string' && JSON.parse(json)) scanned++;
  }
  const scanMs = nowMs() - scanStart;

  let rollupKeys = 0;
  let rollupBytes = 0;
  let cursor = '0';
  do {
    const [next, keys] = await ctx.redis.scan(cursor, 'MATCH', `${k.statsPrefix}[hd]:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      rollupKeys++;
      rollupBytes += Number(await ctx.redis.memory('USAGE', key)) || 0;
    }
  } while (cursor !== '0');
  await ctx.flush();

  const w = summarize(week);
  const z = summarize(zcard);
  const met = w.p99 < 50;
  const rows: Row[] = [
    {
      scenario: `stats: ${num(n)} history records, since 7d (${RUNS} runs)`,
      figure: `p50 ${num(w.p50, 'ms')}, p99 ${num(w.p99, 'ms')}`,
      baseline: `ZCARD p50 ${num(z.p50, 'ms')}; a scan of every record ${num(scanMs, 'ms')}`,
      ratio: `${num(scanMs / w.p50)}× faster than a scan`,
      target: '< 50 ms (p99)',
      met,
      note: met ? undefined : `p99 ${num(w.p99 - 50, 'ms')} over`,
    },
    {
      scenario: 'stats: one remediation on one host, 7d / all, 24h',
      figure: `p50 ${num(summarize(one).p50, 'ms')} / ${num(summarize(day).p50, 'ms')}`,
      baseline: `rollups: ${num(rollupKeys)} hashes, ${num(rollupBytes / 1024, 'KiB')}`,
      ratio: '-',
      target: '-',
      met: undefined,
    },
  ];
  return {
    rows,
    data: {
      records: n,
      fillMs,
      writesPerSec: (n * 1000) / fillMs,
      week: w,
      oneRemediationOneHost: summarize(one),
      day: summarize(day),
      zcard: z,
      scanMs,
      scanned,
      rollupKeys,
      rollupBytes,
    },
  };
}
