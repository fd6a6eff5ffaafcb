// Issue 11, item 2, where the container has no shell (an image whose only file is `sleep`):
// remediator cannot stop the command from inside. A worker beside its engine stops it by its
// host pid, before the retry; a worker that cannot see the engine's processes (its own pid
// namespace, as in a container) must neither retry nor hand the job back beside a command it
// could not stop: it escalates with the target kept locked. Read from Docker's event stream
// (recorded live), `docker top` and Redis.
import Docker from 'dockerode';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureSleepOnlyImage } from '../../scripts/lib/daemons.js';
import { hostKeys } from '../../src/keys.js';
import { removeContainers, uniquePrefix } from '../support/docker.js';
import { anyOverlap, recordEvents, type EventRecorder } from '../support/docker-events.js';
import { TOKEN, fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';
import { spawnRemediator, type Proc } from '../support/process.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const IMAGE = 'remediator-test/sleep-only:1';
const p = uniquePrefix('noshell');
const cleanup: (() => Promise<unknown>)[] = [];
const redis = new Redis(inject('redisUrl'));
let events: EventRecorder;
beforeAll(async () => {
  await ensureSleepOnlyImage(inject('dockerHost'), IMAGE);
  events = await recordEvents(docker);
});
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  await events?.stop();
  await removeContainers(docker, p);
  redis.disconnect();
});

async function sleepOnly(name: string): Promise<void> {
  const c = await docker.createContainer({
    name,
    Image: IMAGE,
    Cmd: ['sleep', '3600'],
    Labels: { 'remediator.enable': 'true' },
    HostConfig: { Init: true, NetworkMode: 'none' },
  });
  await c.start();
}

/** `sleep 987` in the alert's container, for alerts named `alertname`. */
const execFile = (alertname: string, action: string, rest: string) =>
  [
    `match: alertname="${alertname}"`,
    'target:',
    '  container: "{{ labels.container }}"',
    'action:',
    '  type: exec',
    '  command: ["sleep", "987"]',
    action,
    rest,
  ].join('\n');

async function alertFor(container: string, fingerprint: string, n = 0) {
  const body = await fixture('firing-high-latency.json');
  body.alerts[0].labels.container = container;
  body.alerts[0].fingerprint = fingerprint;
  body.alerts[0].startsAt = new Date(Date.parse(body.alerts[0].startsAt) + n * 60_000).toISOString();
  return body;
}

/** The runs of `sleep 987` in `name` (Docker's events), and how many still run (`docker top`). */
async function runsOf(name: string) {
  await events.sync(name);
  const runs = events.windows('exec', (e) => e.name === name && e.detail === 'sleep 987');
  const top = (await docker.getContainer(name).top()) as { Processes?: string[][] };
  return { runs, left: (top.Processes ?? []).filter((row) => row.at(-1) === 'sleep 987').length };
}

describe('a worker beside its engine', () => {
  it('stops the timed-out command by its host pid before the retry: two runs, one after the other, none left', async () => {
    const name = `${p}beside`;
    await sleepOnly(name);
    const h: Harness = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: await remediationsDir({
        'slow.yaml': execFile(
          'HighLatency',
          '  timeoutSeconds: 1',
          'retry:\n  attempts: 2\n  backoff: 100ms\n  jitter: 0',
        ),
      }),
    });
    cleanup.push(() => h.stop());
    const job = await h.waitForJob((await h.post(await alertFor(name, 'a05e000000000001'))).body.jobs[0].jobId);
    const { runs, left } = await runsOf(name);
    expect(left).toBe(0);
    expect(runs.map((r) => r.exitCode)).toEqual(['137', '137']); // each killed, and Docker saw it end
    expect(anyOverlap(runs)).toBe(false);
    expect(job.failedReason).toMatch(/no exit after 1000 ms.*stopped/);
  });
});

