// QueueDepthHigh end to end, every program real: a traffic surge at the demo broker outgrows
// one consumer -> Prometheus fires QueueDepthHigh -> Alertmanager delivers it -> remediator
// scales the consumer service out (Docker) -> two replicas drain the queue -> the alert
// resolves -> the resolved notification runs onResolved, which scales back to one replica.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildDemoImage, removeDemo, setQueueSurge, startDemo, type DemoNames } from '../../demo/lib.js';
import { freePort } from '../../scripts/lib/daemons.js';
import type { RemediationEventMap } from '../../src/lifecycle/events.js';
import { uniquePrefix } from '../support/docker.js';
import { startHarness, type Harness } from '../support/harness.js';
import {
  alertGoesRound,
  alertResolves,
  prometheusAlerts,
  queryValue,
  startStack,
  timeline,
  waitFor,
  type Stack,
} from './support/stack.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const prefix = uniquePrefix('e2e-q');
const project = `${prefix}demo`;
// A service name no other test uses: the shipped remediation selects replicas by service only.
const service = `${prefix}worker`;
let h: Harness;
let stack: Stack;
let names: DemoNames;
let queueDir: string;
const seen: { [K in 'job.queued' | 'alert.resolved']: RemediationEventMap[K][] } = {
  'job.queued': [],
  'alert.resolved': [],
};

async function replicas(): Promise<string[]> {
  const list = await docker.listContainers({ filters: { label: [`com.docker.compose.service=${service}`] } });
  return list
    .filter((c) => c.State === 'running')
    .map((c) => c.Names[0]!.replace(/^\//, ''))
    .sort();
}

beforeAll(async () => {
  await buildDemoImage(docker);
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: 'remediations',
  });
  for (const name of Object.keys(seen) as (keyof typeof seen)[])
    h.runtime.events.on(name, (e) => void seen[name].push(e as never));
  const queuePort = await freePort();
  queueDir = await mkdtemp(path.join(os.tmpdir(), 'rmd-q-'));
  names = await startDemo(docker, { project, queuePort, queueDir, workerService: service, parts: ['queue'] });
  stack = await startStack({
    webhookUrl: `${h.url}/webhook/alertmanager`,
    jobs: [{ job: 'demo-queue', targets: [`127.0.0.1:${queuePort}`] }],
  });
});

afterAll(async () => {
  if (names) await setQueueSurge(docker, names.broker, false).catch(() => undefined);
  await stack?.stop();
  await h?.stop();
  await removeDemo(docker, project);
  // Replicas remediator cloned carry the demo label too (cloned config); this is a backstop.
  for (const c of await docker.listContainers({
    all: true,
    filters: { label: [`com.docker.compose.service=${service}`] },
  })) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
  if (queueDir) await rm(queueDir, { recursive: true, force: true });
});

const depth = () => queryValue(stack.prometheus, `queue_depth{queue="emails",service="${service}"}`);

describe('QueueDepthHigh, real Prometheus -> Alertmanager -> remediator -> Docker', () => {
  it('scales the consumer out, the queue drains, the alert resolves and onResolved scales back in', async () => {
    const t = timeline('QueueDepthHigh');
    await waitFor(
      'the queue depth scraped and low',
      async () => {
        const v = await depth();
        return v !== undefined && v < 1000;
      },
      30_000,
    );
    expect(await replicas()).toEqual([names.worker]);
    expect(await prometheusAlerts(stack.prometheus, 'QueueDepthHigh')).toEqual([]);

    // A surge bounded in time (it ends by itself); switched off by the test once it is handled.
    await setQueueSurge(docker, names.broker, true, 120);
    t.mark('fault injected');

    // 1-2. Prometheus fires the rule for this service; Alertmanager holds it and delivers it: one
    // scale-out job for the episode.
    const isService = (l: Record<string, string>) => l.service === service;
    const fire = await alertGoesRound({ stack, seen }, 'QueueDepthHigh', isService, 'queue-depth-high', 45_000, t);
    expect(fire.firing.labels).toMatchObject({ alertname: 'QueueDepthHigh', queue: 'emails', severity: 'warning' });
    expect(Number(fire.firing.value)).toBeGreaterThan(1000);

    // 3. remediator acts: a second running replica, cloned from the first (Docker).
    const scaled = await h.waitForJob(fire.jobId, 60_000);
    t.mark('scaled out');
    expect(scaled.returnvalue).toMatchObject({
      outcome: 'succeeded',
      action: 'scale',
      details: { before: 1, after: 2 },
    });
    const two = await replicas();
    expect(two).toHaveLength(2);
    expect(two).toContain(names.worker);

    // 4. The metric recovers: two consumers take more than the surge brings.
    await waitFor(
      'the queue to drain below 1000',
      async () => {
        const v = await depth();
        return v !== undefined && v < 1000;
      },
      // The demo's consumers drain at what the machine leaves them: a loaded full run took past 60 s.
      120_000,
    );
    t.mark('queue drained');

    // 5. The alert resolves; the resolved notification runs onResolved: back to one replica.
    await alertResolves({ stack, seen }, 'QueueDepthHigh', isService, fire, 30_000, t);
    const back = await waitFor(
      'remediator to queue onResolved',
      async () =>
        seen['job.queued'].find((e) => e.data.alert.fingerprint === fire.fingerprint && e.data.phase === 'resolve'),
      10_000,
    );
    const scaledBack = await h.waitForJob(back.jobId, 60_000);
    t.mark('scaled back');
    // The surge has done its job; stop it so the alert does not come back while we check.
    await setQueueSurge(docker, names.broker, false);
    expect(scaledBack.returnvalue).toMatchObject({ outcome: 'succeeded', details: { before: 2, after: 1 } });
    expect(await replicas()).toEqual([names.worker]);
    t.print('firing', 'scaled back');
  }, 300_000); // the whole loop through real Prometheus and Alertmanager; steps have their own deadlines
});
