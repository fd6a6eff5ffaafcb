// Measures what one alert costs Redis, for docs/scaling.md: commands per alert (INFO
// commandstats around N webhook POSTs against a real `remediator start`, each waited for until
// its job finished) and memory per episode (MEMORY USAGE of every key it left, by key shape).
// Own Redis, own dockerd, a fake Slack; nothing shared. Run: npx tsx bench/redis-cost.ts
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { ensureBusyboxImage, freePort, startDockerd, startRedis, stopAll } from '../scripts/lib/daemons.js';
import { dockerFromHost } from '../scripts/lib/busybox-image.js';
import { createTestContainer } from '../test/support/docker.js';
import { startFakeSlack } from '../test/support/fake-slack.js';
import { spawnRemediator, type Proc } from '../test/support/process.js';
import { fingerprint, probeBody } from './lib/payloads.js';
import { parseCommandStats } from './lib/stats.js';
import { cpuMsOf, ROOT } from './lib/service.js';

const N = Number(process.env.COST_ALERTS ?? 100);
const TOKEN = 'redis-cost-token-0123456789';
// Our own probes (RESETSTAT, INFO, MEMORY USAGE, SCAN, DBSIZE) are not the service's cost.
const OURS = new Set(['config', 'info', 'memory', 'scan', 'dbsize', 'type', 'flushall']);
const ours = (cmd: string) => OURS.has(cmd.split('|')[0]!);

type Counts = Record<string, number>;
const total = (c: Counts) => Object.values(c).reduce((a, b) => a + b, 0);
const minus = (a: Counts, b: Counts, scale = 1): Counts =>
  Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0) * scale]));
const per = (c: Counts, n: number): Counts =>
  Object.fromEntries(
    Object.entries(c)
      .map(([k, v]) => [k, Math.round((v / n) * 100) / 100])
      .filter(([k, v]) => Number(v) > 0.004 && !ours(String(k))),
  );

async function stats(redis: Redis): Promise<Counts> {
  const all = parseCommandStats(await redis.info('commandstats'));
  return Object.fromEntries(Object.entries(all).filter(([k]) => !ours(k)));
}

/** Commands per second of an idle service (worker loops, gauges), to subtract from each phase. */
async function idleRate(redis: Redis, pid: number, ms: number): Promise<{ rate: Counts; cpuMsPerS: number }> {
  await redis.config('RESETSTAT');
  const cpu0 = cpuMsOf(pid);
  await sleep(ms);
  const c = await stats(redis);
  return {
    rate: Object.fromEntries(Object.entries(c).map(([k, v]) => [k, (v * 1000) / ms])),
    cpuMsPerS: ((cpuMsOf(pid) - cpu0) * 1000) / ms,
  };
}

