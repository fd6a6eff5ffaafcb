// Simulate against real Redis and a real Docker Engine: each captured Alertmanager payload gets
// the right plan (matches, target, guards, episode), over HTTP and through the CLI, and Redis
// and Docker are byte-for-byte what they were. Own Redis and own dockerd, so the before/after
// snapshots can cover every key and every container without other test files interfering.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { Redis } from 'ioredis';
import pino from 'pino';
import { hostKeys } from '../../src/keys.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ensureBusyboxImage,
  startDockerd,
  startRedis,
  type DockerdHandle,
  type RedisHandle,
} from '../../scripts/lib/daemons.js';
import { simulateCommand } from '../../src/cli/simulate.js';
import { loadConfig } from '../../src/config.js';
import { createRuntime, type Runtime } from '../../src/container.js';
import type { SimulationReport } from '../../src/simulate/index.js';
import { createTestContainer } from '../support/docker.js';
import { FIXTURES, TOKEN, fixture } from '../support/harness.js';
import { UnreachableError } from '../../src/errors.js';

const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'remediator.js');
const PREFIX = 'simtest';
let redisd: RedisHandle;
let dockerd: DockerdHandle;
let redis: Redis;
let docker: Docker;
let runtime: Runtime;
let url: string;
const dirs: string[] = [];

/** Every key in Redis: type, DUMP bytes (the value, exactly) and whether it expires. */
async function redisSnapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of (await redis.keys('*')).sort()) {
    const [type, dump, ttl] = await Promise.all([redis.type(key), redis.dumpBuffer(key), redis.pttl(key)]);
    out[key] = `${type} ${dump?.toString('hex')} ${ttl >= 0 ? 'expires' : 'persistent'}`;
  }
  return out;
}

/** Every container: its whole State (StartedAt, Running, Pid…), RestartCount and labels. */
async function dockerSnapshot(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const c of await docker.listContainers({ all: true })) {
    const i = await docker.getContainer(c.Id).inspect();
    out[i.Name] = { id: i.Id, state: i.State, restartCount: i.RestartCount, labels: i.Config.Labels };
  }
  return out;
}

async function unchanged<T>(run: () => Promise<T>): Promise<T> {
  const [r0, d0] = [await redisSnapshot(), await dockerSnapshot()];
  const result = await run();
  expect(await redisSnapshot()).toEqual(r0);
  expect(await dockerSnapshot()).toEqual(d0);
  return result;
}

async function simulateHttp(body: unknown, token = TOKEN): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/v1/simulate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const plan = (r: SimulationReport, alert = 0) =>
  Object.fromEntries(
    r.alerts[alert]!.remediations.filter((x) => x.matched).map((x) => [
      x.remediation,
      x.jobs.map((j) => ({
        phase: j.phase,
        webhook: j.webhook.decision,
        worker: j.worker?.decision,
        target: j.target?.description,
      })),
    ]),
  );

beforeAll(async () => {
  const redisDir = await mkdtemp(path.join(os.tmpdir(), 'rmd-sim-redis-'));
  const dockerRoot = await mkdtemp('/tmp/rmd-');
  dirs.push(redisDir, dockerRoot);
  [redisd, dockerd] = await Promise.all([startRedis({ dir: redisDir }), startDockerd({ root: dockerRoot })]);
  await ensureBusyboxImage(dockerd.dockerHost);
  redis = new Redis(redisd.url);
  docker = new Docker({ socketPath: dockerd.socketPath });
  // An engine of its own: the fixtures' own names ("api", service "worker") are free to use.
  await createTestContainer(docker, { name: 'api', labels: { 'remediator.enable': 'true' } });
  await createTestContainer(docker, {
    name: 'shop-worker-1',
    labels: {
      'com.docker.compose.service': 'worker',
      'com.docker.compose.project': 'shop',
      'remediator.enable': 'true',
    },
  });

  const config = loadConfig(
    {
      PORT: '0',
      REDIS_URL: redisd.url,
      DOCKER_HOST: dockerd.dockerHost,
      QUEUE_PREFIX: PREFIX,
      REMEDIATIONS_DIR: 'remediations',
      WEBHOOK_TOKEN: TOKEN,
      LOG_LEVEL: 'silent',
      // The shipped remediations verify with PromQL: a worker refuses to start without it.
      PROMETHEUS_URL: inject('prometheusUrl'),
    },
    ['http', 'worker'],
  );
  // HTTP with the worker's Docker access, but no worker consuming: nothing else writes to Redis
  // while a snapshot pair is taken, so any difference would be simulate's.
  runtime = await createRuntime(config, pino({ level: 'silent' }), { http: true, worker: true });
  await runtime.app!.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${runtime.port()}`;

  // Real state for the plans to read: a waiting HighLatency job (the webhook queued it, no worker
  // takes it) and a cooldown on the queue consumer service.
  const res = await fetch(`${url}/webhook/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(await fixture('firing-high-latency.json')),
  });
  expect(res.status).toBe(202);
  const jobId = ((await res.json()) as { jobs: { jobId: string }[] }).jobs[0]!.jobId;
  for (let i = 0; i < 50 && !(await runtime.history.get(jobId)); i++) await new Promise((r) => setTimeout(r, 100));
  expect(await runtime.history.get(jobId)).toMatchObject({ outcome: 'queued' }); // its async write is done
  await redis.set(
    // The guards are kept per what the target resolves to: the Compose service worker of project shop.
    hostKeys(config.queuePrefix, 'local').cooldown('queue-depth-high', 'service/shop/worker'),
    'earlier-job',
    'PX',
    600_000,
  );
});

