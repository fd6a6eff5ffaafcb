// Scenario "hosts", the two-host row (issue 13): does a second host with its own worker double
// remediation throughput? Two private dockerds stand for two Docker hosts (HOSTS_FILE), one
// `remediator serve` routes each alert to its host's queue and one `remediator worker --host H`
// per host acts on it, at the shipped WORKER_CONCURRENCY. Each round times the same number of
// verified restarts on distinct containers, POST -> last job completed: all on host A with A's
// worker alone (the baseline), then split half and half over A and B (both workers). B's worker
// stays up, idle, during the baseline. CPU of the machine, of each engine, each worker and Redis
// is sampled around the runs: on a 2-core machine both engines share the same cores, and that is
// what bounds the ratio when the target is missed.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { parse, stringify } from 'yaml';
import {
  dockerFromHost,
  ensureBusyboxImage,
  freePort,
  startDockerd,
  type DockerdHandle,
} from '../../scripts/lib/daemons.js';
import { hostKeys } from '../../src/keys.js';
import { createTestContainer, removeContainers } from '../../test/support/docker.js';
import type { BenchContext, JobDone, JobWatcher } from '../lib/context.js';
import { containerCpuMs, cpuGroup, machineCpuMs, type CpuGroup } from '../lib/cpu-group.js';
import { fingerprint, highLatencyBody } from '../lib/payloads.js';
import { cpuMsOf, SERVICE_MAIN, startChild, type Child } from '../lib/service.js';
import { median, nowMs, num, ratio, type Row } from '../lib/stats.js';

const HOSTS = ['bench-a', 'bench-b'] as const;
type Host = (typeof HOSTS)[number];
/** Jobs per round on each side: 4 waves of the default WORKER_CONCURRENCY (4) for one worker. */
export const HOSTS_JOBS = 16;
const ROUNDS = 3;
/** The whole measured part (warm-up and rounds) ends by then, whatever happens. */
const DEADLINE_MS = 240_000;
const TARGET = 1.8;

interface CpuSample {
  at: number;
  machine: { busy: number; total: number };
  engines: Record<Host, number>;
  workers: Record<Host, number>;
  serve: number;
  redis: number;
  /** This process: the load generator and job watchers. */
  bench: number;
}

/** CPU used between two samples, as % of one core over the wall time (200% = both cores of 2). */
function cpuShare(a: CpuSample, b: CpuSample, inContainers: Record<Host, number>) {
  const wall = b.at - a.at;
  const pct = (ms: number) => Math.round((ms / wall) * 100);
  const machineMs =
    ((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * wall * os.availableParallelism();
  const part = (k: 'engines' | 'workers') => Object.fromEntries(HOSTS.map((h) => [h, b[k][h] - a[k][h]]));
  const engines = part('engines');
  for (const h of HOSTS) engines[h]! += inContainers[h];
  const workers = part('workers');
  const own = { serve: b.serve - a.serve, redis: b.redis - a.redis, bench: b.bench - a.bench };
  const known = [...Object.values(engines), ...Object.values(workers), ...Object.values(own)].reduce(
    (x, y) => x + y,
    0,
  );
  const pcts = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, pct(v)]));
  return {
    wallMs: Math.round(wall),
    machinePct: pct(machineMs),
    enginesPct: pcts(engines),
    workersPct: pcts(workers),
    servePct: pct(own.serve),
    redisPct: pct(own.redis),
    benchPct: pct(own.bench),
    /** The part of `engines` spent inside the containers' own cgroups (runc init). */
    containersPct: pcts(inContainers),
    /** Everything else on the machine: the kernel, other users, processes not followed. */
    restPct: pct(machineMs - known),
  };
}

