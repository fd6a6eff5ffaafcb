// Slack through an incoming webhook (no bot token): every state change is a new message, as
// webhooks cannot edit or thread. Real pipeline, real Redis and dockerd, a local server
// answering as Slack's incoming webhooks do.
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { startFakeSlack, stateOf, textOf, until, type FakeSlack } from '../support/fake-slack.js';
import { fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('slackwh');
let slack: FakeSlack;
let h: Harness;

beforeAll(async () => {
  slack = await startFakeSlack();
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: await remediationsDir({
      'restart-slow.yaml': [
        'match: [alertname="HighLatency", container=~".+"]',
        'target: { container: "{{ labels.container }}" }',
        'action: { type: restart, stopTimeoutSeconds: 2 }',
        'verify: { running: true, within: 10s }',
      ].join('\n'),
      'flush-cache.yaml': [
        'match: [alertname="CacheStuck"]',
        'target: { container: "{{ labels.container }}" }',
        'action: { type: exec, command: ["sh", "-c", "echo locked >&2; exit 3"] }',
        'retry: { attempts: 1 }',
        'notify: { mention: "@here" }',
      ].join('\n'),
    }),
    env: { SLACK_WEBHOOK_URL: slack.webhookUrl },
  });
});
afterAll(async () => {
  await h?.stop();
  await slack?.close();
  await removeContainers(docker, p);
});

describe('Slack incoming webhook', () => {
  it('posts each state change as a new message, in order, escaped, honouring a 429, and never logs the webhook URL', async () => {
    expect(h.runtime.notifications?.sinks.slack?.mode).toBe('webhook');
    const name = `${p}api`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const body = await fixture('firing-high-latency.json');
    body.alerts[0].labels.container = name;
    body.alerts[0].labels.note = '<!channel> <https://evil|x>';
    slack.script([{ status: 429, retryAfterSeconds: 1 }]);
    const res = await h.post(body);
    const jobId = res.body.jobs[0].jobId;
    const job = await h.waitForJob(jobId);
    expect(job.returnvalue.outcome).toBe('succeeded');

    const mine = () => slack.messages.filter((m) => textOf(m).includes(`job \`${jobId}\``));
    await until('the succeeded message', () => mine().some((m) => stateOf(m) === 'Succeeded'));
    const messages = mine();
    // New messages only: no Web API calls, one message per change, in the order they happened.
    expect(slack.calls.every((c) => c.endpoint === 'webhook')).toBe(true);
    const states = messages.map(stateOf);
    expect(states.length).toBeGreaterThanOrEqual(3);
    const order = ['Queued', 'Running', 'Succeeded'];
    expect(states.filter((s) => order.includes(s!))).toEqual(order.filter((s) => states.includes(s)));
    expect(states.at(-1)).toBe('Succeeded');
    expect(messages.every((m) => m.history.length === 1)).toBe(true);
    // The last message carries the details a thread reply would.
    expect(textOf(messages.at(-1)!)).toContain(`\`restart\` → ${name}`);

    const first = slack.calls[0]!;
    expect(first.status).toBe(429);
    expect(slack.calls[1]!.at - first.at).toBeGreaterThanOrEqual(950);

    for (const m of messages) {
      expect(textOf(m)).not.toContain('<!channel>');
      expect(textOf(m)).not.toContain('<https://evil');
    }
    expect(textOf(messages[0]!)).toContain('&lt;!channel&gt; &lt;https://evil|x&gt;');

    const secretPath = new URL(slack.webhookUrl).pathname.split('/').at(-1)!;
    expect(JSON.stringify(h.logs)).not.toContain(secretPath);
  });

  it('an escalation message pings the handle (@here as <!here>) and says why', async () => {
    const name = `${p}cache`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const body = await fixture('firing-high-latency.json');
    body.alerts[0].labels = { alertname: 'CacheStuck', container: name };
    body.alerts[0].fingerprint = 'slackwh000000002';
    const res = await h.post(body);
    const jobId = res.body.jobs[0].jobId;
    const job = await h.waitForJob(jobId);
    expect(await job.getState()).toBe('failed');
    const esc = await until('the escalation message', () =>
      slack.messages.find((m) => textOf(m).includes(`job \`${jobId}\``) && m.text.startsWith('<!here>')),
    );
    expect(stateOf(esc)).toBe('Escalated');
    expect(textOf(esc)).toContain('A human is needed');
    expect(textOf(esc)).toContain('locked');
  });
});