afterAll(async () => {
  await runtime?.stop();
  redis?.disconnect();
  await Promise.allSettled([redisd?.stop(), dockerd?.stop()]);
  for (const d of dirs)
    await rm(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }).catch(() => undefined);
});

describe('POST /api/v1/simulate on each real fixture', () => {
  it.each<[string, (r: SimulationReport) => void]>([
    [
      'firing-high-latency.json',
      (r) => {
        // Queued already (the webhook took it above): a duplicate; a worker would restart api.
        expect(plan(r)).toEqual({
          'high-latency': [{ phase: 'fire', webhook: 'duplicate', worker: 'act', target: 'container api' }],
        });
        const job = r.alerts[0]!.remediations.find((x) => x.matched)!.jobs[0]!;
        expect(job.webhook.episode).toBe('queued');
        expect(job.target?.containers).toEqual([{ name: 'api', running: true, optedIn: true }]);
        expect(job.guards).toMatchObject({ cooldown: { configuredMs: 600_000 }, inFlight: { used: 0, max: 10 } });
        expect(job.guards?.blocker).toBeUndefined();
        // The whole runbook: restart; then scaling out would be refused here, since this api is
        // no Compose service (a worker would stop there rather than touch anything else).
        expect(job.steps.map((st) => [st.name, st.decision.decision])).toEqual([
          ['restart', 'act'],
          ['scale-out', 'refused'],
        ]);
      },
    ],
    [
      'resolved-high-latency.json',
      (r) => {
        expect(plan(r)).toEqual({
          'high-latency': [{ phase: 'fire', webhook: 'cancel', worker: undefined, target: undefined }],
        });
        expect(r.summary.cancel).toBe(1);
      },
    ],
    [
      'firing-queue-depth-high.json',
      (r) => {
        expect(plan(r)).toEqual({
          'queue-depth-high': [{ phase: 'fire', webhook: 'enqueue', worker: 'deferred', target: 'service worker' }],
        });
        const guards = r.alerts[0]!.remediations.find((x) => x.matched)!.jobs[0]!.guards;
        expect(guards).toMatchObject({ blocker: 'cooldown', cooldown: { holder: 'earlier-job' } });
      },
    ],
    [
      'repeat-queue-depth-high.json',
      (r) => {
        expect(plan(r)).toEqual({
          'queue-depth-high': [{ phase: 'fire', webhook: 'enqueue', worker: 'deferred', target: 'service worker' }],
        });
      },
    ],
    [
      'firing-disk-full.json',
      (r) => {
        expect(plan(r)).toEqual({
          'disk-full': [
            { phase: 'fire', webhook: 'enqueue', worker: 'act', target: 'containers labelled remediator.cleanup' },
          ],
        });
        const steps = r.alerts[0]!.remediations.find((x) => x.matched)!.jobs[0]!.steps;
        expect(steps.map((st) => [st.name, st.decision.decision, st.target?.description])).toEqual([
          ['cleanup', 'act', 'containers labelled remediator.cleanup'],
          ['prune', 'act', 'the Docker host local'],
        ]);
        const other = r.alerts[0]!.remediations.find((x) => x.remediation === 'high-latency')!;
        expect(other).toMatchObject({
          matched: false,
          matchers: [
            { label: 'alertname', value: 'disk_full', ok: false },
            { label: 'container', value: null, ok: false },
          ],
        });
      },
    ],
    [
      'grouped-truncated-disk-full.json',
      (r) => {
        expect(r.truncatedAlerts).toBe(1);
        expect([plan(r, 0), plan(r, 1)]).toEqual(
          [0, 1].map(() => ({
            'disk-full': [
              { phase: 'fire', webhook: 'enqueue', worker: 'act', target: 'containers labelled remediator.cleanup' },
            ],
          })),
        );
      },
    ],
  ])('%s: the right plan, and Redis and Docker unchanged', async (name, check) => {
    const body = await fixture(name);
    const res = await unchanged(() => simulateHttp(body));
    expect(res.status).toBe(200);
    expect(res.body.docker).toBe(true);
    check(res.body as SimulationReport);
  });

  it('needs the webhook credentials', async () => {
    expect((await simulateHttp(await fixture('firing-disk-full.json'), 'wrong-token-0123456789')).status).toBe(401);
  });

  it('refuses a body that is no Alertmanager payload with 400 naming the field', async () => {
    const body = await fixture('firing-disk-full.json');
    body.alerts[0].startsAt = 'yesterday';
    const res = await simulateHttp(body);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/alerts\/0\/startsAt/);
  });
});

