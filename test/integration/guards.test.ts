// The safety guards against real Redis and real containers: one action per target at a time,
// cooldown, run budget and circuit breaker (kept across restarts), in-flight caps, delay and
// cancellation by a resolved alert, onResolved, and dry-run.
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestContainer, inspectStartedAt, removeContainers, uniquePrefix } from '../support/docker.js';
import { anyOverlap, recordEvents, type EventRecorder } from '../support/docker-events.js';
import { fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('guard');
const started: Harness[] = [];
let events: EventRecorder;
beforeAll(async () => {
  events = await recordEvents(docker);
});
afterAll(async () => {
  await events?.stop();
  await Promise.all(started.map((h) => h.stop().catch(() => undefined)));
  await removeContainers(docker, p);
});

const restartFile = (extra: string) =>
  [
    'match: alertname="HighLatency"',
    'target:',
    '  container: "{{ labels.container }}"',
    'action:',
    '  type: restart',
    '  stopTimeoutSeconds: 1',
    'retry:',
    '  attempts: 2',
    '  backoff: 200ms',
    extra,
  ].join('\n');

async function harness(
  files: Record<string, string>,
  env: Record<string, string> = {},
  prefix?: string,
): Promise<Harness> {
  const h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: await remediationsDir(files),
    env,
    prefix,
  });
  started.push(h);
  return h;
}

/** A firing HighLatency alert for `container`, episode number `n`. */
async function alertFor(container: string, n: number, fingerprint = `f${container.length}${n}`.padEnd(16, '0')) {
  const body = await fixture('firing-high-latency.json');
  body.alerts[0].labels.container = container;
  body.alerts[0].fingerprint = fingerprint.replace(/[^0-9a-z]/g, '0').slice(0, 16);
  body.alerts[0].startsAt = new Date(Date.parse(body.alerts[0].startsAt) + n * 60_000).toISOString();
  return body;
}

describe('per-target lock', () => {
  it('two episodes for one container at once: both run, one after the other, never overlapping', async () => {
    const name = `${p}locked`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const h = await harness({ 'r.yaml': restartFile('') });
    const [a, b] = await Promise.all([h.post(await alertFor(name, 1)), h.post(await alertFor(name, 2))]);
    const jobs = await Promise.all([h.waitForJob(a.body.jobs[0].jobId), h.waitForJob(b.body.jobs[0].jobId)]);
    expect(jobs.map((j) => j.returnvalue.outcome)).toEqual(['succeeded', 'succeeded']);
    await events.sync(name);
    const windows = events.windows('restart', (e) => e.name === name);
    expect(windows).toHaveLength(2);
    expect(anyOverlap(windows)).toBe(false);
    // The second one waited for the lock rather than failing: no attempt was spent.
    expect(jobs.map((j) => j.attemptsMade)).toEqual([1, 1]);
  });
});

