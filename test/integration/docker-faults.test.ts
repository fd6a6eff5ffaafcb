// Actions that touch the whole engine (prune) or stop it (faults) get a Docker Engine of their
// own, so they cannot disturb the containers of tests running in parallel.
import { mkdtemp, rm } from 'node:fs/promises';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureBusyboxImage, startDockerd, type DockerdHandle } from '../../scripts/lib/daemons.js';
import { createTestContainer, inspectStartedAt } from '../support/docker.js';
import { fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

let dockerd: DockerdHandle;
let docker: Docker;
let root: string;

beforeAll(async () => {
  root = await mkdtemp('/tmp/rmd-f-');
  dockerd = await startDockerd({ root });
  await ensureBusyboxImage(dockerd.dockerHost);
  docker = new Docker({ socketPath: dockerd.socketPath });
});
afterAll(async () => {
  await dockerd?.stop();
  await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

describe('disk_full: prune', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: dockerd.dockerHost,
      remediationsDir: 'remediations',
    });
  });
  afterAll(async () => h?.stop());

  it('removes stopped opted-in containers and dangling images, keeps the rest, and reports bytes reclaimed', async () => {
    // A dangling image with 2 MB of its own: commit a container that wrote a file, untagged.
    const builder = await createTestContainer(docker, {
      name: 'builder',
      cmd: ['sh', '-c', 'dd if=/dev/zero of=/blob bs=1M count=2 && sleep 3600'],
    });
    await new Promise((r) => setTimeout(r, 500));
    const image = await docker.getContainer(builder).commit({});
    await docker.getContainer(builder).remove({ force: true });
    const stoppedOptIn = await createTestContainer(docker, {
      name: 'old-job',
      labels: { 'remediator.enable': 'true' },
      cmd: ['true'],
    });
    const stoppedOther = await createTestContainer(docker, { name: 'keep-me', cmd: ['true'] });
    const running = await createTestContainer(docker, { name: 'live', labels: { 'remediator.enable': 'true' } });
    await new Promise((r) => setTimeout(r, 500));
    expect((await docker.getContainer(stoppedOptIn).inspect()).State.Running).toBe(false);
    expect((await docker.listImages({ filters: { dangling: ['true'] } })).map((i) => i.Id)).toContain(image.Id);

    const res = await h.post(await fixture('firing-disk-full.json'));
    expect(res.status).toBe(202);
    const job = await h.waitForJob(res.body.jobs[0].jobId);

    expect(job.returnvalue.outcome).toBe('succeeded');
    expect(job.returnvalue.details.bytesReclaimed).toBeGreaterThan(2_000_000);
    expect(job.returnvalue.details.containersDeleted).toEqual([stoppedOptIn]);
    expect((await docker.listImages({ filters: { dangling: ['true'] } })).map((i) => i.Id)).not.toContain(image.Id);
    await expect(docker.getContainer(stoppedOptIn).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await docker.getContainer(stoppedOther).inspect()).State.Status).toBe('exited');
    expect((await docker.getContainer(running).inspect()).State.Running).toBe(true);
    await docker.getContainer(running).remove({ force: true });
    await docker.getContainer(stoppedOther).remove({ force: true });
  });
});

describe('transient Docker errors', () => {
  it('retries with growing delays while dockerd is down, and succeeds once it is back', async () => {
    const dir = await remediationsDir({
      'restart.yaml': [
        'match: alertname="HighLatency"',
        'target:',
        '  container: "{{ labels.container }}"',
        'action:',
        '  type: restart',
        '  stopTimeoutSeconds: 1',
        'retry:',
        '  attempts: 8',
        '  backoff: 300ms',
        '  maxBackoff: 3s',
        '  jitter: 0',
      ].join('\n'),
    });
    const h = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: dockerd.dockerHost,
      remediationsDir: dir,
    });
    try {
      await createTestContainer(docker, { name: 'flaky-api', labels: { 'remediator.enable': 'true' } });
      await dockerd.stop();
      const body = await fixture('firing-high-latency.json');
      body.alerts[0].labels.container = 'flaky-api';
      const res = await h.post(body);
      expect(res.status).toBe(202); // the webhook never calls Docker
      const id = res.body.jobs[0].jobId;

      // Wait for three failed attempts (the step's own retries), then bring the engine back.
      const failed = () => h.logs.filter((l) => l.msg === 'job retrying' && l.jobId === id);
      const deadline = Date.now() + 20_000;
      while (failed().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(failed().length).toBeGreaterThanOrEqual(3);
      await dockerd.start();
      docker = new Docker({ socketPath: dockerd.socketPath });
      const job = await h.waitForJob(id, 30_000);

      expect(await job.getState()).toBe('completed');
      expect(job.returnvalue.outcome).toBe('succeeded');
      // The step retried with its own policy (the file's retry), recorded in the result.
      expect(job.returnvalue.steps[0]!.attempts).toBeGreaterThanOrEqual(4);
      const retries = failed().map((l) => Number(l.time));
      expect(retries.length).toBeGreaterThanOrEqual(3);
      // Exponential: the gap before the third retry is longer than before the second.
      const gaps = retries.slice(1).map((t, i) => t - retries[i]!);
      expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
      expect((await docker.getContainer('flaky-api').inspect()).State.Running).toBe(true);
      expect(await inspectStartedAt(docker, 'flaky-api')).toBeTruthy();
    } finally {
      await h.stop();
    }
  });
});
