// Scenario 6, cost that must not grow with what Redis holds (issue 17):
// - the /metrics scrape with 100k history rows and 100k episode keys in Redis, and open
//   circuits that must all be reported (remediator_circuit_open 1 for each, 0 for the rest);
// - one POST of 10 resolved alerts (episodes that fired and finished, their jobs since trimmed
//   by BullMQ's retention, as happens past removeOnComplete's 10,000) with 50k jobs of other
//   episodes waiting in the queue.
// Each beside the same request measured in the same run before Redis was filled (empty Redis,
// empty queue). The data is written the way remediator writes it: history through its own
// store, circuits through its own guards, jobs through BullMQ, episode records as SETs.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createGuards } from '../../src/guards/index.js';
import { createHistoryStore } from '../../src/history/store.js';
import type { HistoryRecord } from '../../src/history/types.js';
import { DEFAULT_HOST, hostKeys } from '../../src/keys.js';
import { REMEDIATION_QUEUE } from '../../src/queue/contract.js';
import type { BenchContext } from '../lib/context.js';
import { diskFullFiringBody, diskFullResolvedBody, fingerprint } from '../lib/payloads.js';
import { nowMs, num, ratio, summarize, type Row, type Summary } from '../lib/stats.js';

const HISTORY_ROWS = 100_000;
const EPISODE_KEYS = 100_000;
const BACKLOG = 50_000;
const RESOLVED = 10;
const SCRAPES = 30;
const RESOLVED_POSTS = 20;
/** Remediations of bench/remediations whose circuit the bench opens. */
const OPEN = ['bench-kill', 'bench-prune', 'bench-update'];
const CHUNK = 1_000;

/** `n` writes, `CHUNK` in flight at a time (ioredis pipelines what is in flight). */
async function chunked(n: number, write: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < n; i += CHUNK) {
    const batch: Promise<unknown>[] = [];
    for (let k = i; k < Math.min(n, i + CHUNK); k++) batch.push(write(k));
    await Promise.all(batch);
  }
}

async function timedGet(url: string): Promise<{ ms: number; text: string }> {
  const t = nowMs();
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return { ms: nowMs() - t, text };
}

function historyRow(i: number, now: number): HistoryRecord {
  return {
    jobId: `bench-history-${i}`,
    remediation: ['bench-prune', 'bench-restart', 'bench-kill'][i % 3]!,
    hash: 'bench',
    phase: 'fire',
    host: DEFAULT_HOST,
    action: 'prune',
    alertname: 'disk_full',
    fingerprint: fingerprint(0x4157, i),
    startsAt: new Date(now - i * 1000).toISOString(),
    target: `host-${i % 500}`,
    targets: [],
    outcome: i % 10 === 0 ? 'failed' : 'succeeded',
    summary: 'pruned 3 containers, reclaimed 12 MB',
    escalation: undefined,
    attempts: 1,
    dryRun: false,
    receivedAt: now - i * 10,
    finishedAt: now - i * 10 + 800,
    durationMs: 800,
    steps: [],
  };
}

