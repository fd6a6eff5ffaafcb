// simulate shows the plan the worker then runs: for every shipped remediation, the steps
// `POST /api/v1/simulate` lists (names, actions, the decision for each) are the steps a worker
// records when it runs the same alert, because both call the same decide(). Dry run, so the
// worker walks the whole runbook and changes nothing on the shared engine (prune included).
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SimulationReport } from '../../src/simulate/types.js';
import { TEST_IMAGE, createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { TOKEN, fixture, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('simw');
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: 'remediations',
    env: { DRY_RUN: 'true' },
  });
  const compose = (service: string) => ({
    'com.docker.compose.project': `${p}proj`,
    'com.docker.compose.service': service,
    'remediator.enable': 'true',
  });
  // high-latency: a container of a Compose service (step 2 scales that service).
  await createTestContainer(docker, { name: `${p}api`, labels: compose(`${p}api`) });
  // queue-depth-high: the consumer service.
  await createTestContainer(docker, { name: `${p}worker-1`, labels: compose(`${p}worker`) });
  // disk-full: a container declaring its own cleanup command.
  await createTestContainer(docker, {
    name: `${p}cache`,
    labels: { 'remediator.enable': 'true', 'remediator.cleanup': '["sh","-c","true"]' },
  });
  // The seed runbooks: a replica of a Compose service (worker-down, agent-errors' scale-out),
  // plain opted-in containers for the others, a canary naming the image to roll back to.
  const optIn = { 'remediator.enable': 'true' };
  await createTestContainer(docker, { name: `${p}agents-1`, labels: compose(`${p}agents`) });
  await createTestContainer(docker, { name: `${p}agent`, labels: compose(`${p}agent`) });
  for (const name of ['batch', 'db', 'dbapi', 'oom'])
    await createTestContainer(docker, { name: `${p}${name}`, labels: optIn });
  // network-failure reconnects the networks a container is on: an internal bridge here.
  await docker.createNetwork({ Name: `${p}backend`, Driver: 'bridge', Internal: true });
  await createTestContainer(docker, { name: `${p}net`, labels: optIn, networkMode: `${p}backend` });
  await createTestContainer(docker, {
    name: `${p}canary`,
    labels: { ...optIn, 'remediator.rollback.image': TEST_IMAGE },
  });
});

afterAll(async () => {
  await h?.stop();
  await removeContainers(docker, p);
  await docker
    .getNetwork(`${p}backend`)
    .remove()
    .catch(() => undefined);
});

async function simulateHttp(body: unknown): Promise<SimulationReport> {
  const res = await fetch(`${h.url}/api/v1/simulate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as SimulationReport;
}

/** An alert of the seed runbooks' rules: the latency fixture with these labels instead. */
const labelled =
  (labels: Record<string, string>) =>
  (a: any): void => {
    a.labels = { severity: 'critical', ...labels };
  };

const CASES: [string, string, (a: any) => void][] = [
  ['high-latency', 'firing-high-latency.json', (a) => (a.labels.container = `${p}api`)],
  ['queue-depth-high', 'firing-queue-depth-high.json', (a) => (a.labels.service = `${p}worker`)],
  ['disk-full', 'firing-disk-full.json', () => undefined],
  ['worker-down', 'firing-high-latency.json', labelled({ alertname: 'WorkerDown', service: `${p}agents` })],
  [
    'cpu-throttling',
    'firing-high-latency.json',
    labelled({ alertname: 'cpu_throttling', workload: 'batch', container: `${p}batch` }),
  ],
  ['network-failure', 'firing-high-latency.json', labelled({ alertname: 'network_failure', container: `${p}net` })],
  [
    'canary-rollback',
    'firing-high-latency.json',
    labelled({ alertname: 'HighErrorRate', track: 'canary', container: `${p}canary` }),
  ],
  [
    'dependency-down',
    'firing-high-latency.json',
    labelled({ alertname: 'ServiceDown', container: `${p}db`, dependent: `${p}dbapi` }),
  ],
  ['agent-errors', 'firing-high-latency.json', labelled({ alertname: 'SlowExecution', container: `${p}agent` })],
  ['oom-killed', 'firing-high-latency.json', labelled({ alertname: 'ContainerOOMKilled', container: `${p}oom` })],
];

it('covers every shipped remediation', () => {
  const shipped = readdirSync('remediations')
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''));
  expect(CASES.map(([id]) => id).sort()).toEqual(shipped.sort());
});

describe('simulate prints the plan the worker then runs', () => {
  it.each(CASES)('%s: the same steps, actions and decisions, in order', async (id, file, mutate) => {
    const body = await fixture(file);
    body.alerts[0].fingerprint = createHash('sha256')
      .update(p + id)
      .digest('hex')
      .slice(0, 16);
    mutate(body.alerts[0]);
    const report = await simulateHttp(body);
    const planned = report.alerts[0]!.remediations.find((r) => r.remediation === id)!.jobs[0]!;
    expect(planned.webhook.decision).toBe('enqueue');

    const res = await h.post(body);
    const jobId = res.body.jobs.find((j: { remediation: string }) => j.remediation === id).jobId;
    expect(jobId).toBe(planned.jobId);
    const job = await h.waitForJob(jobId, 30_000);
    expect(job.returnvalue, `the job failed: ${job.failedReason}`).toBeTruthy();
    const ran = job.returnvalue.steps;

    // Step for step: what simulate said and what the worker did (a dry run: every step described).
    expect(ran.map((st) => [st.name, st.action])).toEqual(planned.steps.map((st) => [st.name, st.action]));
    expect(planned.steps.map((st) => st.decision.decision)).toEqual(planned.steps.map(() => 'dry_run'));
    expect(ran.map((st) => st.outcome)).toEqual(planned.steps.map(() => 'dry_run'));
    // The containers each step ran on are those simulate found for it.
    // (A host-scoped step, prune, names the host, not containers.)
    const containerSteps = planned.steps.filter((st) => st.target?.scope !== 'host').map((st) => st.index);
    expect(containerSteps.map((i) => [...ran[i]!.targets].sort())).toEqual(
      containerSteps.map((i) => (planned.steps[i]!.target?.containers ?? []).map((c) => c.name).sort()),
    );
    // The first step's decision is the same sentence: the same decide() on the same inputs.
    expect(ran[0]!.details?.decision).toBe(planned.steps[0]!.decision.detail);
    expect(job.returnvalue.outcome).toBe('dry_run');
  });
});