describe('cooldown', () => {
  it('a second episode inside the cooldown waits it out, then acts (no silent skip), after the cooldown ended', async () => {
    const name = `${p}cool`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const h = await harness({ 'r.yaml': restartFile('guards:\n  cooldown: 3s') });
    const holds: { jobId: string; on: string; detail: string }[] = [];
    h.runtime.events.on('job.waiting', (e) => void holds.push(e));
    const t0 = Date.now();
    const first = await h.waitForJob((await h.post(await alertFor(name, 1))).body.jobs[0].jobId);
    expect(first.returnvalue.outcome).toBe('succeeded');
    const second = await h.waitForJob((await h.post(await alertFor(name, 2))).body.jobs[0].jobId);
    expect(second.returnvalue.outcome).toBe('succeeded');
    expect(holds.find((e) => e.jobId === second.id && e.on === 'cooldown')?.detail).toMatch(
      /cooldown, \d+s left; it waits it out, then acts if the alert still fires/,
    );
    // Two restarts, the second one only once the 3 s cooldown that the first started had ended.
    await events.sync(name);
    const windows = events.windows('restart', (e) => e.name === name && e.t >= t0);
    expect(windows).toHaveLength(2);
    expect(windows[1]!.start - windows[0]!.end).toBeGreaterThanOrEqual(3_000 - 50);
  });

  it('a second episode inside the cooldown whose alert resolves meanwhile is cancelled, container untouched', async () => {
    const name = `${p}cool2`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const h = await harness({ 'r.yaml': restartFile('guards:\n  cooldown: 1h') });
    const first = await h.waitForJob((await h.post(await alertFor(name, 1))).body.jobs[0].jobId);
    expect(first.returnvalue.outcome).toBe('succeeded');
    const startedAt = await inspectStartedAt(docker, name);
    const held = new Promise<string>((resolve) =>
      h.runtime.events.on('job.waiting', (e) => {
        if (e.on === 'cooldown') resolve(e.jobId);
      }),
    );
    const body = await alertFor(name, 2);
    const id = (await h.post(body)).body.jobs[0].jobId;
    expect(await held).toBe(id);
    // Firing and not handled: the metric says so, with the reason.
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/remediator_episodes_unhandled\{remediation="r",reason="cooldown"\} 1/);
    body.status = 'resolved';
    body.alerts[0].status = 'resolved';
    body.alerts[0].endsAt = new Date().toISOString();
    const res = await h.post(body);
    expect(res.body.jobs).toContainEqual(expect.objectContaining({ jobId: id, status: 'cancelled' }));
    expect(await inspectStartedAt(docker, name)).toBe(startedAt);
    const after = await (await fetch(`${h.url}/metrics`)).text();
    expect(after).not.toMatch(/remediator_episodes_unhandled\{remediation="r",reason="cooldown"\} 1/);
  });
});

describe('a resolve while a job that already acted waits', () => {
  it('wakes it instead of removing it: it ends resolved, its first step recorded, nothing more done', async () => {
    const [x, y, b] = [`${p}ladx`, `${p}lady`, `${p}ladb`];
    for (const name of [x, y, b]) await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const file = [
      'match: alertname="HighLatency"',
      'guards: { cooldown: 1h }',
      'retry: { attempts: 1 }',
      'steps:',
      '  - name: first',
      '    target: { container: "{{ labels.container }}" }',
      '    action: { type: restart, stopTimeoutSeconds: 1 }',
      '    onSuccess: next',
      '  - name: second',
      '    target: { container: "{{ labels.other }}" }',
      '    action: { type: restart, stopTimeoutSeconds: 1 }',
    ].join('\n');
    const h = await harness({ 'ladder.yaml': file });
    const withOther = async (container: string, n: number) => {
      const body = await alertFor(container, n);
      body.alerts[0].labels.other = b;
      return body;
    };
    // Episode 1 restarts x, then b: b's cooldown starts.
    const one = await h.waitForJob((await h.post(await withOther(x, 1))).body.jobs[0].jobId);
    expect(one.returnvalue.outcome).toBe('succeeded');
    const held = new Promise<string>((resolve) =>
      h.runtime.events.on('job.waiting', (e) => {
        if (e.on === 'cooldown') resolve(e.jobId);
      }),
    );
    // Episode 2 restarts y, then waits out b's cooldown; its alert resolves meanwhile.
    const body = await withOther(y, 2);
    const id = (await h.post(body)).body.jobs[0].jobId as string;
    expect(await held).toBe(id);
    body.status = 'resolved';
    body.alerts[0].status = 'resolved';
    body.alerts[0].endsAt = new Date().toISOString();
    const res = await h.post(body);
    expect(res.status).toBe(202);
    expect(res.body.jobs).not.toContainEqual(expect.objectContaining({ jobId: id, status: 'cancelled' }));
    const two = await h.waitForJob(id, 20_000);
    expect(two.returnvalue.outcome).toBe('resolved');
    expect(two.returnvalue.steps.map((st: { name: string; outcome: string }) => [st.name, st.outcome])).toEqual([
      ['first', 'succeeded'],
    ]);
    expect((await h.runtime.history.get(id))?.outcome).toBe('resolved');
    await events.sync(b);
    expect(events.windows('restart', (e) => e.name === y)).toHaveLength(1);
    expect(events.windows('restart', (e) => e.name === b)).toHaveLength(1);
  });
});