export async function scale(ctx: BenchContext): Promise<{ rows: Row[]; data: Record<string, unknown> }> {
  await ctx.flush();
  const fps = Array.from({ length: RESOLVED }, (_, k) => fingerprint(0x7e50, k));

  // 1. The 10 episodes fire and finish (a dry run), as they would long before they resolve.
  process.stdout.write(`[bench] scale: ${RESOLVED} episodes fire and finish (remediator start, dry run)\n`);
  const runner = await ctx.service({
    name: 'scale-start',
    role: 'start',
    remediationsDir: ctx.remediationsDir.bench,
    env: { DRY_RUN: 'true' },
  });
  const queuePrefix = runner.queuePrefix;
  try {
    const watcher = await ctx.watchJobs(runner.prefix);
    try {
      const res = await runner.post(diskFullFiringBody(fps));
      if (res.status !== 202) throw new Error(`scale: firing POST answered ${res.status}`);
      const ids = (res.body.jobs as { jobId: string }[]).map((j) => j.jobId);
      for (const id of ids) await watcher.done(id);
      // Retention trimmed them (completed jobs beyond removeOnComplete's count): only the
      // episode records and history say they ran.
      const q = new Queue(REMEDIATION_QUEUE, { connection: ctx.redis, prefix: runner.prefix });
      for (const id of ids) await q.remove(id);
      await q.close();
    } finally {
      await watcher.close();
    }
  } finally {
    await runner.stop();
  }

  // 2. `serve` on the same data (no worker: the backlog stays waiting).
  const svc = await ctx.service({
    name: 'scale-serve',
    role: 'serve',
    remediationsDir: ctx.remediationsDir.bench,
    queuePrefix,
  });
  const redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: 1 });
  const queue = new Queue(REMEDIATION_QUEUE, { connection: redis, prefix: svc.prefix });
  try {
    const resolvedBody = diskFullResolvedBody(fps);
    const resolvedPosts = async (): Promise<Summary> => {
      const ms: number[] = [];
      for (let i = 0; i < RESOLVED_POSTS; i++) {
        const t = nowMs();
        const res = await svc.post(resolvedBody);
        ms.push(nowMs() - t);
        if (res.status !== 202) throw new Error(`scale: resolved POST answered ${res.status}`);
      }
      return summarize(ms);
    };
    const scrapes = async (): Promise<{ s: Summary; text: string }> => {
      const ms: number[] = [];
      let text = '';
      for (let i = 0; i < SCRAPES; i++) {
        const r = await timedGet(`${svc.url}/metrics`);
        ms.push(r.ms);
        text = r.text;
      }
      return { s: summarize(ms), text };
    };

    // The circuits opened through remediator's own guards: a budget of 1 run, a second job.
    const guards = createGuards({ redis, prefix: queuePrefix, lockTtlMs: 60_000 });
    for (const id of OPEN) {
      const ask = (jobId: string) =>
        guards.acquire({
          host: DEFAULT_HOST,
          jobId,
          fireJobId: jobId,
          remediation: { id, guards: { cooldownMs: 0, budget: { runs: 1, windowMs: 3_600_000 } } },
          locks: [`container/bench-circuit-${id}`],
          subjects: [`container/bench-circuit-${id}`],
          admit: true,
          checkResolved: false,
          maxInFlight: 100,
        });
      const first = await ask(`bench-circuit-${id}-1`);
      await first.lease?.release({ acted: true });
      const second = await ask(`bench-circuit-${id}-2`);
      if (second.view.blocker !== 'circuit_open')
        throw new Error(`scale: the circuit of ${id} did not open (${second.view.blocker})`);
    }

    process.stdout.write('[bench] scale: /metrics and resolved alerts on an empty Redis (baseline)\n');
    const scrapeEmpty = await scrapes();
    const resolvedEmpty = await resolvedPosts();

    process.stdout.write(
      `[bench] scale: writing ${HISTORY_ROWS.toLocaleString('en-US')} history rows, ${EPISODE_KEYS.toLocaleString('en-US')} episode keys, ${BACKLOG.toLocaleString('en-US')} waiting jobs\n`,
    );
    const t0 = nowMs();
    const history = createHistoryStore({ redis, prefix: queuePrefix, retentionSeconds: 7 * 24 * 3600 });
    const now = Date.now();
    await chunked(HISTORY_ROWS, (i) => history.record(historyRow(i, now), 'final'));
    const hk = hostKeys(queuePrefix, DEFAULT_HOST);
    await chunked(EPISODE_KEYS, (i) => redis.set(hk.episode(`bench-episode-${i}`), 'succeeded', 'EX', 3600));
    for (let i = 0; i < BACKLOG; i += CHUNK) {
      await queue.addBulk(
        Array.from({ length: Math.min(CHUNK, BACKLOG - i) }, (_, k) => ({
          name: 'bench-prune',
          data: { backlog: i + k },
          opts: { jobId: `bench-backlog-${i + k}` },
        })),
      );
    }
    const fillMs = nowMs() - t0;
    const keys = await redis.dbsize();
    const waiting = await queue.getWaitingCount();
    if (waiting < BACKLOG) throw new Error(`scale: ${waiting} jobs waiting, expected ${BACKLOG}`);

    process.stdout.write('[bench] scale: /metrics and resolved alerts at that size\n');
    const scrapeFull = await scrapes();
    const resolvedFull = await resolvedPosts();

    // Every open circuit reported, the others 0.
    const gauge = (text: string, id: string) =>
      new RegExp(`^remediator_circuit_open\\{remediation="${id}"\\} (\\d+)$`, 'm').exec(text)?.[1];
    const missing = OPEN.filter((id) => gauge(scrapeFull.text, id) !== '1');
    const wrong = ['bench-restart', 'bench-network'].filter((id) => gauge(scrapeFull.text, id) !== '0');
    const circuitsOk = missing.length === 0 && wrong.length === 0;

    const scrapeMet = scrapeFull.s.p50 <= 10 && circuitsOk;
    const resolvedMet = resolvedFull.p50 <= 5;
    const rows: Row[] = [
      {
        scenario: `/metrics scrape at ${HISTORY_ROWS / 1000}k history rows + ${EPISODE_KEYS / 1000}k episode keys (p50, n=${SCRAPES})`,
        figure: `${num(scrapeFull.s.p50, 'ms')} (max ${num(scrapeFull.s.max, 'ms')}); ${OPEN.length - missing.length}/${OPEN.length} open circuits reported`,
        baseline: `empty Redis ${num(scrapeEmpty.s.p50, 'ms')}`,
        ratio: ratio(scrapeFull.s.p50, scrapeEmpty.s.p50),
        target: '≤ 10 ms, every open circuit',
        met: scrapeMet,
        note: scrapeMet
          ? undefined
          : `${circuitsOk ? '' : `circuits not reported: ${missing.join(', ') || '-'}; wrongly open: ${wrong.join(', ') || '-'}; `}p50 ${num(scrapeFull.s.p50, 'ms')}`,
      },
      {
        scenario: `${RESOLVED} resolved alerts in one POST at a ${BACKLOG / 1000}k backlog (p50, n=${RESOLVED_POSTS})`,
        figure: `${num(resolvedFull.p50, 'ms')} (max ${num(resolvedFull.max, 'ms')})`,
        baseline: `empty queue ${num(resolvedEmpty.p50, 'ms')}`,
        ratio: ratio(resolvedFull.p50, resolvedEmpty.p50),
        target: '≤ 5 ms',
        met: resolvedMet,
        note: resolvedMet ? undefined : `${num(resolvedFull.p50 - 5, 'ms')} over`,
      },
    ];
    return {
      rows,
      data: {
        historyRows: HISTORY_ROWS,
        episodeKeys: EPISODE_KEYS,
        backlog: BACKLOG,
        redisKeys: keys,
        fillMs,
        openCircuits: OPEN,
        circuitsReported: { missing, wronglyOpen: wrong },
        scrape: { empty: scrapeEmpty.s, full: scrapeFull.s },
        resolved: { alerts: RESOLVED, empty: resolvedEmpty, full: resolvedFull },
      },
    };
  } finally {
    await queue.close().catch(() => undefined);
    redis.disconnect();
    await svc.stop();
  }
}
