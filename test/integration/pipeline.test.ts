// The core pipeline against real components: each real Alertmanager fixture posted over HTTP
// to a running remediator leads to the real effect on real containers, asserted from Docker.
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestContainer, inspectStartedAt, removeContainers, uniquePrefix } from '../support/docker.js';
import { fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('pipe');
let h: Harness;

const compose = (service: string, n: number) => ({
  'com.docker.compose.project': `${p}proj`,
  'com.docker.compose.service': service,
  'com.docker.compose.container-number': String(n),
  'remediator.enable': 'true',
});

async function runningReplicas(service: string): Promise<number> {
  const list = await docker.listContainers({ filters: { label: [`com.docker.compose.service=${service}`] } });
  return list.filter((c) => c.State === 'running').length;
}

beforeAll(async () => {
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: 'remediations',
  });
});
afterAll(async () => {
  await h?.stop();
  await removeContainers(docker, p);
});

describe('HighLatency: restart the slow container', () => {
  it('restarts the container named by the alert, verified running, and its StartedAt moves forward', async () => {
    const name = `${p}api`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const before = await inspectStartedAt(docker, name);
    const body = await fixture('firing-high-latency.json');
    body.alerts[0].labels.container = name;

    const res = await h.post(body);
    expect(res.status).toBe(202);
    expect(res.body.jobs).toHaveLength(1);
    expect(res.body.jobs[0].status).toBe('enqueued');
    const job = await h.waitForJob(res.body.jobs[0].jobId);

    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue.outcome).toBe('succeeded');
    expect(job.returnvalue.targets).toEqual([name]);
    expect(job.returnvalue.verification?.ok).toBe(true);
    const after = await inspectStartedAt(docker, name);
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
    expect((await docker.getContainer(name).inspect()).State.Running).toBe(true);
  });

  it('a duplicate POST and the repeat of the episode add no job and no second restart', async () => {
    const name = `${p}api2`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const body = await fixture('firing-high-latency.json');
    body.alerts[0].labels.container = name;
    body.alerts[0].fingerprint = 'aaaa000000000002';

    const first = await h.post(body);
    const again = await h.post(body);
    expect(first.body.jobs[0].status).toBe('enqueued');
    expect(again.body.jobs[0].status).toBe('duplicate');
    const job = await h.waitForJob(first.body.jobs[0].jobId);
    const startedAfterFirst = await inspectStartedAt(docker, name);
    expect(job.returnvalue.outcome).toBe('succeeded');

    // Once the job is gone from BullMQ (retention), the episode record still says "handled".
    await job.remove();
    const third = await h.post(body);
    expect(third.status).toBe(202);
    expect(third.body.jobs[0].status).toBe('duplicate');
    expect(await h.job(first.body.jobs[0].jobId)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 500));
    expect(await inspectStartedAt(docker, name)).toBe(startedAfterFirst);
  });

  it('never touches a container without the opt-in label: refused, not retried, not restarted', async () => {
    const name = `${p}noopt`;
    await createTestContainer(docker, { name, labels: {} });
    const before = await inspectStartedAt(docker, name);
    const body = await fixture('firing-high-latency.json');
    body.alerts[0].labels.container = name;
    body.alerts[0].fingerprint = 'aaaa000000000003';

    const callsBefore = h.docker.calls.length;
    const res = await h.post(body);
    const job = await h.waitForJob(res.body.jobs[0].jobId);
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toMatch(/remediator\.enable=true/);
    expect(job.attemptsMade).toBe(1);
    expect(h.docker.calls.slice(callsBefore)).toEqual(['listContainers']);
    expect(await inspectStartedAt(docker, name)).toBe(before);
  });

  it('a missing container fails the job at once, without retries', async () => {
    const body = await fixture('firing-high-latency.json');
    body.alerts[0].labels.container = `${p}does-not-exist`;
    body.alerts[0].fingerprint = 'aaaa000000000004';
    const res = await h.post(body);
    const job = await h.waitForJob(res.body.jobs[0].jobId);
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toMatch(/not found/);
    expect(job.attemptsMade).toBe(1);
  });
});

