// A worker SIGKILLed during step 2 of a three-step runbook: another worker resumes the job at
// step 2, the container is acted on once for that step (its restart is not repeated), step 1
// is not run again and step 3 runs once. What happened is read from Docker's event stream,
// recorded live, and from inside the container.
import Docker from 'dockerode';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { recordEvents } from '../support/docker-events.js';
import { fixture, remediationsDir, startHarness } from '../support/harness.js';
import { spawnRemediator, type Proc } from '../support/process.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('resume');
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  await removeContainers(docker, p);
});

const RUNBOOK = [
  'match: alertname="HighLatency"',
  'target: { container: "{{ labels.container }}" }',
  'retry: { attempts: 1 }',
  'steps:',
  '  - { name: note, action: { type: exec, command: ["sh", "-c", "echo step1 >> /tmp/steps"] } }',
  '  - { name: restart, action: { type: restart, stopTimeoutSeconds: 1 }, verify: { healthy: true, within: 30s }, onSuccess: next }',
  '  - { name: after, action: { type: exec, command: ["sh", "-c", "echo step3 >> /tmp/steps"] } }',
].join('\n');

async function readFileIn(name: string, file: string): Promise<string> {
  const exec = await docker.getContainer(name).exec({ Cmd: ['cat', file], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  let out = '';
  docker.modem.demuxStream(stream, { write: (c: Buffer) => ((out += c.toString()), true) } as never, process.stderr);
  await new Promise((r) => stream.on('end', r));
  return out;
}

describe('a worker killed during step 2 of 3', () => {
  it('another worker resumes at step 2: one restart for that step, step 1 not again, step 3 once', async () => {
    const name = `${p}api`;
    // Healthy only 3 s after each start, so the worker is still verifying step 2 when it is killed.
    await createTestContainer(docker, {
      name,
      labels: { 'remediator.enable': 'true' },
      cmd: ['sh', '-c', 'rm -f /tmp/ready; sleep 3; touch /tmp/ready; exec sleep 3600'],
      healthcheck: { test: ['CMD', 'test', '-f', '/tmp/ready'], intervalMs: 300, timeoutMs: 1000, retries: 1 },
    });
    for (let i = 0; i < 50 && (await docker.getContainer(name).inspect()).State.Health?.Status !== 'healthy'; i++)
      await new Promise((r) => setTimeout(r, 200));
    const dir = await remediationsDir({ 'ladder.yaml': RUNBOOK });
    const prefix = `${p}q`.replace(/-/g, '');
    const env = {
      REDIS_URL: inject('redisUrl'),
      DOCKER_HOST: inject('dockerHost'),
      QUEUE_PREFIX: prefix,
      REMEDIATIONS_DIR: dir,
      JOB_LOCK_SECONDS: '2',
    };
    const api = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: dir,
      worker: false,
      prefix,
    });
    cleanup.push(() => api.stop());
    const events = await recordEvents(docker);
    cleanup.push(() => events.stop());

    const victim: Proc = spawnRemediator('worker', env);
    cleanup.push(async () => victim.kill('SIGKILL'));
    await victim.waitForLine((l) => l.msg === 'worker started');
    const body = await fixture('firing-high-latency.json');
    body.alerts[0].labels.container = name;
    body.alerts[0].fingerprint = 'r35e000000000002';
    const jobId = (await api.post(body)).body.jobs[0].jobId;
    // Step 2's Docker call is done; the worker dies while it verifies.
    await victim.waitForLine((l) => l.msg === 'container restarted' && l.jobId === jobId, 30_000);
    victim.kill('SIGKILL');
    await victim.exited;
    expect(await (await api.job(jobId))!.getState()).toBe('active'); // its worker is gone mid-step

    const rescuer = spawnRemediator('worker', env);
    cleanup.push(async () => rescuer.kill('SIGKILL'));
    await rescuer.waitForLine(
      (l) => l.msg === 'restart already done by an earlier attempt' && l.jobId === jobId,
      30_000,
    );
    const job = await api.waitForJob(jobId, 30_000);
    expect(job.returnvalue.outcome).toBe('succeeded');
    expect(job.returnvalue.steps.map((st) => [st.name, st.outcome])).toEqual([
      ['note', 'succeeded'],
      ['restart', 'succeeded'],
      ['after', 'succeeded'],
    ]);
    expect(job.returnvalue.steps[1]!.details).toMatchObject({ restarted: [], alreadyRestarted: [name] });

    // Docker's own account: one restart, and each exec once (health checks left out).
    expect(events.of(name, ['restart'])).toHaveLength(1);
    const execs = events.of(name, ['exec_start']).filter((e) => e.detail.includes('/tmp/steps'));
    expect(execs.map((e) => (e.detail.includes('step1') ? 'step1' : 'step3'))).toEqual(['step1', 'step3']);
    expect(await readFileIn(name, '/tmp/steps')).toBe('step1\nstep3\n');
    rescuer.kill('SIGTERM');
    expect(await rescuer.exited).toBe(0);
  }, 90_000);
});
