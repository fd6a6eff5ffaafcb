// Runbooks end to end, every program real: a container whose health check keeps failing after
// a restart (the first fix does not hold) -> Prometheus fires -> Alertmanager delivers ->
// remediator walks the ladder: restart, verify, the next step, verify, ... Docker's event
// stream (recorded live) shows exactly the steps' actions in order; the history and the Slack
// thread show each step. And an alert that resolves between two steps stops the runbook with
// no further Docker call.
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/lib/daemons.js';
import { TEST_IMAGE, removeContainers, uniquePrefix } from '../support/docker.js';
import { recordEvents, type EventRecorder } from '../support/docker-events.js';
import { startFakeSlack, textOf, threadIn, until, type FakeSlack } from '../support/fake-slack.js';
import { remediationsDir, startHarness, type Harness } from '../support/harness.js';
import { prometheusAlerts, startStack, waitFor, type Stack } from './support/stack.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('ladder');

const RULES = `groups:
  - name: ladder
    rules:
      - alert: LadderAppDown
        # The last sample of the last 10 s: a restart's few seconds without a scrape neither
        # resolve it nor start it again (a bare "== 0" resolves when the series goes stale).
        expr: last_over_time(ladder_app_ok[10s]) == 0
        for: 1s
        labels: { severity: critical }
`;

// Fix commands are literal argv, as every exec is. The right file is /run/healthy (a tmpfs: a
// restart empties it) plus /tmp/ok (the writable layer, which a restart keeps: what the metric reads).
const FIX = `["sh", "-c", "touch /run/healthy /tmp/ok"]`;
const remediation = (ladder: string, steps: string[]) =>
  [
    `match: [alertname="LadderAppDown", ladder="${ladder}"]`,
    'target: { container: "{{ labels.container }}" }',
    'retry: { attempts: 1 }',
    'steps:',
    ...steps,
    'notify: { channel: "#oncall", mention: "<!subteam^S0ONCALL>" }',
  ].join('\n');
const RESTART = (within: string) =>
  `  - { name: restart, action: { type: restart, stopTimeoutSeconds: 1 }, verify: { healthy: true, within: ${within} }, onFailure: next }`;

const FILES = {
  // A: the restart does not hold; the repair does; the last resort never runs.
  'ladder-a.yaml': remediation('a', [
    RESTART('4s'),
    `  - { name: repair, action: { type: exec, command: ${FIX} }, verify: { healthy: true, within: 10s }, onFailure: next }`,
    `  - { name: last-resort, action: { type: exec, command: ["sh", "-c", "touch /run/healthy /tmp/ok /tmp/last"] }, verify: { healthy: true, within: 10s } }`,
  ]),
  // B: the restart and the first repair do not hold (wrong file); the last resort does.
  'ladder-b.yaml': remediation('b', [
    RESTART('4s'),
    `  - { name: repair, action: { type: exec, command: ["touch", "/run/almost"] }, verify: { healthy: true, within: 4s }, onFailure: next }`,
    `  - { name: last-resort, action: { type: exec, command: ${FIX} }, verify: { healthy: true, within: 10s } }`,
  ]),
  // C: the restart does not hold, and the alert resolves while it is being verified.
  'ladder-c.yaml': remediation('c', [
    RESTART('15s'),
    `  - { name: repair, when: still_firing, action: { type: exec, command: ${FIX} }, verify: { healthy: true, within: 10s } }`,
  ]),
};

let h: Harness;
let stack: Stack;
let slack: FakeSlack;
let events: EventRecorder;
const apps: Record<string, { name: string; port: number }> = {};

/**
 * A small app on the host network: it serves ladder_app_ok (1 while /tmp/ok exists) and is
 * healthy while /run/healthy (tmpfs) exists. A restart clears /run, never /tmp: the restart
 * alone never makes it healthy again.
 */
async function startApp(ladder: string): Promise<{ name: string; port: number }> {
  const name = `${p}${ladder}`;
  const port = await freePort();
  const script = [
    'mkdir -p /www',
    `while :; do if [ -f /tmp/ok ]; then v=1; else v=0; fi; echo "ladder_app_ok{container=\\"${name}\\",ladder=\\"${ladder}\\"} $v" > /www/m.tmp && mv /www/m.tmp /www/metrics; sleep 0.3; done &`,
    `exec httpd -f -p 127.0.0.1:${port} -h /www`,
  ].join('\n');
  const c = await docker.createContainer({
    name,
    Image: TEST_IMAGE,
    Cmd: ['sh', '-c', script],
    Labels: { 'remediator.enable': 'true' },
    Healthcheck: { Test: ['CMD', 'test', '-f', '/run/healthy'], Interval: 300e6, Timeout: 1e9, Retries: 1 },
    HostConfig: { Init: true, NetworkMode: 'host', Tmpfs: { '/run': 'size=1m' } },
  });
  await c.start();
  await execOk(name, ['sh', '-c', 'touch /run/healthy /tmp/ok']);
  return { name, port };
}

async function execOk(container: string, cmd: string[]): Promise<void> {
  const exec = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise((r) => stream.on('end', r).resume());
  for (let i = 0; i < 50 && (await exec.inspect()).Running; i++) await new Promise((r) => setTimeout(r, 20));
}

const health = async (name: string) => (await docker.getContainer(name).inspect()).State.Health?.Status;