describe('a worker in its own pid namespace (it cannot see the command to stop it)', () => {
  const prefix = `${p}ns`.replace(/-/g, '');
  let worker: Proc;
  let api: Harness;
  const lockHolder = (name: string) => redis.get(hostKeys(prefix, 'local').lock(`container/${name}`));

  beforeAll(async () => {
    const dir = await remediationsDir({
      // The exec's own timeout, a step timeout shorter than it, and the shutdown deadline:
      // each must stop the run, and here none can.
      'exec-timeout.yaml': execFile('HighLatency', '  timeoutSeconds: 1', 'retry:\n  attempts: 3\n  backoff: 100ms'),
      'step-timeout.yaml': [
        'match: alertname="StepTimeout"',
        'target:',
        '  container: "{{ labels.container }}"',
        'steps:',
        '  - name: sleep',
        '    action: { type: exec, command: ["sleep", "987"], timeoutSeconds: 60 }',
        '    timeout: 1s',
        '    retry: { attempts: 3, backoff: 100ms }',
      ].join('\n'),
      'at-shutdown.yaml': execFile('AtShutdown', '  timeoutSeconds: 60', 'retry:\n  attempts: 3\n  backoff: 100ms'),
    });
    const env = {
      REDIS_URL: inject('redisUrl'),
      DOCKER_HOST: inject('dockerHost'),
      QUEUE_PREFIX: prefix,
      REMEDIATIONS_DIR: dir,
      WEBHOOK_TOKEN: TOKEN,
      SHUTDOWN_TIMEOUT_SECONDS: '1',
      WORKER_PORT: '0',
    };
    api = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: dir,
      worker: false,
      prefix,
    });
    cleanup.push(() => api.stop());
    worker = spawnRemediator('worker', env, { ownPidNamespace: true });
    cleanup.push(async () => worker.kill('SIGKILL'));
    await worker.waitForLine((l) => l.msg === 'worker started');
  });

  async function failed(jobId: string) {
    const job = (await api.waitForJob(jobId, 30_000))!;
    expect(await job.getState()).toBe('failed');
    return job;
  }

  it.each([
    ['its timeoutSeconds', 'HighLatency', 'a05e000000000002'],
    ["the step's timeout", 'StepTimeout', 'a05e000000000003'],
  ])('past %s: one run, no retry beside it; escalated, the target kept locked', async (_what, alertname, fp) => {
    const name = `${p}${alertname.toLowerCase()}`;
    await sleepOnly(name);
    const body = await alertFor(name, fp);
    body.alerts[0].labels.alertname = alertname;
    const jobId = (await api.post(body)).body.jobs[0].jobId;
    const job = await failed(jobId);
    expect(job.failedReason).toMatch(/could not be confirmed stopped; its target stays locked/);
    expect((await api.runtime.history.get(jobId))?.outcome).toBe('escalated');
    // Still running (a human must look), and nothing ran beside it.
    const { runs, left } = await runsOf(name);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.end).toBe(Infinity);
    expect(left).toBe(1);
    expect(await lockHolder(name)).toBe(jobId);

    // Another episode for the same container waits for the lock instead of running.
    const next = (await api.post(await alertFor(name, fp, 1))).body.jobs[0].jobId;
    for (let i = 0; i < 100 && (await api.runtime.queue.getJobState(next)) !== 'delayed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await api.runtime.queue.getJobState(next)).toBe('delayed');
    expect((await runsOf(name)).runs).toHaveLength(1);
    await docker.getContainer(name).remove({ force: true });
  });

  it('at the shutdown deadline: escalated with the target locked, not handed back to run again', async () => {
    const name = `${p}shutdown`;
    await sleepOnly(name);
    const body = await alertFor(name, 'a05e000000000004');
    body.alerts[0].labels.alertname = 'AtShutdown';
    const jobId = (await api.post(body)).body.jobs[0].jobId;
    await events.next((e) => e.name === name && e.verb === 'exec_start' && e.detail === 'sleep 987');
    worker.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    const job = await failed(jobId);
    expect(job.failedReason).toMatch(/could not be confirmed stopped/);
    expect(await lockHolder(name)).toBe(jobId);
    const { runs, left } = await runsOf(name);
    expect(runs).toHaveLength(1);
    expect(left).toBe(1);
  });
});