async function post(port: number, body: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/webhook/alertmanager`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body,
  });
  if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
}

const finished = (svc: Proc) => svc.lines().filter((l) => /^job (succeeded|failed|escalated)/.test(l.msg ?? '')).length;

/** POST `bodies` one at a time; with `jobs`, wait for each job to finish before the next. */
async function phase(
  redis: Redis,
  redisPid: number,
  svc: Proc,
  port: number,
  idleStats: { rate: Counts; cpuMsPerS: number },
  bodies: string[],
  jobs: boolean,
): Promise<{ perAlert: Counts; total: number; redisCpuMsPerAlert: number }> {
  const idle = idleStats.rate;
  await redis.config('RESETSTAT');
  const t0 = Date.now();
  const cpu0 = cpuMsOf(redisPid);
  for (const body of bodies) {
    const before = finished(svc);
    await post(port, body);
    if (jobs) {
      const deadline = Date.now() + 30_000;
      while (finished(svc) === before) {
        if (Date.now() > deadline) throw new Error(`no job finished:\n${svc.output().slice(-2000)}`);
        await sleep(5);
      }
    }
  }
  // History, notifications (a Slack delivery takes longer than the job) land after the job:
  // wait until a second goes by at the idle rate again (bounded), then count.
  const idleTotal = total(idle);
  for (let i = 0; i < 60; i++) {
    const a = total(await stats(redis));
    await sleep(1000);
    if (total(await stats(redis)) - a <= idleTotal + 2) break;
  }
  const seconds = (Date.now() - t0) / 1000;
  const c = minus(await stats(redis), idle, seconds);
  const perAlert = per(c, bodies.length);
  // Redis' own CPU (user + system, 10 ms ticks), idle share removed: what saturates a shard.
  const cpu = (cpuMsOf(redisPid) - cpu0 - idleStats.cpuMsPerS * seconds) / bodies.length;
  return { perAlert, total: Math.round(total(perAlert) * 10) / 10, redisCpuMsPerAlert: Math.round(cpu * 1000) / 1000 };
}

/** Bytes per episode by key shape (ids replaced by *), from MEMORY USAGE of every key. */
async function memoryByShape(redis: Redis, n: number): Promise<{ shapes: Record<string, number>; total: number }> {
  const shapes: Record<string, number> = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const shape = key
        .replace(/[0-9a-f]{16}/g, '*')
        .replace(/bench-kill[^:]*/g, '<job>')
        .replace(/:\d+$/, ':<n>');
      shapes[shape] = (shapes[shape] ?? 0) + Number((await redis.memory('USAGE', key, 'SAMPLES', '0')) ?? 0);
    }
  } while (cursor !== '0');
  const sorted = Object.entries(shapes)
    .map(([k, v]): [string, number] => [k, Math.round(v / n)])
    .sort((a, b) => b[1] - a[1]);
  return { shapes: Object.fromEntries(sorted), total: sorted.reduce((a, [, v]) => a + v, 0) };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rmd-cost-'));
  const root = await mkdtemp('/tmp/rmd-');
  const [redisd, dockerd] = await Promise.all([startRedis({ dir }), startDockerd({ root })]);
  await ensureBusyboxImage(dockerd.dockerHost);
  const redis = new Redis(redisd.url);
  const slack = await startFakeSlack();
  const probe = 'cost-probe';
  await createTestContainer(dockerFromHost(dockerd.dockerHost), {
    name: probe,
    labels: { 'remediator.enable': 'true' },
  });
  const results: Record<string, unknown> = {
    alerts: N,
    redis: (await redis.info('server')).match(/redis_version:(\S+)/)?.[1],
  };

  const run = async (label: string, extra: Record<string, string>, series: number): Promise<void> => {
    await redis.flushall();
    const port = await freePort();
    const svc = spawnRemediator('start', {
      REDIS_URL: redisd.url,
      DOCKER_HOST: dockerd.dockerHost,
      WEBHOOK_TOKEN: TOKEN,
      REMEDIATIONS_DIR: path.join(ROOT, 'bench', 'remediations'),
      PORT: String(port),
      QUEUE_PREFIX: `c${randomBytes(3).toString('hex')}`,
      // 100 kills in a few seconds: past the shipped fleet rate (30 a minute), which would hold them.
      MAX_DISRUPTIVE_PER_MINUTE: '9999',
      ...extra,
    });
    try {
      await svc.waitForLine((l) => l.msg === 'HTTP listening', 60_000);
      await sleep(2000); // first gauge refresh, script loading
      const idle = await idleRate(redis, redisd.pid, 10_000);
      // Connections one `remediator start` holds (ours subtracted), e.g. to size maxclients.
      const clients = Number(/connected_clients:(\d+)/.exec(await redis.info('clients'))?.[1] ?? 0) - 1;
      const bodies = Array.from({ length: N }, (_, i) => probeBody(probe, fingerprint(series, i)));
      const fresh = await phase(redis, redisd.pid, svc, port, idle, bodies, true);
      const mem = await memoryByShape(redis, N);
      const duplicate = await phase(redis, redisd.pid, svc, port, idle, bodies, false);
      const resolved = await phase(
        redis,
        redisd.pid,
        svc,
        port,
        idle,
        bodies.map((b) => b.replaceAll('"status":"firing"', '"status":"resolved"')),
        false,
      );
      results[label] = {
        connections: clients,
        idleCommandsPerSecond: Math.round(total(idle.rate) * 10) / 10,
        idleRedisCpuMsPerSecond: Math.round(idle.cpuMsPerS * 10) / 10,
        newEpisode: fresh,
        duplicate,
        resolved,
        bytesPerEpisode: mem,
      };
    } finally {
      svc.kill();
      await svc.exited;
    }
  };

  try {
    await run('noSlack', {}, 0xc0);
    await run('slackWebhook', { SLACK_WEBHOOK_URL: slack.webhookUrl }, 0xc1);
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } finally {
    redis.disconnect();
    await slack.close();
    await stopAll();
    await rm(dir, { recursive: true, force: true });
    await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

await main();