describe('budget and circuit breaker', () => {
  it('opens exactly at the budget, escalates, shows in the gauge, and stays open after a restart', async () => {
    const name = `${p}budget`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const files = { 'flappy.yaml': restartFile('guards:\n  budget: { runs: 2, window: 1h }') };
    const h = await harness(files);
    const outcomes: string[] = [];
    for (let n = 1; n <= 3; n++) {
      const job = await h.waitForJob((await h.post(await alertFor(name, n))).body.jobs[0].jobId);
      outcomes.push(
        job.returnvalue?.outcome ??
          (job.failedReason?.startsWith('circuit open') ? 'circuit_open' : `failed: ${job.failedReason}`),
      );
      if (n === 3) {
        expect(await job.getState()).toBe('failed'); // kept as failed, with a reason a human can act on
        expect(job.failedReason).toMatch(/circuit open: flappy already ran 2 times on container .* \(budget 2\)/);
        expect(job.attemptsMade).toBe(1);
      }
    }
    expect(outcomes).toEqual(['succeeded', 'succeeded', 'circuit_open']);
    expect(h.seen.find((e) => e.name === 'job.finished' && e.outcome === 'circuit_open')).toBeDefined();
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/remediator_circuit_open\{remediation="flappy"\} 1/);
    expect(metrics).toMatch(/remediator_escalations_total\{remediation="flappy",reason="circuit_open"\} 1/);
    expect(metrics).toMatch(
      /remediator_remediations_total\{remediation="flappy",action="restart",outcome="circuit_open"\} 1/,
    );

    // A new process on the same Redis keeps the state: the fourth episode is refused too.
    await h.stop();
    const again = await harness(files, {}, h.prefix);
    const before = await inspectStartedAt(docker, name);
    const fourth = await again.waitForJob((await again.post(await alertFor(name, 4))).body.jobs[0].jobId);
    expect(fourth.failedReason).toMatch(/^circuit open/);
    expect(await inspectStartedAt(docker, name)).toBe(before);
  });
});