export async function hosts(ctx: BenchContext): Promise<{ rows: Row[]; data: Record<string, unknown> }> {
  await ctx.flush();
  // Short on purpose: dockerd's unix sockets live under it.
  const root = mkdtempSync('/tmp/rmd-h-');
  const removeRoot = () => rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  // run.ts's SIGINT clean-up stops every tracked dockerd, then exits: the folder goes then.
  process.once('exit', removeRoot);
  const engines: Partial<Record<Host, DockerdHandle>> = {};
  const dockers: Partial<Record<Host, Docker>> = {};
  const children: Child[] = [];
  const watchers: Partial<Record<Host, JobWatcher>> = {};
  const groups: CpuGroup[] = [];
  const removeGroups = () => groups.forEach((g) => g.remove());
  process.once('exit', removeGroups);
  const p = `${ctx.containerPrefix}h`;
  try {
    const started = await Promise.allSettled(HOSTS.map((h) => startDockerd({ root: path.join(root, h) })));
    started.forEach((s, i) => s.status === 'fulfilled' && (engines[HOSTS[i]!] = s.value));
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const cpuOf = {} as Record<Host, CpuGroup>;
    for (const h of HOSTS) {
      cpuOf[h] = cpuGroup(`${path.basename(root)}-${h}`, `${engines[h]!.root}/`);
      groups.push(cpuOf[h]);
      await ensureBusyboxImage(engines[h]!.dockerHost);
      dockers[h] = dockerFromHost(engines[h]!.dockerHost);
    }

    // The throughput row's remediation (bench-restart.yaml), acting on the host the alert names.
    const dir = path.join(root, 'remediations');
    const spec = parse(readFileSync(path.join(ctx.remediationsDir.bench, 'bench-restart.yaml'), 'utf8'));
    spec.target = { host: '{{ labels.instance | host }}', ...spec.target };
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'bench-host-restart.yaml'), stringify(spec));
    const hostsFile = path.join(root, 'hosts.yaml');
    writeFileSync(
      hostsFile,
      stringify({
        hosts: Object.fromEntries(
          HOSTS.map((h, i) => [h, { engine: engines[h]!.dockerHost, ...(i === 0 && { default: true }) }]),
        ),
      }),
    );

    const prefix = `benchh${randomBytes(3).toString('hex')}`;
    const shared = {
      REDIS_URL: ctx.redisUrl,
      QUEUE_PREFIX: prefix,
      REMEDIATIONS_DIR: dir,
      HOSTS_FILE: hostsFile,
      // The fleet-wide cap (30 a minute shipped) would make every side 30/min: a cap the bench
      // cannot reach, so the guard is still asked (as bench-restart.yaml's budget), never binding.
      MAX_DISRUPTIVE_PER_MINUTE: '9999',
    };
    const serve = await ctx.service({ name: 'hosts-serve', role: 'serve', remediationsDir: dir, env: shared });
    children.push(serve);
    const nodeArgs = ctx.settings.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', ctx.settings.cpuProfileDir] : [];
    const workers = {} as Record<Host, Child>;
    for (const h of HOSTS) {
      const port = await freePort();
      // WORKER_CONCURRENCY unset: the shipped default, as a user runs `remediator worker`.
      workers[h] = await startChild({
        name: `hosts-worker-${h}`,
        main: SERVICE_MAIN,
        args: ['worker', '--host', h],
        port,
        nodeArgs,
        logFile: path.join(ctx.logDir, `hosts-worker-${h}.log`),
        env: {
          ...shared,
          HOST: '127.0.0.1',
          WORKER_PORT: String(port),
          LOG_LEVEL: 'info',
          LOG_FORMAT: 'json',
          SHUTDOWN_TIMEOUT_SECONDS: '10',
        },
      });
      children.push(workers[h]);
      watchers[h] = await ctx.watchJobs(hostKeys(prefix, h).queuePrefix);
    }

    const names: Record<Host, string[]> = {
      'bench-a': Array.from({ length: HOSTS_JOBS }, (_, k) => `${p}a-${k}`),
      'bench-b': Array.from({ length: HOSTS_JOBS / 2 }, (_, k) => `${p}b-${k}`),
    };
    const ids = new Map<string, string>();
    for (const h of HOSTS)
      for (const name of names[h])
        ids.set(name, await createTestContainer(dockers[h]!, { name, labels: { 'remediator.enable': 'true' } }));

    const deadline = Date.now() + DEADLINE_MS;
    let series = 0x4a00;
    /** One delivery of HighLatency alerts for (host, container) pairs; ms from the POST to the last job completed. */
    const run = async (targets: Array<[Host, string]>): Promise<number> => {
      if (Date.now() > deadline) throw new Error(`hosts: past the ${DEADLINE_MS / 1000} s deadline`);
      const s = series++;
      const body = JSON.parse(
        highLatencyBody(
          targets.map(([, c]) => c),
          (k) => fingerprint(s, k),
        ),
      );
      const hostOf = new Map<string, Host>();
      body.alerts.forEach((a: any, k: number) => {
        a.labels.instance = `${targets[k]![0]}:9100`;
        hostOf.set(a.fingerprint, targets[k]![0]);
      });
      const t0 = nowMs();
      const res = await serve.post(JSON.stringify(body));
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${JSON.stringify(res.body)}`);
      const jobs: Array<{ jobId: string; fingerprint: string; status: string; reason?: string }> = res.body.jobs;
      if (jobs.length !== targets.length) throw new Error(`hosts: ${jobs.length} jobs for ${targets.length} alerts`);
      for (const j of jobs)
        if (j.status !== 'enqueued') throw new Error(`job ${j.jobId} was ${j.status} (${j.reason ?? ''})`);
      // allSettled: a job that never finishes must not leave the others' timers to reject unheard.
      const settled = await Promise.allSettled(
        jobs.map((j) => watchers[hostOf.get(j.fingerprint)!]!.done(j.jobId, Math.max(1_000, deadline - Date.now()))),
      );
      const lost = settled.find((x) => x.status === 'rejected');
      if (lost) throw lost.reason;
      const done = settled.map((x) => (x as PromiseFulfilledResult<JobDone>).value);
      for (const j of done)
        if (j.state !== 'completed' || j.returnvalue?.outcome !== 'succeeded')
          throw new Error(`job ended ${j.state} / ${j.returnvalue?.outcome ?? j.failedReason}: expected succeeded`);
      return Math.max(...done.map((j) => j.at)) - t0;
    };
    const one: Array<[Host, string]> = names['bench-a'].map((c) => ['bench-a', c]);
    // Interleaved, so both queues get their jobs at once from the one delivery.
    const two: Array<[Host, string]> = names['bench-b'].flatMap((c, k) => [
      ['bench-a', names['bench-a'][k]!],
      ['bench-b', c],
    ]);

    const sample = (): CpuSample => ({
      at: nowMs(),
      machine: machineCpuMs(),
      engines: { 'bench-a': cpuOf['bench-a'].cpuMs(), 'bench-b': cpuOf['bench-b'].cpuMs() },
      workers: { 'bench-a': workers['bench-a'].cpuMs(), 'bench-b': workers['bench-b'].cpuMs() },
      serve: serve.cpuMs(),
      redis: cpuMsOf(ctx.redisPid),
      bench: ((u) => (u.user + u.system) / 1000)(process.cpuUsage()),
    });

    process.stdout.write(
      `[bench] hosts: ${HOSTS_JOBS} verified restarts x ${ROUNDS} rounds, 1 worker on 1 host vs 2 workers on 2 hosts (each its own dockerd)\n`,
    );
    // Warm-up: both workers have taken and finished a job (connections, first inspect).
    await run([
      ['bench-a', names['bench-a'][0]!],
      ['bench-b', names['bench-b'][0]!],
    ]);
    // What the machine does without us (other users of a shared machine), to read `rest` against.
    const quiet = machineCpuMs();
    await sleep(2_000);
    const quietEnd = machineCpuMs();
    const idleMachinePct = Math.round(
      ((quietEnd.busy - quiet.busy) / (quietEnd.total - quiet.total)) * os.availableParallelism() * 100,
    );
    const oneMs: number[] = [];
    const twoMs: number[] = [];
    const cpu: { one: ReturnType<typeof cpuShare>[]; two: ReturnType<typeof cpuShare>[] } = { one: [], two: [] };
    for (let r = 0; r < ROUNDS; r++) {
      // Alternating, so drift on the shared machine hits both sides alike.
      for (const [side, targets, out] of [
        ['one', one, oneMs],
        ['two', two, twoMs],
      ] as const) {
        const before = sample();
        out.push(await run(targets));
        const after = sample();
        // Each target was started once in the run: its cgroup holds that start's in-container work.
        const inContainers = Object.fromEntries(
          HOSTS.map((h) => [
            h,
            targets.filter(([th]) => th === h).reduce((n, [, c]) => n + containerCpuMs(ids.get(c)!), 0),
          ]),
        ) as Record<Host, number>;
        cpu[side].push(cpuShare(before, after, inContainers));
      }
    }

    const perSec = (ms: number) => (HOSTS_JOBS * 1000) / ms;
    const oneRate = perSec(median(oneMs));
    const twoRate = perSec(median(twoMs));
    const met = twoRate >= TARGET * oneRate;
    const mid = (side: 'one' | 'two') => cpu[side][cpu[side].length >> 1]!;
    const c2 = mid('two');
    return {
      rows: [
        {
          scenario: `Two hosts: ${HOSTS_JOBS} restarts, 2 workers (median of ${twoMs.length})`,
          figure: `${num(twoRate)} restarts/s (${num(median(twoMs), 'ms')})`,
          baseline: `1 worker, 1 host ${num(oneRate)}/s (${num(median(oneMs), 'ms')})`,
          ratio: ratio(twoRate, oneRate),
          target: `≥ ${TARGET.toFixed(2)}×`,
          met,
          note: met
            ? undefined
            : `${num(TARGET - twoRate / oneRate)} short of ${TARGET}×; CPU during 2 hosts: machine ${c2.machinePct}% of ${os.availableParallelism() * 100}%, ` +
              `engines ${HOSTS.map((h) => c2.enginesPct[h]).join('+')}%, workers ${HOSTS.map((h) => c2.workersPct[h]).join('+')}%, ` +
              `serve ${c2.servePct}%, Redis ${c2.redisPct}%, bench ${c2.benchPct}%, rest ${c2.restPct}% (machine before the rounds: ${idleMachinePct}%)`,
        },
      ],
      data: {
        jobs: HOSTS_JOBS,
        rounds: ROUNDS,
        workerConcurrency: 'default',
        oneWorkerMs: oneMs,
        twoWorkersMs: twoMs,
        oneWorkerPerSec: oneRate,
        twoWorkersPerSec: twoRate,
        ratio: twoRate / oneRate,
        // % of one core over each timed run. Engines: dockerd, containerd, shims and runc (a cpuacct
        // group; live processes only when exact is false).
        cpuExact: HOSTS.every((h) => cpuOf[h].exact),
        idleMachinePct,
        cpu,
      },
    };
  } finally {
    for (const w of Object.values(watchers)) await w.close().catch(() => undefined);
    for (const c of children.reverse()) await c.stop().catch(() => undefined);
    for (const d of Object.values(dockers)) await removeContainers(d, p).catch(() => undefined);
    await Promise.allSettled(Object.values(engines).map((e) => e.stop()));
    removeGroups();
    removeRoot();
    process.removeListener('exit', removeGroups);
    process.removeListener('exit', removeRoot);
  }
}
