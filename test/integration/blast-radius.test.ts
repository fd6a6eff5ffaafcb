// Blast-radius limits against real Redis and real containers: an empty target set where
// targets are expected and one larger than maxContainers (container and service scope) are
// refused and recorded; minHealthy holds a restart that would leave too few healthy replicas
// until there are enough; the fleet-wide cap of disruptive actions per minute defers the rest.
import Docker from 'dockerode';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTestContainer, inspectStartedAt, removeContainers, uniquePrefix } from '../support/docker.js';
import { fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('blast');
const started: Harness[] = [];
afterAll(async () => {
  await Promise.all(started.map((h) => h.stop().catch(() => undefined)));
  await removeContainers(docker, p);
});

async function harness(files: Record<string, string>, env: Record<string, string> = {}) {
  const h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: await remediationsDir(files),
    env,
  });
  started.push(h);
  return h;
}

async function fire(h: Harness, labels: Record<string, string>, n: number) {
  const body = await fixture('firing-high-latency.json');
  Object.assign(body.alerts[0].labels, labels);
  body.alerts[0].fingerprint = `d${String(n).padStart(15, '0')}`;
  const res = await h.post(body);
  expect(res.status).toBe(202);
  return res.body.jobs[0].jobId as string;
}

const compose = (service: string, n: number) => ({
  'remediator.enable': 'true',
  'com.docker.compose.project': `${p}proj`,
  'com.docker.compose.service': service,
  'com.docker.compose.container-number': String(n),
});

const held = (h: Harness, on: string) =>
  new Promise<{ jobId: string; detail: string }>((resolve) =>
    h.runtime.events.on('job.waiting', (e) => {
      if (e.on === on) resolve(e);
    }),
  );

describe('target sets', () => {
  it('refuses an empty set where the file expects targets, and one over maxContainers, and records both', async () => {
    const tag = `${p}tier`;
    for (const i of [1, 2, 3])
      await createTestContainer(docker, { name: `${p}w${i}`, labels: { 'remediator.enable': 'true', [tag]: 'web' } });
    const h = await harness({
      'none.yaml': [
        'match: alertname="Empty"',
        'target:',
        `  withLabel: ${p}absent`,
        '  minContainers: 1',
        '  maxContainers: 5',
        'action:',
        '  type: restart',
      ].join('\n'),
      'wide.yaml': [
        'match: alertname="Wide"',
        'target:',
        '  labels:',
        `    ${tag}: web`,
        '  maxContainers: 2',
        'action:',
        '  type: restart',
      ].join('\n'),
    });
    const before = await Promise.all([1, 2, 3].map((i) => inspectStartedAt(docker, `${p}w${i}`)));
    const empty = await h.waitForJob(await fire(h, { alertname: 'Empty' }, 1));
    expect(empty.failedReason).toMatch(/matches 0 opted-in containers, fewer than target.minContainers \(1\)/);
    const wide = await h.waitForJob(await fire(h, { alertname: 'Wide' }, 2));
    expect(wide.failedReason).toMatch(/matches 3 containers, more than target.maxContainers \(2\)/);
    expect(await h.runtime.history.get(empty.id!)).toMatchObject({
      outcome: 'refused',
      steps: [{ blastRadius: 'empty' }],
    });
    expect(await h.runtime.history.get(wide.id!)).toMatchObject({
      outcome: 'refused',
      steps: [{ blastRadius: 'too_many' }],
    });
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/remediator_blast_radius_refusals_total\{remediation="none",reason="empty"\} 1/);
    expect(metrics).toMatch(/remediator_blast_radius_refusals_total\{remediation="wide",reason="too_many"\} 1/);
    // Firing, and nothing will act on it: visible.
    expect(metrics).toMatch(/remediator_episodes_unhandled\{remediation="wide",reason="refused"\} 1/);
    expect(await Promise.all([1, 2, 3].map((i) => inspectStartedAt(docker, `${p}w${i}`)))).toEqual(before);
  });

  it('maxContainers holds for a service-scope step too', async () => {
    const service = `${p}svc`;
    for (const i of [1, 2])
      await createTestContainer(docker, { name: `${p}proj-${service}-${i}`, labels: compose(service, i) });
    const h = await harness({
      'scale.yaml': [
        'match: alertname="QueueDepthHigh"',
        'target:',
        '  service: "{{ labels.service }}"',
        '  maxContainers: 1',
        'action:',
        '  type: scale',
        '  by: 1',
        '  max: 5',
      ].join('\n'),
    });
    const body = await fixture('firing-queue-depth-high.json');
    body.alerts[0].labels.service = service;
    const job = await h.waitForJob((await h.post(body)).body.jobs[0].jobId);
    expect(job.failedReason).toMatch(/has 2 opted-in containers, more than target.maxContainers \(1\)/);
  });
});