beforeAll(async () => {
  slack = await startFakeSlack();
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: await remediationsDir(FILES),
    env: { SLACK_BOT_TOKEN: slack.token, SLACK_CHANNEL: '#alerts', SLACK_API_URL: slack.apiUrl },
  });
  for (const l of ['a', 'b', 'c']) apps[l] = await startApp(l);
  stack = await startStack({
    webhookUrl: `${h.url}/webhook/alertmanager`,
    rules: RULES,
    jobs: [{ job: 'ladder', targets: Object.values(apps).map((a) => `127.0.0.1:${a.port}`) }],
  });
  // Healthy to start with, and scraped: no alert.
  await waitFor(
    'the apps healthy and scraped',
    async () => {
      const states = await Promise.all(Object.values(apps).map((a) => health(a.name)));
      return (
        states.every((s) => s === 'healthy') && (await prometheusAlerts(stack.prometheus, 'LadderAppDown')).length === 0
      );
    },
    30_000,
  );
  events = await recordEvents(docker);
}, 120_000);

afterAll(async () => {
  await events?.stop();
  await stack?.stop();
  await h?.stop();
  await slack?.close();
  await removeContainers(docker, p);
});

/** Break an app: the metric reports it down and its health check fails, until a step fixes both. */
const breakApp = (name: string) => execOk(name, ['rm', '-f', '/tmp/ok', '/run/healthy']);

/** The job id of an app's episode, once Alertmanager delivered it to remediator. */
async function queuedFor(ladder: string): Promise<string> {
  const queued = await waitFor(
    `remediator to queue ladder-${ladder}`,
    async () => h.seen.find((e) => e.name === 'job.queued' && e.jobId.startsWith(`ladder-${ladder}.`)),
    40_000,
  );
  return queued.jobId;
}

// remediator runs every exec under its supervisor: `sh -c '<pid marker>; exec "$@"' remediator-exec argv`.
const SUPERVISED = ' remediator-exec ';

/** What remediator did to a container after `since`: restarts and its execs, in Docker's order. */
function actions(name: string, since: number): string[] {
  return events
    .of(name, ['restart', 'exec_start'])
    .filter((e) => e.t >= since && (e.verb === 'restart' || e.detail.includes(SUPERVISED)))
    .map((e) =>
      e.verb === 'restart' ? 'restart' : `exec ${e.detail.slice(e.detail.indexOf(SUPERVISED) + SUPERVISED.length)}`,
    );
}

describe('a runbook ladder, real Prometheus -> Alertmanager -> remediator -> Docker', () => {
  it('the first fix does not hold: step 2 runs and holds, step 3 never runs; Docker, history and Slack show each step', async () => {
    const since = Date.now();
    await breakApp(apps.a!.name);
    const job = await h.waitForJob(await queuedFor('a'), 90_000);
    expect(job.returnvalue).toMatchObject({ outcome: 'succeeded', action: 'exec' });
    expect(job.returnvalue.steps.map((st) => [st.name, st.outcome])).toEqual([
      ['restart', 'failed'],
      ['repair', 'succeeded'],
    ]);
    expect(job.returnvalue.steps[0]!.errorKind).toBe('verification');
    expect(actions(apps.a!.name, since)).toEqual(['restart', 'exec sh -c touch /run/healthy /tmp/ok']);
    expect(await health(apps.a!.name)).toBe('healthy');

    const record = await h.runtime.history.get(job.id!);
    expect(record?.steps.map((st) => [st.name, st.outcome])).toEqual([
      ['restart', 'failed'],
      ['repair', 'succeeded'],
    ]);
    // The thread: one reply per step, the parent listing the steps.
    const thread = await until('a reply for each step', () => {
      const t = threadIn(slack, job.id!);
      const texts = t.replies.map(textOf);
      return (
        texts.some((x) => x.includes('Step 1/3 `restart`: failed')) &&
        texts.some((x) => x.includes('Step 2/3 `repair`: succeeded')) &&
        t
      );
    });
    expect(thread.replies.map(textOf).some((x) => x.includes('last-resort'))).toBe(false);
  }, 120_000);

  it('step 3 runs only when step 2 does not hold either, and the runbook ends at the first step that holds', async () => {
    const since = Date.now();
    await breakApp(apps.b!.name);
    const job = await h.waitForJob(await queuedFor('b'), 90_000);
    expect(job.returnvalue.outcome).toBe('succeeded');
    expect(job.returnvalue.steps.map((st) => [st.name, st.outcome])).toEqual([
      ['restart', 'failed'],
      ['repair', 'failed'],
      ['last-resort', 'succeeded'],
    ]);
    expect(actions(apps.b!.name, since)).toEqual([
      'restart',
      'exec touch /run/almost',
      'exec sh -c touch /run/healthy /tmp/ok',
    ]);
  }, 120_000);

  it('an alert that resolves between two steps stops the runbook: no further Docker call', async () => {
    const since = Date.now();
    await breakApp(apps.c!.name);
    const jobId = await queuedFor('c');
    // While step 1 verifies (15 s), the app comes back by itself: the metric recovers, the
    // alert resolves in Prometheus and Alertmanager, and the resolved notification arrives.
    await waitFor('the restart of step 1', async () => actions(apps.c!.name, since).includes('restart'), 60_000);
    await execOk(apps.c!.name, ['sh', '-c', 'echo 1 > /tmp/ok']);
    await waitFor(
      'the resolved notification at remediator',
      async () => h.seen.find((e) => e.name === 'alert.resolved' && e.jobId === jobId),
      40_000,
    );
    const job = await h.waitForJob(jobId, 60_000);
    expect(job.returnvalue.outcome).toBe('resolved');
    expect(job.returnvalue.steps.map((st) => [st.name, st.outcome])).toEqual([['restart', 'failed']]);
    expect(job.returnvalue.summary).toMatch(/stopped before step repair/);
    // Docker did the restart and nothing else for this runbook.
    expect(actions(apps.c!.name, since)).toEqual(['restart']);
  }, 120_000);
});
