// Re-arm against real Redis and real containers: `reset --circuit` closes an open circuit and
// the next episode acts; `reset --cooldown` lets a job waiting a cooldown out go on now. Both
// are recorded in history and counted in the metrics.
import os from 'node:os';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CliIO } from '../../src/cli/io.js';
import { resetCommand } from '../../src/cli/reset.js';
import { createTestContainer, inspectStartedAt, removeContainers, uniquePrefix } from '../support/docker.js';
import { fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('reset');
let h: Harness;

const restart = (alertname: string, guards: string) =>
  [
    `match: alertname="${alertname}"`,
    'target:',
    '  container: "{{ labels.container }}"',
    'action:',
    '  type: restart',
    '  stopTimeoutSeconds: 1',
    'guards:',
    guards,
  ].join('\n');

beforeAll(async () => {
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: await remediationsDir({
      'flappy.yaml': restart('Flappy', '  budget: { runs: 1, window: 1h }'),
      'slow.yaml': restart('Slow', '  cooldown: 1h'),
    }),
  });
});
afterAll(async () => {
  await h?.stop();
  await removeContainers(docker, p);
});

function cliIO(): CliIO & { text(): string } {
  const out: string[] = [];
  return {
    out: { write: (s: string) => out.push(s) },
    err: { write: (s: string) => out.push(s) },
    stdin: [],
    env: { REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: h.prefix, USER: 'grace' },
    text: () => out.join(''),
  };
}

async function fire(alertname: string, container: string, n: number) {
  const body = await fixture('firing-high-latency.json');
  body.alerts[0].labels.alertname = alertname;
  body.alerts[0].labels.container = container;
  body.alerts[0].fingerprint = `c${String(n).padStart(15, '0')}`;
  const res = await h.post(body);
  expect(res.status).toBe(202);
  return res.body.jobs[0].jobId as string;
}

describe('remediator reset', () => {
  it('--circuit re-arms an open circuit: the next episode acts; recorded in history and metrics', async () => {
    const name = `${p}flap`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    expect((await h.waitForJob(await fire('Flappy', name, 1))).returnvalue.outcome).toBe('succeeded');
    const open = await h.waitForJob(await fire('Flappy', name, 2));
    expect(open.failedReason).toMatch(/^circuit open: flappy already ran 1 times/);
    expect(await (await fetch(`${h.url}/metrics`)).text()).toMatch(/remediator_circuit_open\{remediation="flappy"\} 1/);

    const before = await inspectStartedAt(docker, name);
    const io = cliIO();
    expect(await resetCommand(['--circuit', 'flappy', name, '--reason', 'fixed the leak'], io)).toBe(0);
    expect(io.text()).toBe(
      `circuit of flappy on local/container/${name} reset by grace@${os.hostname()}: the next episode acts\n`,
    );

    const third = await h.waitForJob(await fire('Flappy', name, 3));
    expect(third.returnvalue.outcome).toBe('succeeded');
    expect(Date.parse(await inspectStartedAt(docker, name))).toBeGreaterThan(Date.parse(before));
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/remediator_circuit_open\{remediation="flappy"\} 0/);
    expect(metrics).toMatch(/remediator_operator_actions_total\{action="reset_circuit"\} 1/);
    const ops = await h.runtime.history.query({ outcome: 'operator', remediation: 'flappy' });
    expect(ops.records[0]).toMatchObject({
      action: 'reset_circuit',
      target: name,
      operator: { action: 'reset_circuit', reason: 'fixed the leak' },
      summary: expect.stringMatching(new RegExp(`^circuit of flappy on local/container/${name} reset by grace@`)),
    });
  });

  it('--cooldown ends a cooldown now: the episode waiting it out acts', async () => {
    const name = `${p}slow`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    expect((await h.waitForJob(await fire('Slow', name, 11))).returnvalue.outcome).toBe('succeeded');
    const held = new Promise<string>((resolve) =>
      h.runtime.events.on('job.waiting', (e) => {
        if (e.on === 'cooldown') resolve(e.jobId);
      }),
    );
    const second = await fire('Slow', name, 12);
    expect(await held).toBe(second);
    expect(await h.runtime.queue.getJobState(second)).toBe('delayed');
    expect(await resetCommand(['--cooldown', 'slow', `local/container/${name}`, '--reason', 'go now'], cliIO())).toBe(
      0,
    );
    // Woken by the reset, well before the hour is up.
    expect((await h.waitForJob(second, 30_000)).returnvalue.outcome).toBe('succeeded');
  });

  it('refuses a target it cannot read, naming the forms it takes', async () => {
    await expect(resetCommand(['--circuit', 'flappy', 'a/b/c/d/e', '--reason', 'x'], cliIO())).rejects.toThrow(
      /"a\/b\/c\/d\/e" is not a target: use \[HOST\/\]NAME/,
    );
    await expect(resetCommand(['flappy', 'x', '--reason', 'x'], cliIO())).rejects.toThrow(
      /--cooldown, --circuit or both/,
    );
  });
});
