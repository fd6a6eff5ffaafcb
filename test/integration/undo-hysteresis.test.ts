// onResolved with `after:` against real Redis and real containers: a scale-out is undone only
// if its episode stays resolved for `after`; a re-fire of the same alert meanwhile cancels the
// undo, so the service is not scaled back while the surge goes on.
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('undo');
const service = `${p}consumer`;
let h: Harness;

beforeAll(async () => {
  await createTestContainer(docker, {
    name: `${p}q-${service}-1`,
    labels: {
      'remediator.enable': 'true',
      'com.docker.compose.project': `${p}q`,
      'com.docker.compose.service': service,
      'com.docker.compose.container-number': '1',
    },
  });
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: await remediationsDir({
      'surge.yaml': [
        'match: alertname="QueueDepthHigh"',
        'target:',
        '  service: "{{ labels.service }}"',
        'action:',
        '  type: scale',
        '  by: 1',
        '  max: 4',
        'onResolved:',
        '  after: 3s',
        '  action:',
        '    type: scale',
        '    replicas: 1',
        '    max: 4',
      ].join('\n'),
    }),
  });
});
afterAll(async () => {
  await h?.stop();
  await removeContainers(docker, p);
});

const running = async () =>
  (await docker.listContainers({ filters: { label: [`com.docker.compose.service=${service}`] } })).length;

async function episode(minute: number) {
  const body = await fixture('firing-queue-depth-high.json');
  body.alerts[0].labels.service = service;
  body.alerts[0].startsAt = new Date(Date.parse(body.alerts[0].startsAt) + minute * 60_000).toISOString();
  const resolved = structuredClone(body);
  resolved.status = 'resolved';
  resolved.alerts[0].status = 'resolved';
  resolved.alerts[0].endsAt = new Date().toISOString();
  return { firing: body, resolved };
}

const resolveJob = (res: { body: { jobs: { jobId: string; status: string }[] } }) =>
  res.body.jobs.find((j) => j.jobId.endsWith('.resolved'))!;

describe('onResolved after: 3s', () => {
  it('a re-fire within after cancels the pending scale-back; a resolve that holds scales back', async () => {
    const one = await episode(0);
    expect((await h.waitForJob((await h.post(one.firing)).body.jobs[0].jobId)).returnvalue.outcome).toBe('succeeded');
    expect(await running()).toBe(2);

    // Resolved: the scale-back waits out `after` as a delayed job.
    const undo = resolveJob(await h.post(one.resolved));
    expect(undo.status).toBe('enqueued');
    expect(await h.runtime.queue.getJobState(undo.jobId)).toBe('delayed');

    // The same alert fires again (a new episode) before `after` passed: the undo is cancelled.
    const two = await episode(5);
    const refire = await h.post(two.firing);
    expect(refire.body.jobs).toContainEqual({
      jobId: undo.jobId,
      remediation: 'surge',
      fingerprint: one.firing.alerts[0].fingerprint,
      status: 'cancelled',
    });
    expect(await h.runtime.queue.getJobState(undo.jobId)).toBe('unknown');
    const rec = await h.runtime.history.get(undo.jobId);
    expect(rec).toMatchObject({ outcome: 'cancelled', phase: 'resolve' });
    expect(rec?.summary).toMatch(/the alert fired again .* before onResolved's after: passed; not undoing/);
    const fired = await h.waitForJob(
      refire.body.jobs.find((j: { jobId: string }) => !j.jobId.endsWith('.resolved')).jobId,
    );
    expect(fired.returnvalue.outcome).toBe('succeeded');
    expect(await running()).toBe(3);

    // This time the resolve holds for `after`: the service goes back to its baseline.
    const back = resolveJob(await h.post(two.resolved));
    const done = await h.waitForJob(back.jobId, 30_000);
    expect(done.returnvalue).toMatchObject({ outcome: 'succeeded', details: { before: 3, after: 1 } });
    expect(await running()).toBe(1);
    // Nothing undid the surge in between: two scale-outs, one scale-back, in that order.
    const story = (await h.runtime.history.query({ remediation: 'surge' })).records
      .map((r) => `${r.phase}:${r.outcome}`)
      .reverse();
    expect(story).toEqual(['fire:succeeded', 'resolve:cancelled', 'fire:succeeded', 'resolve:succeeded']);
  });
});