describe('minHealthy', () => {
  it('holds a restart that would leave fewer healthy replicas than minHealthy, and acts once there are enough', async () => {
    const service = `${p}api`;
    for (const i of [1, 2])
      await createTestContainer(docker, { name: `${p}proj-${service}-${i}`, labels: compose(service, i) });
    const h = await harness({
      'restart.yaml': [
        'match: alertname="HighLatency"',
        'target:',
        '  container: "{{ labels.container }}"',
        '  minHealthy: 2',
        'action:',
        '  type: restart',
        '  stopTimeoutSeconds: 1',
      ].join('\n'),
    });
    const target = `${p}proj-${service}-1`;
    const before = await inspectStartedAt(docker, target);
    const waiting = held(h, 'min_healthy');
    const jobId = await fire(h, { container: target }, 10);
    expect(await waiting).toMatchObject({
      jobId,
      detail: `service ${service} has 2 healthy replicas: acting on 1 more would leave fewer than minHealthy 2; it waits`,
    });
    expect(await inspectStartedAt(docker, target)).toBe(before);
    // A third replica comes up: now one may go down.
    await createTestContainer(docker, { name: `${p}proj-${service}-3`, labels: compose(service, 3) });
    expect((await h.waitForJob(jobId, 30_000)).returnvalue.outcome).toBe('succeeded');
    expect(Date.parse(await inspectStartedAt(docker, target))).toBeGreaterThan(Date.parse(before));
  });
});

describe('the fleet-wide rate of disruptive actions', () => {
  it('MAX_DISRUPTIVE_PER_MINUTE=1: the second restart in the minute is deferred, not done and not dropped', async () => {
    for (const i of [1, 2])
      await createTestContainer(docker, { name: `${p}r${i}`, labels: { 'remediator.enable': 'true' } });
    const h = await harness(
      {
        'restart.yaml': [
          'match: alertname="HighLatency"',
          'target:',
          '  container: "{{ labels.container }}"',
          'action:',
          '  type: restart',
          '  stopTimeoutSeconds: 1',
        ].join('\n'),
      },
      { MAX_DISRUPTIVE_PER_MINUTE: '1' },
    );
    expect((await h.waitForJob(await fire(h, { container: `${p}r1` }, 20))).returnvalue.outcome).toBe('succeeded');
    const before = await inspectStartedAt(docker, `${p}r2`);
    const waiting = held(h, 'rate');
    const second = await fire(h, { container: `${p}r2` }, 21);
    const e = await waiting;
    expect(e.jobId).toBe(second);
    expect(e.detail).toMatch(
      /^1 disruptive actions in the last minute across the fleet \(MAX_DISRUPTIVE_PER_MINUTE 1\): it waits \d+s$/,
    );
    expect(await h.runtime.queue.getJobState(second)).toBe('delayed');
    expect(await inspectStartedAt(docker, `${p}r2`)).toBe(before);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/remediator_jobs_held_total\{remediation="restart",reason="rate"\} [1-9]/);
    expect(metrics).toMatch(/remediator_episodes_unhandled\{remediation="restart",reason="rate_limited"\} 1/);
  });
});
