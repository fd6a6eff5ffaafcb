// HighLatency end to end, every program real: the demo api turns slow -> Prometheus fires
// HighLatency from its p99 -> Alertmanager delivers it to remediator's webhook -> the worker
// restarts the container (Docker) -> the latency recovers -> the alert resolves and the
// resolved notification reaches remediator. Each step is read from the program's own API.
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildDemoImage, removeDemo, setLatencyFault, startDemo, type DemoNames } from '../../demo/lib.js';
import { freePort } from '../../scripts/lib/daemons.js';
import type { RemediationEventMap } from '../../src/lifecycle/events.js';
import { uniquePrefix } from '../support/docker.js';
import { startHarness, type Harness } from '../support/harness.js';
import {
  TEST_RANGE,
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
const project = `${uniquePrefix('e2e-lat')}demo`;
let h: Harness;
let stack: Stack;
let names: DemoNames;
const seen: { [K in 'job.queued' | 'job.finished' | 'alert.resolved']: RemediationEventMap[K][] } = {
  'job.queued': [],
  'job.finished': [],
  'alert.resolved': [],
};

beforeAll(async () => {
  await buildDemoImage(docker);
  // The shipped remediations/ as a user runs them.
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: 'remediations',
  });
  for (const name of Object.keys(seen) as (keyof typeof seen)[])
    h.runtime.events.on(name, (e) => void seen[name].push(e as never));
  const apiPort = await freePort();
  names = await startDemo(docker, { project, apiPort, parts: ['api'], healthIntervalMs: 1000 });
  stack = await startStack({
    webhookUrl: `${h.url}/webhook/alertmanager`,
    jobs: [{ job: 'demo-api', targets: [`127.0.0.1:${apiPort}`] }],
  });
});

afterAll(async () => {
  await stack?.stop();
  await h?.stop();
  await removeDemo(docker, project);
});

const p99 = () =>
  queryValue(
    stack.prometheus,
    `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{container="${names.api}"}[${TEST_RANGE}])))`,
  );

describe('HighLatency, real Prometheus -> Alertmanager -> remediator -> Docker', () => {
  it('restarts the slow container, the p99 recovers, the alert resolves and the resolved notification is handled', async () => {
    const t = timeline('HighLatency');
    // Healthy first: scraped, p99 well below 1 s, no alert.
    await waitFor(
      'a healthy p99 from the demo api',
      async () => {
        const v = await p99();
        return v !== undefined && !Number.isNaN(v) && v < 1;
      },
      30_000,
    );
    expect(await prometheusAlerts(stack.prometheus, 'HighLatency')).toEqual([]);
    const startedBefore = (await docker.getContainer(names.api).inspect()).State.StartedAt;

    await setLatencyFault(docker, names.api, true);
    t.mark('fault injected');

    // 1-2. Prometheus fires the rule for this container; Alertmanager has it and delivers it:
    // remediator queues one job for this episode.
    const isApi = (l: Record<string, string>) => l.container === names.api;
    const queued = await alertGoesRound({ stack, seen }, 'HighLatency', isApi, 'high-latency', 40_000, t);
    expect(queued.firing.labels).toMatchObject({ alertname: 'HighLatency', severity: 'critical', job: 'demo-api' });
    expect(Number(queued.firing.value)).toBeGreaterThan(1);
    expect(queued.data.alert.labels.container).toBe(names.api);

    // 3. remediator acts: the job succeeds, verified, and Docker shows a restarted, healthy container.
    const job = await h.waitForJob(queued.jobId, 60_000);
    t.mark('restarted');
    expect(job.returnvalue).toMatchObject({ outcome: 'succeeded', action: 'restart', targets: [names.api] });
    expect(job.returnvalue.verification?.ok).toBe(true);
    const after = await docker.getContainer(names.api).inspect();
    expect(Date.parse(after.State.StartedAt)).toBeGreaterThan(Date.parse(startedBefore));
    expect(after.State.Running).toBe(true);

    // 4. The metric recovers: the restart gave the container a fresh tmpfs, so the fault is gone.
    await waitFor(
      'the fault flag to be gone after the restart',
      async () => (await queryValue(stack.prometheus, `demo_fault_active{container="${names.api}"}`)) === 0,
      20_000,
    );
    await waitFor(
      'p99 back below 1 s',
      async () => {
        const v = await p99();
        return v !== undefined && v < 1;
      },
      40_000,
    );
    t.mark('p99 recovered');

    // 5. The alert resolves in Prometheus and Alertmanager, and the resolved notification reaches
    // remediator. One episode, one restart: nothing else was queued for it.
    await alertResolves({ stack, seen }, 'HighLatency', isApi, queued, 30_000, t);
    t.print('firing', 'resolved handled');
  }, 180_000); // the whole loop through real Prometheus and Alertmanager; steps have their own deadlines
});
