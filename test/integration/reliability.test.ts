// Faults with real processes: a worker SIGKILLed right after the Docker call, SIGTERM while a
// long exec runs, Redis restarted mid-run (AOF), and dockerd down until retries run out.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ensureBusyboxImage, startDockerd, startRedis } from '../../scripts/lib/daemons.js';
import { createTestContainer, inspectStartedAt, removeContainers, uniquePrefix } from '../support/docker.js';
import { TOKEN, fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';
import { spawnRemediator, type Proc } from '../support/process.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('rel');
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  await removeContainers(docker, p);
});

async function firing(container: string, fingerprint: string, n = 0) {
  const body = await fixture('firing-high-latency.json');
  body.alerts[0].labels.container = container;
  body.alerts[0].fingerprint = fingerprint;
  body.alerts[0].startsAt = new Date(Date.parse(body.alerts[0].startsAt) + n * 60_000).toISOString();
  return body;
}

describe('a worker killed with SIGKILL right after the Docker call', () => {
  it('the job runs again on another worker and the container was restarted exactly once', async () => {
    const name = `${p}kill9`;
    // Healthy only 3 s after each start, so the worker is still verifying when it is killed.
    await createTestContainer(docker, {
      name,
      labels: { 'remediator.enable': 'true' },
      cmd: ['sh', '-c', 'rm -f /tmp/ready; sleep 3; touch /tmp/ready; exec sleep 3600'],
      healthcheck: { test: ['CMD', 'test', '-f', '/tmp/ready'], intervalMs: 300, timeoutMs: 1000, retries: 1 },
    });
    for (let i = 0; i < 50 && (await docker.getContainer(name).inspect()).State.Health?.Status !== 'healthy'; i++)
      await new Promise((r) => setTimeout(r, 200));
    const dir = await remediationsDir({
      'restart.yaml':
        'match: alertname="HighLatency"\ntarget:\n  container: "{{ labels.container }}"\naction:\n  type: restart\n  stopTimeoutSeconds: 1\nverify:\n  healthy: true\n  within: 30s\n',
    });
    const prefix = `${p}k9`.replace(/-/g, '');
    const env = {
      REDIS_URL: inject('redisUrl'),
      DOCKER_HOST: inject('dockerHost'),
      QUEUE_PREFIX: prefix,
      REMEDIATIONS_DIR: dir,
      JOB_LOCK_SECONDS: '2',
    };
    const api = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: dir,
      worker: false,
      prefix,
    });
    cleanup.push(() => api.stop());

    const victim: Proc = spawnRemediator('worker', env);
    cleanup.push(async () => victim.kill('SIGKILL'));
    await victim.waitForLine((l) => l.msg === 'worker started');
    const before = await inspectStartedAt(docker, name);
    const res = await api.post(await firing(name, 'd1e0000000000009'));
    const jobId = res.body.jobs[0].jobId;
    await victim.waitForLine((l) => l.msg === 'container restarted' && l.jobId === jobId);
    victim.kill('SIGKILL');
    await victim.exited;
    const afterFirst = await inspectStartedAt(docker, name);
    expect(Date.parse(afterFirst)).toBeGreaterThan(Date.parse(before));
    expect(await (await api.job(jobId))!.getState()).toBe('active'); // its worker is gone mid-job

    // Another worker takes the stalled job over within a lock duration.
    const rescuer = spawnRemediator('worker', env);
    cleanup.push(async () => rescuer.kill('SIGKILL'));
    await rescuer.waitForLine(
      (l) => l.msg === 'restart already done by an earlier attempt' && l.jobId === jobId,
      30_000,
    );
    const job = await api.waitForJob(jobId, 30_000);
    expect(job.returnvalue).toMatchObject({
      outcome: 'succeeded',
      details: { restarted: [], alreadyRestarted: [name] },
    });
    expect(job.returnvalue.verification?.ok).toBe(true);
    expect(await inspectStartedAt(docker, name)).toBe(afterFirst); // exactly one restart for the episode
    rescuer.kill('SIGTERM');
    expect(await rescuer.exited).toBe(0);
  });
});

