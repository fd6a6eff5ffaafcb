// `npm run bench`: starts its own Redis and Docker Engine (as the tests do), builds remediator
// as it ships, runs each scenario beside a baseline measured in the same run, prints one table
// and writes it as JSON under bench/results/. Bounded in count and time (about 2-3 minutes on
// 2 cores); daemons, children and containers are cleaned up whatever happens.
// Knobs (environment): BENCH_ONLY=ingest,storm,worker,scale,stats,hosts  BENCH_DURATION=10  BENCH_CONNECTIONS=50
// BENCH_OVERHEAD_ALERTS=200  BENCH_E2E_RUNS=10  BENCH_STATS_RECORDS=100000  BENCH_CPU_PROF=1 (V8 profiles of the service).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { Redis } from 'ioredis';
import {
  ensureBusyboxImage,
  startDockerd,
  startRedis,
  stopAll,
  type DockerdHandle,
  type RedisHandle,
} from '../scripts/lib/daemons.js';
import { startPrometheus, type MonitorHandle } from '../scripts/lib/monitoring.js';
import { removeContainers, uniquePrefix } from '../test/support/docker.js';
import { childHelpers, type BenchContext, type Settings } from './lib/context.js';
import { startDockerProxy, type DockerProxy } from './lib/docker-proxy.js';
import { build, killChildrenSync, ROOT } from './lib/service.js';
import { renderTable, type Row } from './lib/stats.js';
import { ingest } from './scenarios/ingest.js';
import { hosts } from './scenarios/hosts.js';
import { overhead } from './scenarios/overhead.js';
import { recovery } from './scenarios/recovery.js';
import { startRig, stopRig } from './scenarios/rig.js';
import { scale } from './scenarios/scale.js';
import { stats } from './scenarios/stats.js';
import { storm } from './scenarios/storm.js';
import { throughput } from './scenarios/throughput.js';

const RESULTS = path.join(ROOT, 'bench', 'results');
const SCENARIOS = ['ingest', 'storm', 'worker', 'scale', 'stats', 'hosts'] as const;

