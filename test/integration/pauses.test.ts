// Pauses against real Redis and a real Docker Engine: `pause --all` (the kill switch) during a
// storm holds every job (deferred, not dropped: no Docker action starts, read live from Docker's
// event stream) until `resume`, then each held job runs once; a pause of one target leaves
// the others working; both through the CLI (Redis) and the operator API. Each held job's history
// record names the pause that held it; one whose alert resolves while held ends `cancelled`,
// recorded with that pause, and never acts.
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pauseCommand, pausesCommand, resumeCommand } from '../../src/cli/pause.js';
import type { CliIO } from '../../src/cli/io.js';
import { recordEvents, type EventRecorder } from '../support/docker-events.js';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('pause');
const OPERATOR = 'operator-token-abcdef0123456789';
const STORM = 6;
let h: Harness;
let events: EventRecorder;
const held = new Map<string, string>();

beforeAll(async () => {
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: await remediationsDir({
      'restart.yaml': [
        'match: alertname="HighLatency"',
        'target:',
        '  container: "{{ labels.container }}"',
        'action:',
        '  type: restart',
        '  stopTimeoutSeconds: 1',
      ].join('\n'),
    }),
    env: { OPERATOR_TOKEN: OPERATOR, WORKER_CONCURRENCY: '4' },
  });
  h.runtime.events.on('job.waiting', (e) => {
    if (e.on === 'paused') held.set(e.jobId, e.detail);
  });
  events = await recordEvents(docker);
});
afterAll(async () => {
  await events?.stop();
  await h?.stop();
  await removeContainers(docker, p);
});

function cliIO(): CliIO & { text(): string } {
  const out: string[] = [];
  return {
    out: { write: (s: string) => out.push(s) },
    err: { write: (s: string) => out.push(s) },
    stdin: [],
    env: { REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: h.prefix, USER: 'erin' },
    text: () => out.join(''),
  };
}

async function fire(container: string, n: number) {
  const body = await fixture('firing-high-latency.json');
  body.alerts[0].labels.container = container;
  body.alerts[0].fingerprint = `b${String(n).padStart(15, '0')}`;
  const res = await h.post(body);
  expect(res.status).toBe(202);
  return { jobId: res.body.jobs[0].jobId as string, body };
}

async function until(what: string, probe: () => Promise<boolean> | boolean, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const restarts = (name: string) => events.events.filter((e) => e.name === name && e.verb === 'restart');

describe('pause --all, the kill switch', () => {
  it('during a storm no Docker action starts until resume; then each held job runs once', async () => {
    const names = Array.from({ length: STORM }, (_, i) => `${p}s${i}`);
    for (const name of names) await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const io = cliIO();
    await events.flush(); // the containers' own create and start are in
    expect(await pauseCommand(['--all', '--for', '1h', '--reason', 'storm: hands off'], io)).toBe(0);
    expect(io.text()).toMatch(/^paused everything \(kill switch\) until .* by erin@.*: storm: hands off/);
    const from = events.events.length;

    // The storm: every alert delivered twice (Alertmanager re-sends), all while paused.
    const jobs: string[] = [];
    for (const [i, name] of names.entries()) jobs.push((await fire(name, i)).jobId);
    for (const [i, name] of names.entries()) await fire(name, i);
    await until('every job held by the pause', () => jobs.every((j) => held.has(j)));
    for (const j of jobs) expect(await h.runtime.queue.getJobState(j)).toBe('delayed');
    expect(held.get(jobs[0]!)).toMatch(
      /^paused by erin@.* until .* \(everything \(kill switch\)\): storm: hands off; held, not dropped/,
    );
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/remediator_pauses\{scope="all"\} 1/);
    expect(metrics).toMatch(
      new RegExp(`remediator_episodes_unhandled\\{remediation="restart",reason="paused"\\} ${STORM}`),
    );
    const list = cliIO();
    expect(await pausesCommand([], list)).toBe(0);
    expect(list.text()).toMatch(/everything \(kill switch\)\s+\S+\s+erin@\S+\s+storm: hands off/);
    // Nothing reached Docker while paused.
    await events.flush();
    expect(events.events.slice(from).filter((e) => e.name.startsWith(`${p}s`))).toEqual([]);

    const resume = cliIO();
    expect(await resumeCommand(['--all', '--reason', 'storm over'], resume)).toBe(0);
    expect(resume.text()).toMatch(/resumed everything \(kill switch\) \(paused by erin@.*\); \d+ held job\(s\) woken/);
    for (const j of jobs) expect((await h.waitForJob(j, 60_000)).returnvalue.outcome).toBe('succeeded');
    await events.flush();
    for (const name of names) expect(restarts(name), name).toHaveLength(1);
    // Each record says what held it: the one pause, once (its duplicate delivery and the
    // recheck add nothing), with who set it, why, and when it first held the step.
    for (const j of jobs) {
      const rec = await h.runtime.history.get(j);
      expect(rec?.pauses, j).toHaveLength(1);
      const z = rec!.pauses![0]!;
      expect(z).toMatchObject({ step: 'restart', scope: 'everything (kill switch)', reason: 'storm: hands off' });
      expect(z.by).toMatch(/^erin@/);
      expect(z.from).toBeLessThanOrEqual(z.heldAt);
      expect(z.until - z.from).toBe(3_600_000);
      expect(z.heldAt).toBeLessThan(rec!.firstActionAt!);
    }
    // Pause and resume are in history, by whom and why.
    const ops = await h.runtime.history.query({ outcome: 'operator' });
    expect(ops.records.map((r) => [r.action, r.operator?.by.split('@')[0], r.operator?.reason])).toEqual([
      ['resume', 'erin', 'storm over'],
      ['pause', 'erin', 'storm: hands off'],
    ]);
  });
});