describe('SIGTERM while an exec runs', () => {
  const execFile = (seconds: number) =>
    `match: alertname="HighLatency"\ntarget:\n  container: "{{ labels.container }}"\naction:\n  type: exec\n  command: ["sleep", "${seconds}"]\n  timeoutSeconds: 60\n`;

  async function runAndStop(seconds: number, deadline: number, tag: string) {
    const name = `${p}${tag}`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const prefix = `${p}${tag}q`.replace(/-/g, '');
    const dir = await remediationsDir({ 'slow.yaml': execFile(seconds) });
    const proc = spawnRemediator('start', {
      REDIS_URL: inject('redisUrl'),
      DOCKER_HOST: inject('dockerHost'),
      QUEUE_PREFIX: prefix,
      REMEDIATIONS_DIR: dir,
      WEBHOOK_TOKEN: TOKEN,
      PORT: '0',
      SHUTDOWN_TIMEOUT_SECONDS: String(deadline),
    });
    cleanup.push(async () => proc.kill('SIGKILL'));
    const api = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: dir,
      worker: false,
      prefix,
    });
    cleanup.push(() => api.stop());
    await proc.waitForLine((l) => l.msg === 'worker started');
    const jobId = (await api.post(await firing(name, `5e${tag.length}0000000000000`.slice(0, 16)))).body.jobs[0].jobId;
    await proc.waitForLine((l) => l.msg === 'job running' && l.jobId === jobId);
    const t0 = Date.now();
    proc.kill('SIGTERM');
    const code = await proc.exited;
    return { code, elapsed: Date.now() - t0, job: (await api.job(jobId))!, proc };
  }

  it('a 2-second exec inside the deadline finishes, then the process exits 0', async () => {
    const { code, elapsed, job } = await runAndStop(2, 30, 'short');
    expect(code).toBe(0);
    expect(elapsed).toBeLessThan(10_000);
    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue.outcome).toBe('succeeded');
  });

  it('a 20-second exec past a 3-second deadline is handed back to the queue and the process exits by its deadline', async () => {
    const { code, elapsed, job, proc } = await runAndStop(20, 3, 'long');
    expect(code).toBe(0);
    expect(elapsed).toBeLessThan(3_000 + 6_000);
    expect(['waiting', 'delayed']).toContain(await job.getState());
    expect(job.attemptsMade).toBe(0);
    expect(proc.lines().some((l) => l.msg === 'job handed back to the queue' && l.jobId === job.id)).toBe(true);
  });
});

describe('Redis restarted mid-run with AOF on', () => {
  it('loses no accepted job', async () => {
    const redis = await startRedis({ dir: await mkdtemp(path.join(os.tmpdir(), 'rmd-aof-')), aof: true });
    cleanup.push(() => redis.stop());
    const name = `${p}aof`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const dir = await remediationsDir({
      'r.yaml':
        'match: alertname="HighLatency"\ntarget:\n  container: "{{ labels.container }}"\naction:\n  type: restart\ndelay: 1s\n',
    });
    // A job active when Redis went away runs again after one lock duration.
    const h: Harness = await startHarness({
      redisUrl: redis.url,
      dockerHost: inject('dockerHost'),
      remediationsDir: dir,
      env: { DRY_RUN: 'true', JOB_LOCK_SECONDS: '3' },
    });
    cleanup.push(() => h.stop());
    const accepted: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await h.post(await firing(name, `a0f${String(i).padStart(13, '0')}`));
      expect(res.status).toBe(202);
      accepted.push(res.body.jobs[0].jobId);
      if (i === 20) void redis.restart(); // mid-run: later posts may see 503 and are not "accepted"
    }
    const deadline = Date.now() + 60_000;
    let done: string[] = [];
    while (Date.now() < deadline) {
      done = [];
      for (const id of accepted) {
        const j = await h.job(id).catch(() => undefined);
        if (j && (await j.getState()) === 'completed') done.push(id);
      }
      if (done.length === accepted.length) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(done.length).toBe(accepted.length);
  });
});

