// Scenarios 4 and 5, storm and memory: 1,000 alert episodes delivered 10 times each in groups
// of 20 (10,000 alerts in 500 POSTs, bounded concurrency) to `remediator start` with
// DRY_RUN=true, so the worker drains the jobs while the webhook takes the storm. Baseline: the
// naive prototype taking the same deliveries (it has no dedup: 10,000 jobs). RSS of each
// process idle and after its storm, from /proc/<pid>/status.
import { setTimeout as sleep } from 'node:timers/promises';
import { authHeaders, type BenchContext } from '../lib/context.js';
import { burst, type BurstResult } from '../lib/load.js';
import { stormDeliveries } from '../lib/payloads.js';
import { nowMs, num, ratio, type Row } from '../lib/stats.js';

const SETTLE_MS = 2_000;
const DRAIN_DEADLINE_MS = 120_000;

async function countKeys(ctx: BenchContext, pattern: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await ctx.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    n += keys.length;
  } while (cursor !== '0');
  return n;
}

const all202 = (b: BurstResult) => Object.keys(b.statuses).every((s) => s === '202');

export async function storm(ctx: BenchContext): Promise<{ rows: Row[]; data: Record<string, unknown> }> {
  const { episodes, groupSize, resends, concurrency } = ctx.settings.storm;
  const deliveries = stormDeliveries({ episodes, groupSize, resends });
  const alerts = episodes * resends;

  process.stdout.write(`[bench] storm: prototype takes ${deliveries.length} deliveries (${alerts} alerts)\n`);
  await ctx.flush();
  const proto = await ctx.prototype({ name: 'storm-prototype', mode: 'bullmq' });
  let protoData;
  try {
    await sleep(SETTLE_MS);
    const idle = proto.memory();
    const b = await burst(`${proto.url}/webhook/alertmanager`, {}, deliveries, concurrency);
    if (!all202(b)) throw new Error(`storm: the prototype answered ${JSON.stringify(b.statuses)}`);
    await sleep(SETTLE_MS);
    protoData = {
      acceptMs: b.elapsedMs,
      statuses: b.statuses,
      latency: b.latency,
      jobs: (await ctx.jobCounts(proto.prefix)).total,
      idle,
      after: proto.memory(),
    };
  } finally {
    await proto.stop();
  }

  process.stdout.write(`[bench] storm: remediator start (DRY_RUN=true) takes the same deliveries\n`);
  await ctx.flush();
  const svc = await ctx.service({
    name: 'storm-start',
    role: 'start',
    remediationsDir: ctx.remediationsDir.shipped,
    env: { DRY_RUN: 'true' },
  });
  let real;
  try {
    await sleep(SETTLE_MS);
    const idle = svc.memory();
    const t0 = nowMs();
    const b = await burst(`${svc.url}/webhook/alertmanager`, authHeaders(ctx.token), deliveries, concurrency);
    if (!all202(b)) throw new Error(`storm: remediator answered ${JSON.stringify(b.statuses)}`);
    const accepted = await ctx.jobCounts(svc.prefix);
    const episodeKeys = await countKeys(ctx, `${svc.prefix}:episode:*`);
    // Drained: every job created has completed or failed (dry run: they complete).
    let drainedAt = Number.NaN;
    let counts = accepted;
    const deadline = Date.now() + DRAIN_DEADLINE_MS;
    while (Date.now() < deadline) {
      counts = await ctx.jobCounts(svc.prefix);
      if ((counts.byState.completed ?? 0) + (counts.byState.failed ?? 0) >= counts.total) {
        drainedAt = nowMs();
        break;
      }
      await sleep(20);
    }
    if (Number.isNaN(drainedAt))
      throw new Error(`storm: not drained within ${DRAIN_DEADLINE_MS} ms: ${JSON.stringify(counts.byState)}`);
    await sleep(SETTLE_MS);
    real = {
      acceptMs: b.elapsedMs,
      statuses: b.statuses,
      latency: b.latency,
      jobs: accepted.total,
      jobsByStateAtAccept: accepted.byState,
      episodeKeys,
      drainMs: drainedAt - t0,
      drainAfterAcceptMs: drainedAt - t0 - b.elapsedMs,
      finalStates: counts.byState,
      idle,
      after: svc.memory(),
    };
  } finally {
    await svc.stop();
  }

  const rows: Row[] = [
    {
      scenario: `storm: accept ${alerts.toLocaleString('en-US')} alerts`,
      figure: `${num(real.acceptMs / 1000, 's')} (p99 POST ${num(real.latency.p99, 'ms')})`,
      baseline: `prototype ${num(protoData.acceptMs / 1000, 's')}`,
      ratio: ratio(real.acceptMs, protoData.acceptMs),
      target: '< prototype',
      met: real.acceptMs < protoData.acceptMs,
      note:
        real.acceptMs < protoData.acceptMs
          ? undefined
          : `${num(real.acceptMs - protoData.acceptMs, 'ms')} slower than the prototype`,
    },
    {
      scenario: 'storm: jobs created',
      figure: `${real.jobs} (episode records ${real.episodeKeys})`,
      baseline: `prototype ${protoData.jobs} (no dedup)`,
      ratio: ratio(real.jobs, protoData.jobs),
      target: `exactly ${episodes}`,
      met: real.jobs === episodes && real.episodeKeys === episodes,
    },
    {
      scenario: 'storm: drained (dry run)',
      figure: `${num(real.drainMs / 1000, 's')} from the first POST`,
      baseline: `${num(real.drainAfterAcceptMs / 1000, 's')} after the last 202`,
      ratio: '-',
      target: '(no target)',
      met: undefined,
    },
    {
      scenario: 'RSS idle',
      figure: num(real.idle.rssMB, 'MB'),
      baseline: `prototype ${num(protoData.idle.rssMB, 'MB')}`,
      ratio: ratio(real.idle.rssMB, protoData.idle.rssMB),
      target: '≤ 90 MB',
      met: real.idle.rssMB <= 90,
      note: real.idle.rssMB <= 90 ? undefined : `${num(real.idle.rssMB - 90, 'MB')} over`,
    },
    {
      scenario: 'RSS after the storm',
      figure: `${num(real.after.rssMB, 'MB')} (peak ${num(real.after.peakMB, 'MB')})`,
      baseline: `prototype ${num(protoData.after.rssMB, 'MB')}`,
      ratio: ratio(real.after.rssMB, protoData.after.rssMB),
      target: '≤ 200 MB',
      met: real.after.rssMB <= 200,
      note: real.after.rssMB <= 200 ? undefined : `${num(real.after.rssMB - 200, 'MB')} over`,
    },
  ];
  return {
    rows,
    data: {
      deliveries: deliveries.length,
      alerts,
      episodes,
      groupSize,
      resends,
      concurrency,
      remediator: real,
      prototype: protoData,
    },
  };
}
