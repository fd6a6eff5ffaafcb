// `remediator simulate --notify FILE`: for a real captured payload, against real Redis and a real
// Docker Engine, it prints what each configured sink would send for the job (if the action
// succeeds, and if every attempt fails), and sends nothing: the sinks' local servers get no request.
import Docker from 'dockerode';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { simulateCommand } from '../../src/cli/simulate.js';
import { startAllSinks, type AllSinks } from '../support/all-sinks.js';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { FIXTURES, remediationsDir } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('simnotify');
let s: AllSinks;
let dir: string;

beforeAll(async () => {
  s = await startAllSinks();
  // The fixture's alert names container "api": the plan acts only on an opted-in container of that name.
  dir = await remediationsDir({
    'restart-slow.yaml': [
      'match: [alertname="HighLatency"]',
      `target: { container: "${p}{{ labels.container }}" }`,
      'action: { type: restart }',
      'retry: { attempts: 2 }',
      'notify: { mention: "@oncall" }',
    ].join('\n'),
  });
  await createTestContainer(docker, { name: `${p}api`, labels: { 'remediator.enable': 'true' } });
});
afterAll(async () => {
  await s?.close();
  await removeContainers(docker, p);
});

async function simulate(args: string[], env: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const code = await simulateCommand(args, {
    out: { write: (x: string) => (stdout += x) },
    err: { write: (x: string) => (stderr += x) },
    stdin: [],
    env: {
      REDIS_URL: inject('redisUrl'),
      DOCKER_HOST: inject('dockerHost'),
      QUEUE_PREFIX: `${p}q`,
      REMEDIATIONS_DIR: dir,
      REMEDIATOR_RUN_DIR: dir,
      ...env,
    },
  });
  return { code, stdout, stderr };
}

const FILE = path.join(FIXTURES, 'firing-high-latency.json');
const jsonLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{"preview"'))
    .map((l) => JSON.parse(l));

describe('simulate --notify', () => {
  it('prints what every configured sink would send, for success and for escalation, and sends nothing', async () => {
    const r = await simulate(['--notify', FILE], s.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# notifications: what slack, webhook, pagerduty, teams, mattermost would send');
    expect(r.stdout).toContain(': if the action succeeds');
    expect(r.stdout).toContain(': if every attempt fails (escalation)');
    const lines = jsonLines(r.stdout);
    const sinks = new Set(lines.map((l) => l.preview));
    expect([...sinks].sort()).toEqual(['mattermost', 'pagerduty', 'slack', 'teams', 'webhook']);
    // PagerDuty only for the escalation: one trigger in all (the success story pages nobody).
    expect(lines.filter((l) => l.preview === 'pagerduty').map((l) => l.body.event_action)).toEqual(['trigger']);
    expect(lines.find((l) => l.preview === 'pagerduty').body.routing_key).toBe('[redacted]');
    const slack = lines.filter((l) => l.preview === 'slack');
    expect(slack[0]).toMatchObject({ endpoint: 'chat.postMessage', transition: 'job.queued' });
    expect(slack.some((l) => String(l.body.text).startsWith('@oncall A human is needed'))).toBe(true);
    // Nothing left the process: no local server got a request.
    for (const server of [s.slack, s.webhook, s.pagerduty, s.teams, s.mattermost]) expect(server.calls).toEqual([]);
    for (const secret of s.secrets) expect(r.stdout).not.toContain(secret);
  });

  it('with no sink configured, shows what Slack would send; --json carries the same lines', async () => {
    const r = await simulate(['--notify', '--json', FILE], {});
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.alerts).toHaveLength(1);
    expect(report.notifications.map((n: any) => n.scenario)).toEqual(['succeeded', 'escalated']);
    const lines = report.notifications.flatMap((n: any) => n.lines);
    expect(new Set(lines.map((l: any) => l.preview))).toEqual(new Set(['slack']));
    expect(lines[0].body.channel).toBe('#alerts');
  });
});