describe('a pause of one target', () => {
  it('holds that target only; the others work; resume through the operator API lets it act', async () => {
    const [paused, free] = [`${p}t1`, `${p}t2`];
    for (const name of [paused, free])
      await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const api = (path: string, body: unknown, token = OPERATOR) =>
      fetch(`${h.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
    const res = await api('/api/v1/pauses', {
      target: `local/${paused}`,
      for: '30m',
      reason: 'debugging',
      by: 'frank',
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { pause: unknown }).pause).toMatchObject({
      id: `target:local/${paused}`,
      by: 'frank',
    });
    expect(
      (await api('/api/v1/pauses', { all: true, for: '1h', reason: 'x', by: 'y' }, 'wrong-token-0123456789')).status,
    ).toBe(401);

    const a = await fire(paused, 20);
    const b = await fire(free, 21);
    expect((await h.waitForJob(b.jobId, 30_000)).returnvalue.outcome).toBe('succeeded');
    await until('the paused target held', () => held.has(a.jobId));
    expect(held.get(a.jobId)).toMatch(new RegExp(`^paused by frank until .* \\(target local/${paused}\\): debugging`));
    expect(await h.runtime.queue.getJobState(a.jobId)).toBe('delayed');
    await events.flush();
    expect(restarts(paused)).toHaveLength(0);

    const r = await api('/api/v1/resume', { target: `local/${paused}`, by: 'frank', reason: 'done' });
    expect(r.status).toBe(200);
    expect((await h.waitForJob(a.jobId, 30_000)).returnvalue.outcome).toBe('succeeded');
    await events.flush();
    expect(restarts(paused)).toHaveLength(1);
    expect(restarts(free)).toHaveLength(1);
    expect((await h.runtime.history.get(a.jobId))?.pauses).toMatchObject([
      { scope: `target local/${paused}`, by: 'frank', reason: 'debugging' },
    ]);
    expect((await h.runtime.history.get(b.jobId))?.pauses).toBeUndefined();
  });

  it('an alert that resolves while its job is held ends cancelled, recorded with the pause, and never acts', async () => {
    const name = `${p}t3`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    await events.flush();
    const pause = cliIO();
    expect(await pauseCommand(['--target', `local/${name}`, '--for', '10m', '--reason', 'deploy'], pause)).toBe(0);
    const { jobId, body } = await fire(name, 30);
    await until('the job held by the pause', () => held.has(jobId));
    const resolved = structuredClone(body);
    resolved.status = 'resolved';
    resolved.alerts[0].status = 'resolved';
    resolved.alerts[0].endsAt = new Date().toISOString();
    const res = await h.post(resolved);
    expect(res.status).toBe(202);
    const job = await h.waitForJob(jobId, 30_000);
    expect(job.returnvalue).toMatchObject({ outcome: 'cancelled', summary: 'alert resolved before remediator acted' });
    const rec = await h.runtime.history.get(jobId);
    expect(rec).toMatchObject({ outcome: 'cancelled', steps: [] });
    expect(rec?.pauses).toMatchObject([
      { scope: `target local/${name}`, by: expect.stringMatching(/^erin@/), reason: 'deploy' },
    ]);
    await events.flush();
    expect(events.actionsOn(name).filter((e) => e.verb !== 'create' && e.verb !== 'start')).toEqual([]);
    expect(await resumeCommand(['--target', `local/${name}`, '--reason', 'done'], cliIO())).toBe(0);
  });
});