function int(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name}=${raw}: expected a whole number from ${min} to ${max}`);
  return n;
}

function settingsFromEnv(): { settings: Settings; only: Set<string> } {
  const only = new Set(
    (process.env.BENCH_ONLY ?? SCENARIOS.join(','))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  for (const s of only)
    if (!(SCENARIOS as readonly string[]).includes(s))
      throw new Error(`BENCH_ONLY: unknown scenario "${s}" (expected ${SCENARIOS.join(', ')})`);
  const cpuProf = process.env.BENCH_CPU_PROF === '1';
  return {
    only,
    settings: {
      durationS: int('BENCH_DURATION', 10, 1, 120),
      warmupS: 2,
      connections: int('BENCH_CONNECTIONS', 50, 1, 1000),
      overheadAlerts: int('BENCH_OVERHEAD_ALERTS', 200, 10, 5000),
      e2eRuns: int('BENCH_E2E_RUNS', 10, 1, 100),
      throughputRounds: 3,
      storm: { episodes: 1000, groupSize: 20, resends: 10, concurrency: 16 },
      statsRecords: int('BENCH_STATS_RECORDS', 100_000, 1_000, 1_000_000),
      cpuProfileDir: cpuProf ? path.join(RESULTS, 'profiles') : undefined,
    },
  };
}

async function machine(redis: Redis, docker: Docker, loadAtStart: number): Promise<Record<string, unknown>> {
  const cpu =
    /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1];
  const engine = await docker.version();
  return {
    cpus: os.availableParallelism(),
    cpuModel: cpu,
    memoryGB: Math.round(os.totalmem() / 1e8) / 10,
    kernel: os.release(),
    node: process.version,
    redis: redisVersion,
    dockerEngine: `${engine.Version} (API ${engine.ApiVersion})`,
    // Figures from a busy machine are not comparable: say how busy it was before the run began.
    loadAverage1m: Math.round(loadAtStart * 100) / 100,
  };
}

async function main(): Promise<number> {
  const loadAtStart = os.loadavg()[0]!;
  const { settings, only } = settingsFromEnv();
  const started = Date.now();
  const logDir = path.join(RESULTS, 'logs');
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  if (settings.cpuProfileDir) mkdirSync(settings.cpuProfileDir, { recursive: true });
  // Short on purpose: dockerd's unix sockets live under it and must fit in ~100 characters.
  const runDir = mkdtempSync('/tmp/rmd-bench-');
  let redisH: RedisHandle | undefined;
  let dockerd: DockerdHandle | undefined;
  let prometheus: MonitorHandle | undefined;
  let proxy: DockerProxy | undefined;
  let redis: Redis | undefined;
  let docker: Docker | undefined;
  const containerPrefix = uniquePrefix('bench');

  const cleanup = async () => {
    killChildrenSync();
    if (docker) await removeContainers(docker, containerPrefix).catch(() => undefined);
    redis?.disconnect();
    await proxy?.close().catch(() => undefined);
    await Promise.allSettled([redisH?.stop(), dockerd?.stop(), prometheus?.stop()]);
    await stopAll();
    rmSync(runDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  };
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`[bench] ${sig}: cleaning up\n`);
      const hard = setTimeout(() => process.exit(130), 45_000);
      void cleanup().finally(() => {
        clearTimeout(hard);
        process.exit(130);
      });
    });
  }
  process.on('exit', killChildrenSync);

  try {
    process.stdout.write('[bench] building remediator (tsc) and starting Redis + Docker Engine + Prometheus\n');
    // The shipped remediations verify with PromQL, so `start` needs PROMETHEUS_URL: an empty
    // real Prometheus (as the integration tests' global set-up runs).
    [, redisH, dockerd, prometheus] = await Promise.all([
      build(),
      startRedis({ dir: path.join(runDir, 'redis') }),
      startDockerd({ root: path.join(runDir, 'docker') }),
      startPrometheus({
        dir: path.join(runDir, 'prometheus'),
        config: 'global:\n  evaluation_interval: 15s\nscrape_configs: []\n',
      }),
    ]);
    await ensureBusyboxImage(dockerd.dockerHost);
    proxy = await startDockerProxy({ socketPath: path.join(runDir, 'proxy.sock'), upstream: dockerd.socketPath });
    redis = new Redis(redisH.url, { maxRetriesPerRequest: 1 });
    docker = new Docker({ socketPath: dockerd.socketPath });
    const base = {
      settings,
      redisUrl: redisH.url,
      prometheusUrl: prometheus.url,
      redis,
      redisPid: redisH.pid,
      docker,
      rawDocker: new Docker({ socketPath: proxy.socketPath }),
      proxy,
      containerPrefix,
      token: randomBytes(16).toString('hex'),
      logDir,
      remediationsDir: { shipped: path.join(ROOT, 'remediations'), bench: path.join(ROOT, 'bench', 'remediations') },
      flush: async () => void (await redis!.flushall()),
    };
    const ctx: BenchContext = { ...base, ...childHelpers(base) };
    const host = await machine(redis, docker, loadAtStart);
    process.stdout.write(
      `[bench] machine: ${host.cpus} CPUs (${host.cpuModel}), ${host.memoryGB} GB, Node ${host.node}, Redis ${host.redis}, Docker ${host.dockerEngine}; load average ${host.loadAverage1m}\n`,
    );

    const rows: Row[] = [];
    const data: Record<string, unknown> = {};
    const failed: string[] = [];
    // A scenario that fails is reported as such and the others still run: partial figures help.
    const scenario = async (name: string, fn: () => Promise<{ rows: Row[]; data: Record<string, unknown> }>) => {
      if (!only.has(name)) return;
      try {
        const r = await fn();
        rows.push(...r.rows);
        data[name] = r.data;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        process.stderr.write(`[bench] ${name} failed: ${err instanceof Error ? err.stack : message}\n`);
        failed.push(name);
        rows.push({
          scenario: `${name}: FAILED`,
          figure: message.split('\n')[0]!.slice(0, 80),
          baseline: '-',
          ratio: '-',
          target: '-',
          met: false,
        });
        data[name] = { error: message };
      }
    };
    await scenario('ingest', () => ingest(ctx));
    await scenario('storm', () => storm(ctx));
    await scenario('worker', async () => {
      // The worker at the shipped default concurrency (WORKER_CONCURRENCY unset), as users run it.
      const rig = await startRig(ctx);
      try {
        const o = await overhead(rig);
        const r = await recovery(rig);
        const t = await throughput(rig);
        return { rows: [...o.rows, ...r.rows, ...t.rows], data: { ...o.data, ...r.data, throughput: t.data } };
      } finally {
        await stopRig(rig);
      }
    });
    await scenario('scale', () => scale(ctx));

    await scenario('stats', () => stats(ctx));
    await scenario('hosts', () => hosts(ctx));

    const table = renderTable(rows);
    const missed = rows.filter((r) => r.met === false).length;
    const loadAtEnd = Math.round(os.loadavg()[0]! * 100) / 100;
    if (loadAtStart > Number(host.cpus) * 0.5) {
      process.stdout.write(
        `[bench] warning: the machine was busy before the run (load average ${host.loadAverage1m} on ${host.cpus} CPUs): figures are low and noisy; run again when it is idle\n`,
      );
    }
    const report = {
      date: new Date().toISOString(),
      durationS: Math.round((Date.now() - started) / 1000),
      machine: { ...host, loadAverage1mAtEnd: loadAtEnd },
      settings,
      rows,
      data,
    };
    const file = path.join(RESULTS, `bench-${report.date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(path.join(RESULTS, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(
      `\n${table}\n\n[bench] ${rows.filter((r) => r.met === true).length} targets met, ${missed} missed; ${report.durationS} s; results in ${path.relative(ROOT, file)}; service logs in ${path.relative(ROOT, logDir)}/\n`,
    );
    return failed.length > 0 ? 1 : 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