describe('stopping without Redis, and Redis that may evict', () => {
  it('exits on SIGTERM by its deadline even though Redis is gone', async () => {
    const redis = await startRedis({ dir: await mkdtemp(path.join(os.tmpdir(), 'rmd-gone-')), aof: false });
    cleanup.push(() => redis.stop());
    const dir = await remediationsDir({ 'r.yaml': 'match: alertname="X"\naction:\n  type: prune\n' });
    const proc = spawnRemediator('start', {
      REDIS_URL: redis.url,
      DOCKER_HOST: inject('dockerHost'),
      REMEDIATIONS_DIR: dir,
      WEBHOOK_TOKEN: TOKEN,
      PORT: '0',
      SHUTDOWN_TIMEOUT_SECONDS: '3',
    });
    cleanup.push(async () => proc.kill('SIGKILL'));
    await proc.waitForLine((l) => l.msg === 'HTTP listening');
    await redis.stop();
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    proc.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3_000 + 10_000);
  });

  it('warns loudly at start when Redis maxmemory-policy is not noeviction', async () => {
    const redis = await startRedis({ dir: await mkdtemp(path.join(os.tmpdir(), 'rmd-lru-')), aof: false });
    cleanup.push(() => redis.stop());
    const { Redis } = await import('ioredis');
    const admin = new Redis(redis.url);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    admin.disconnect();
    const h = await startHarness({
      redisUrl: redis.url,
      dockerHost: inject('dockerHost'),
      remediationsDir: 'remediations',
      worker: false,
    });
    cleanup.push(() => h.stop());
    for (let i = 0; i < 20 && !h.logs.some((l) => l.maxmemoryPolicy); i++) await new Promise((r) => setTimeout(r, 100));
    const warning = h.logs.find((l) => l.maxmemoryPolicy === 'allkeys-lru');
    expect(warning).toMatchObject({ level: 40 });
    expect(String(warning?.msg)).toMatch(/can be evicted and lost; set it to noeviction/);
  });
});

describe('dockerd stopped', () => {
  it('jobs retry, then escalate; nothing crashes; new alerts are handled once dockerd is back', async () => {
    const root = await mkdtemp('/tmp/rmd-d-');
    const engine = await startDockerd({ root });
    cleanup.push(async () => {
      await engine.stop();
      await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    });
    await ensureBusyboxImage(engine.dockerHost);
    const local = new Docker({ socketPath: engine.socketPath });
    await createTestContainer(local, { name: 'svc', labels: { 'remediator.enable': 'true' } });
    const dir = await remediationsDir({
      'r.yaml':
        'match: alertname="HighLatency"\ntarget:\n  container: "{{ labels.container }}"\naction:\n  type: restart\n  stopTimeoutSeconds: 1\nretry:\n  attempts: 3\n  backoff: 200ms\n  jitter: 0\n',
    });
    const h = await startHarness({ redisUrl: inject('redisUrl'), dockerHost: engine.dockerHost, remediationsDir: dir });
    cleanup.push(() => h.stop());
    await engine.stop();

    const job = await h.waitForJob((await h.post(await firing('svc', 'dd00000000000001'))).body.jobs[0].jobId, 20_000);
    expect(await job.getState()).toBe('failed');
    // Three attempts of the step, as the file says, recorded in history.
    const record = await h.runtime.history.get(job.id!);
    expect(record).toMatchObject({ outcome: 'escalated', steps: [{ outcome: 'failed', attempts: 3 }] });
    const finished = h.seen.find((e) => e.name === 'job.finished' && e.jobId === job.id);
    expect(finished?.outcome).toBe('escalated');
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/remediator_escalations_total\{remediation="r",reason="retries_exhausted"\} 1/);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(503);

    await engine.start();
    const after = await h.waitForJob(
      (await h.post(await firing('svc', 'dd00000000000002', 1))).body.jobs[0].jobId,
      20_000,
    );
    expect(after.returnvalue.outcome).toBe('succeeded');
  });
});