describe('remediator simulate (CLI)', () => {
  const env = () => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    REDIS_URL: redisd.url,
    DOCKER_HOST: dockerd.dockerHost,
    QUEUE_PREFIX: PREFIX,
  });

  /** The real binary: what a script sees, exit code included. */
  function bin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) =>
      execFile(process.execPath, [BIN, 'simulate', ...args], { env: env(), timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
  }

  /** The same command in-process, stdin given as text (saves a Node start per case). */
  async function cli(
    args: string[],
    stdin = '',
    over: Record<string, string> = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await simulateCommand(args, {
      out: { write: (x: string) => (stdout += x) },
      err: { write: (x: string) => (stderr += x) },
      stdin: [Buffer.from(stdin)],
      env: { ...env(), ...over },
    });
    return { code, stdout, stderr };
  }

  it('FILE --json gives the same plan as the API, and changes nothing', async () => {
    const file = path.join(FIXTURES, 'firing-queue-depth-high.json');
    const r = await unchanged(() => bin([file, '--json']));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(plan(JSON.parse(r.stdout))).toEqual({
      'queue-depth-high': [{ phase: 'fire', webhook: 'enqueue', worker: 'deferred', target: 'service worker' }],
    });
  });

  it('- reads stdin and prints a table for people (no colour off a terminal), changing nothing', async () => {
    const text = await readFile(path.join(FIXTURES, 'firing-high-latency.json'), 'utf8');
    const r = await unchanged(() => cli(['-'], text));
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\u001b[');
    expect(r.stdout).toMatch(/✓ high-latency\s+alertname="HighLatency" ✓\s+container=~".\+" ✓/);
    expect(r.stdout).toMatch(/webhook\s+duplicate: episode already handled \(queued\)/);
    expect(r.stdout).toMatch(/target\s+container api: exists: api running/);
    expect(r.stdout).toMatch(/worker\s+act: would restart api \(stop timeout 10s\)/);
    // Each step of the runbook, with its flow and what a worker would decide for it now.
    expect(r.stdout).toMatch(
      /step 1\s+restart restart api \(stop timeout 10s\) \(verify running, healthy, within 60s, query .*; on failure next, on success stop\)/,
    );
    expect(r.stdout).toMatch(
      /step 2\s+scale-out scale its target by 1 .*\(when still_firing; .*\)\n\s+refused: container api is not part of a Compose service/,
    );
    expect(r.stdout).toContain('nothing was enqueued');
  });

  it('exits 1 when a worker would fail a job (a container not found), the --json plan unchanged', async () => {
    const body = JSON.parse(await readFile(path.join(FIXTURES, 'firing-high-latency.json'), 'utf8'));
    body.alerts[0].labels.container = 'no-such-container';
    body.alerts[0].fingerprint = 'f00000000000dead';
    const json = await unchanged(() => cli(['-', '--json'], JSON.stringify(body)));
    expect(json.code).toBe(1);
    expect(json.stderr).toMatch(/1 job would fail: high-latency\.f00000000000dead\.\d+ \(not_found\)/);
    const report = JSON.parse(json.stdout) as SimulationReport;
    expect(report.alerts[0]!.remediations.find((r) => r.matched)!.jobs[0]!.worker?.decision).toBe('not_found');
    // A plan where every job would act exits 0 (the fixture's api exists).
    const ok = await cli(['-', '--json'], await readFile(path.join(FIXTURES, 'firing-high-latency.json'), 'utf8'));
    expect(ok.code).toBe(0);
  });

  it('an invalid payload exits 1 naming the field; no file argument exits 2', async () => {
    const bad = await cli(
      ['-'],
      JSON.stringify({
        version: '4',
        status: 'firing',
        alerts: [{ status: 'firing', labels: {}, startsAt: 'x', fingerprint: 'a' }],
      }),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/invalid payload: stdin \/alerts\/0\/startsAt/);
    const usage = await bin([]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/usage: remediator simulate FILE\|-/);
  });

  it('Redis out of reach is an error that says where it looked (main exits 69 with it)', async () => {
    const r = cli([path.join(FIXTURES, 'firing-disk-full.json')], '', { REDIS_URL: 'redis://127.0.0.1:1' });
    await expect(r).rejects.toThrow(UnreachableError);
    await expect(r).rejects.toThrow(/cannot reach Redis at 127\.0\.0\.1:1 \(REDIS_URL\)/);
  });
});
