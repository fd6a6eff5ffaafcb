// simulate shows the plan the worker then runs: for every shipped remediation, the steps
// `POST /api/v1/simulate` lists (names, actions, the decision for each) are the steps a worker
// records when it runs the same alert, because both call the same decide(). Dry run, so the
// worker walks the whole runbook and changes nothing on the shared engine (prune included).
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SimulationReport } from '../../src/simulate/types.js';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
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
});

afterAll(async () => {
  await h?.stop();
  await removeContainers(docker, p);
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

const CASES: [string, string, (a: any) => void][] = [
  ['high-latency', 'firing-high-latency.json', (a) => (a.labels.container = `${p}api`)],
  ['queue-depth-high', 'firing-queue-depth-high.json', (a) => (a.labels.service = `${p}worker`)],
  ['disk-full', 'firing-disk-full.json', () => undefined],
];

describe('simulate prints the plan the worker then runs', () => {
  it.each(CASES)('%s: the same steps, actions and decisions, in order', async (id, file, mutate) => {
    const body = await fixture(file);
    body.alerts[0].fingerprint = `${p.replace(/-/g, '')}${id.length}`.slice(0, 16).padEnd(16, '0');
    mutate(body.alerts[0]);
    const report = await simulateHttp(body);
    const planned = report.alerts[0]!.remediations.find((r) => r.remediation === id)!.jobs[0]!;
    expect(planned.webhook.decision).toBe('enqueue');

    const res = await h.post(body);
    const jobId = res.body.jobs.find((j: { remediation: string }) => j.remediation === id).jobId;
    expect(jobId).toBe(planned.jobId);
    const job = await h.waitForJob(jobId, 30_000);
    const ran = job.returnvalue.steps;

    // Step for step: what simulate said and what the worker did (a dry run: every step described).
    expect(ran.map((st) => [st.name, st.action])).toEqual(planned.steps.map((st) => [st.name, st.action]));
    expect(planned.steps.map((st) => st.decision.decision)).toEqual(planned.steps.map(() => 'dry_run'));
    expect(ran.map((st) => st.outcome)).toEqual(planned.steps.map(() => 'dry_run'));
    // The first step's decision is the same sentence: the same decide() on the same inputs.
    expect(ran[0]!.details?.decision).toBe(planned.steps[0]!.decision.detail);
    expect(job.returnvalue.outcome).toBe('dry_run');
  });
});