describe('labels that are not Docker names', () => {
  // A remediation that matches on alertname only, so every label value reaches the template
  // (the shipped one's container=~".+" already drops a value holding a newline, as Go's RE2 does).
  let loose: Harness;
  beforeAll(async () => {
    const dir = await remediationsDir({
      'restart-any.yaml':
        'match: alertname="HighLatency"\ntarget:\n  container: "{{ labels.container }}"\naction:\n  type: restart\n',
    });
    loose = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: dir,
    });
  });
  afterAll(async () => loose?.stop());

  it.each([['api;rm -rf /'], ['../x'], ['a?b=1'], ['api\nrm'], ['$(reboot)'], ['']])(
    'refuses the label value %j before any Docker call, without retries',
    async (value) => {
      const body = await fixture('firing-high-latency.json');
      body.alerts[0].labels.container = value;
      body.alerts[0].fingerprint = `bad${Buffer.from(value).toString('hex').slice(0, 12)}`;
      const res = await loose.post(body);
      expect(res.status).toBe(202);
      expect(res.body.jobs).toHaveLength(1);
      const job = await loose.waitForJob(res.body.jobs[0].jobId);
      expect(await job.getState()).toBe('failed');
      expect(job.failedReason).toMatch(/target refused: labels\.container/);
      expect(job.attemptsMade).toBe(1);
      expect(loose.docker.calls.filter((c) => c !== 'ping')).toEqual([]);
    },
  );
});

describe('QueueDepthHigh: scale the consumer out, bounded', () => {
  it('adds one running replica cloned from the service, and never goes past max', async () => {
    const service = `${p}worker`;
    await createTestContainer(docker, { name: `${p}proj-${service}-1`, labels: compose(service, 1) });
    expect(await runningReplicas(service)).toBe(1);
    const body = await fixture('firing-queue-depth-high.json');
    body.alerts[0].labels.service = service;

    const res = await h.post(body);
    expect(res.status).toBe(202);
    const job = await h.waitForJob(res.body.jobs[0].jobId);
    expect(job.returnvalue.outcome).toBe('succeeded');
    expect(job.returnvalue.details).toMatchObject({ before: 1, after: 2 });
    expect(await runningReplicas(service)).toBe(2);
    const clone = await docker.getContainer(`${p}proj-${service}-2`).inspect();
    expect(clone.Config.Labels['remediator.enable']).toBe('true');
    expect(clone.Config.Labels['com.docker.compose.container-number']).toBe('2');

    // The repeat fixture is the same episode: nothing more happens.
    const repeat = await fixture('repeat-queue-depth-high.json');
    repeat.alerts[0].labels.service = service;
    const r2 = await h.post(repeat);
    expect(r2.body.jobs[0].status).toBe('duplicate');

    // A new episode inside the shipped 5-minute cooldown does not scale again: it waits the
    // cooldown out (no silent skip), and its alert resolving meanwhile cancels it.
    const next = structuredClone(body);
    next.alerts[0].startsAt = new Date(Date.parse(body.alerts[0].startsAt) + 60_000).toISOString();
    const waiting = new Promise<{ jobId: string; on: string; detail: string }>((resolve) =>
      h.runtime.events.on('job.waiting', (e) => {
        if (e.on === 'cooldown') resolve(e);
      }),
    );
    const id2 = (await h.post(next)).body.jobs[0].jobId;
    const held = await waiting;
    expect(held).toMatchObject({ jobId: id2, detail: expect.stringMatching(/cooldown, \d+s left; it waits it out/) });
    expect(await h.runtime.queue.getJobState(id2)).toBe('delayed');
    expect(await runningReplicas(service)).toBe(2);
    const resolved = structuredClone(next);
    resolved.status = 'resolved';
    resolved.alerts[0].status = 'resolved';
    resolved.alerts[0].endsAt = new Date().toISOString();
    const r3 = await h.post(resolved);
    expect(r3.body.jobs).toContainEqual(expect.objectContaining({ jobId: id2, status: 'cancelled' }));
    expect(await runningReplicas(service)).toBe(2);
  });

  it('never scales past max, however many episodes come', async () => {
    const service = `${p}bounded`;
    await createTestContainer(docker, { name: `${p}proj-${service}-1`, labels: compose(service, 1) });
    const dir = await remediationsDir({
      'scale.yaml':
        'match: alertname="QueueDepthHigh"\ntarget:\n  service: "{{ labels.service }}"\naction:\n  type: scale\n  by: 1\n  max: 3\n',
    });
    const b = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: dir,
    });
    try {
      const body = await fixture('firing-queue-depth-high.json');
      body.alerts[0].labels.service = service;
      const outcomes: string[] = [];
      for (let i = 0; i < 4; i++) {
        const next = structuredClone(body);
        next.alerts[0].startsAt = new Date(Date.parse(body.alerts[0].startsAt) + i * 60_000).toISOString();
        const j = await b.waitForJob((await b.post(next)).body.jobs[0].jobId);
        outcomes.push(j.returnvalue.outcome);
        expect(await runningReplicas(service)).toBeLessThanOrEqual(3);
      }
      expect(outcomes).toEqual(['succeeded', 'succeeded', 'skipped', 'skipped']);
      expect(await runningReplicas(service)).toBe(3);
    } finally {
      await b.stop();
    }
  });
});