describe('in-flight caps', () => {
  it('MAX_IN_FLIGHT=1: actions on three different containers never overlap', async () => {
    const names = [1, 2, 3].map((i) => `${p}cap${i}`);
    for (const name of names) await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const h = await harness({ 'r.yaml': restartFile('') }, { MAX_IN_FLIGHT: '1', WORKER_CONCURRENCY: '3' });
    const res = await Promise.all(names.map(async (name, i) => h.post(await alertFor(name, i + 10))));
    const jobs = await Promise.all(res.map((r) => h.waitForJob(r.body.jobs[0].jobId)));
    expect(jobs.map((j) => j.returnvalue.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    await events.sync(names[0]!);
    const windows = events.windows('restart', (e) => names.includes(e.name));
    expect(windows).toHaveLength(3);
    expect(anyOverlap(windows)).toBe(false);
  });

  it("restarts at most half of a Compose service's replicas at once", async () => {
    const labels = (n: number) => ({
      'remediator.enable': 'true',
      'com.docker.compose.project': `${p}shop`,
      'com.docker.compose.service': 'web',
      'com.docker.compose.container-number': String(n),
    });
    const names = [1, 2].map((n) => `${p}shop-web-${n}`);
    for (const [i, name] of names.entries()) await createTestContainer(docker, { name, labels: labels(i + 1) });
    const h = await harness({ 'r.yaml': restartFile('') }, { WORKER_CONCURRENCY: '4' });
    const res = await Promise.all(names.map(async (name, i) => h.post(await alertFor(name, i + 20))));
    const jobs = await Promise.all(res.map((r) => h.waitForJob(r.body.jobs[0].jobId)));
    expect(jobs.map((j) => j.returnvalue.outcome)).toEqual(['succeeded', 'succeeded']);
    await events.sync(names[0]!);
    const windows = events.windows('restart', (e) => names.includes(e.name));
    expect(windows).toHaveLength(2);
    expect(anyOverlap(windows)).toBe(false);
  });
});

describe('delay, resolve and onResolved', () => {
  it('a resolved alert during the delay cancels the job: no Docker call, outcome cancelled', async () => {
    const name = `${p}delayed`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const before = await inspectStartedAt(docker, name);
    const h = await harness({ 'r.yaml': restartFile('delay: 3s') });
    const firing = await fixture('firing-high-latency.json');
    firing.alerts[0].labels.container = name;
    const queued = await h.post(firing);
    const jobId = queued.body.jobs[0].jobId;
    expect(await (await h.job(jobId))!.getState()).toBe('delayed');

    const resolved = await fixture('resolved-high-latency.json');
    resolved.alerts[0].labels.container = name;
    const res = await h.post(resolved);
    expect(res.status).toBe(202);
    expect(res.body.jobs).toEqual([expect.objectContaining({ jobId, status: 'cancelled' })]);
    expect(await h.job(jobId)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 3_500));
    expect(await inspectStartedAt(docker, name)).toBe(before);
    expect(h.docker.calls.filter((c) => c === 'restart')).toEqual([]);
    expect(await (await fetch(`${h.url}/metrics`)).text()).toMatch(
      /remediator_remediations_total\{remediation="r",action="restart",outcome="cancelled"\} 1/,
    );
    // A late re-send of the firing episode does not bring it back.
    expect((await h.post(firing)).body.jobs[0].status).toBe('duplicate');
  });

  it('QueueDepthHigh resolved: onResolved scales the service back to its baseline', async () => {
    const service = `${p}consumer`;
    const labels = {
      'remediator.enable': 'true',
      'com.docker.compose.project': `${p}q`,
      'com.docker.compose.service': service,
      'com.docker.compose.container-number': '1',
    };
    await createTestContainer(docker, { name: `${p}q-${service}-1`, labels });
    const h = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: 'remediations',
    });
    started.push(h);
    const running = async () =>
      (await docker.listContainers({ filters: { label: [`com.docker.compose.service=${service}`] } })).length;
    const firing = await fixture('firing-queue-depth-high.json');
    firing.alerts[0].labels.service = service;
    await h.waitForJob((await h.post(firing)).body.jobs[0].jobId);
    expect(await running()).toBe(2);

    const resolved = structuredClone(firing);
    resolved.status = 'resolved';
    resolved.alerts[0].status = 'resolved';
    resolved.alerts[0].endsAt = new Date().toISOString();
    const res = await h.post(resolved);
    const back = res.body.jobs.find((j: { jobId: string }) => j.jobId.endsWith('.resolved'));
    expect(back).toBeDefined();
    const job = await h.waitForJob(back.jobId);
    expect(job.returnvalue).toMatchObject({ outcome: 'succeeded', details: { before: 2, after: 1 } });
    expect(await running()).toBe(1);
  });
});

describe('dry run', () => {
  it('DRY_RUN=true runs every step but the Docker call and says what it would have done', async () => {
    const name = `${p}dry`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const before = await inspectStartedAt(docker, name);
    const h = await harness({ 'r.yaml': restartFile('') }, { DRY_RUN: 'true' });
    const job = await h.waitForJob((await h.post(await alertFor(name, 1))).body.jobs[0].jobId);
    expect(job.returnvalue).toMatchObject({ outcome: 'dry_run', dryRun: true, targets: [name] });
    expect(job.returnvalue.summary).toMatch(new RegExp(`^dry run: would restart ${name}`));
    expect(h.docker.calls).not.toContain('restart');
    expect(await inspectStartedAt(docker, name)).toBe(before);
  });

  it('per-remediation dryRun: true does the same with DRY_RUN off', async () => {
    const name = `${p}dry2`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const h = await harness({ 'r.yaml': restartFile('dryRun: true') });
    const job = await h.waitForJob((await h.post(await alertFor(name, 1))).body.jobs[0].jobId);
    expect(job.returnvalue.outcome).toBe('dry_run');
    expect(h.docker.calls).not.toContain('restart');
  });
});
