// Every notification sink on at once, through the real pipeline (real Redis, real dockerd, real
// containers, a real runtime posting over HTTP) against local servers answering as Slack,
// PagerDuty's Events API v2, a signing webhook receiver, Teams and Mattermost do. Each gets
// exactly its documented requests, in order; the preview writes exactly what they got.
import Docker from 'dockerode';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { chatOf, drained, mattermostState, startAllSinks, teamsState, type AllSinks } from '../support/all-sinks.js';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { stateOf, textOf, threadIn, until } from '../support/fake-slack.js';
import { fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('sinks');
let s: AllSinks;
let h: Harness;

const REMEDIATIONS = {
  'restart-slow.yaml': [
    'match: [alertname="HighLatency", container=~".+"]',
    'target: { container: "{{ labels.container }}" }',
    'action: { type: restart, stopTimeoutSeconds: 2 }',
    'retry: { attempts: 2, backoff: 200ms }',
    'verify: { running: true, within: 10s }',
    'notify: { channel: "#oncall", mention: "<!subteam^S0ONCALL>" }',
  ].join('\n'),
  'flush-cache.yaml': [
    'match: [alertname="CacheStuck"]',
    'target: { container: "{{ labels.container }}" }',
    `action: { type: exec, command: ["sh", "-c", "echo 'cache locked by pid 42' >&2; exit 3"] }`,
    'retry: { attempts: 2, backoff: 100ms }',
    'notify:',
    '  channel: "#cache"',
    '  mention: "<!subteam^S0CACHE>"',
    '  sinks:',
    '    teams: { mention: "oncall@example.com" }',
    '    mattermost: { mention: "@oncall" }',
  ].join('\n'),
};

async function episode(alertname: 'HighLatency' | 'CacheStuck', tag: string, fingerprint: string) {
  const name = `${p}${tag}`;
  await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
  const firing = await fixture('firing-high-latency.json');
  const resolved = await fixture('resolved-high-latency.json');
  for (const a of [firing.alerts[0], resolved.alerts[0]]) {
    a.labels = { ...a.labels, alertname, container: name };
    a.fingerprint = fingerprint;
    a.generatorURL = 'http://prometheus:9090/graph?g0.expr=latency_p99';
  }
  const res = await h.post(firing);
  const id: string = res.body.jobs[0].jobId;
  const job = await h.waitForJob(id);
  return { id, job, resolve: () => h.post(resolved) };
}

/** Transitions the bus emitted for a job, in order (the harness records all but step.finished). */
const emitted = (id: string) => h.seen.filter((e) => e.jobId === id).map((e) => e.name);

/** A Slack call as the preview writes it: ids Slack assigns (channel, ts) replaced, values as sent in a form. */
function normalized(endpoint: string, args: Record<string, unknown>) {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (v === undefined) continue;
    if (k === 'channel' || k === 'ts' || k === 'thread_ts') out[k] = 'id';
    else out[k] = typeof v === 'object' ? v : String(v);
  }
  return { endpoint, args: out };
}

beforeAll(async () => {
  s = await startAllSinks();
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: await remediationsDir(REMEDIATIONS),
    env: s.env,
  });
});
afterAll(async () => {
  await h?.stop();
  await s?.close();
  await removeContainers(docker, p);
});

let succeeded: string;

describe('all sinks on, one episode that succeeds', () => {
  it('Slack edits one thread, the webhook gets one signed body per transition, Teams and Mattermost one message per state change, PagerDuty nothing', async () => {
    const e = await episode('HighLatency', 'api', 'sinks00000000001');
    succeeded = e.id;
    expect(e.job.returnvalue.outcome).toBe('succeeded');
    expect((await e.resolve()).status).toBe(202);
    await until('every sink to say the alert resolved', () => {
      const parent = threadIn(s.slack, e.id).parents[0];
      return (
        parent !== undefined &&
        textOf(parent).includes('Alert resolved') &&
        s.webhook.bodies().some((b) => b.episode === e.id && b.transition === 'alert.resolved') &&
        chatOf(s.teams, e.id).length === 4 &&
        chatOf(s.mattermost, e.id).length === 4
      );
    });
    await drained(h);

    const { parents, replies } = threadIn(s.slack, e.id);
    expect(parents).toHaveLength(1);
    expect(parents[0]!.history.length).toBeGreaterThanOrEqual(3);
    expect(stateOf(parents[0]!)).toBe('Succeeded');
    expect(replies.map(textOf).join('\n')).toContain('*Verification:* :white_check_mark: passed');

    // Every body verified with the secret (the receiver answers 401 otherwise), one per transition, in order.
    const bodies = s.webhook.bodies().filter((b) => b.episode === e.id);
    expect(s.webhook.unsigned()).toBe(0);
    expect(s.webhook.calls.every((c) => c.accepted)).toBe(true);
    expect(bodies.map((b) => b.transition).filter((t) => t !== 'step.finished')).toEqual(emitted(e.id));
    expect(bodies.map((b) => b.transition)).toContain('step.finished');
    expect(bodies.map((b) => b.idempotencyKey)).toEqual(bodies.map((_, i) => `${e.id}.n${i + 1}`));
    const finished = bodies.find((b) => b.transition === 'job.finished')!;
    expect(finished).toMatchObject({ outcome: 'succeeded', escalates: false, remediation: { id: 'restart-slow' } });
    expect(finished.alert.labels.container).toBe(`${p}api`);

    expect(s.pagerduty.calls.filter((c) => c.json?.dedup_key === e.id)).toEqual([]);

    expect(chatOf(s.teams, e.id).map(teamsState)).toEqual(['Queued', 'Running', 'Succeeded', 'Succeeded']);
    expect(JSON.stringify(chatOf(s.teams, e.id).at(-1))).toContain('Alert resolved');
    expect(chatOf(s.mattermost, e.id).map(mattermostState)).toEqual(['Queued', 'Running', 'Succeeded', 'Succeeded']);
    expect(chatOf(s.mattermost, e.id).at(-1).text).toContain('Alert resolved');
  });

  it("the preview wrote exactly what each sink sent for the episode: Slack's calls, the signed webhook bodies, the cards", async () => {
    await until('the preview to have written the episode', async () =>
      (await s.preview()).some((l) => l.episode === succeeded && l.transition === 'alert.resolved'),
    );
    await drained(h);
    const lines = (await s.preview()).filter((l) => l.episode === succeeded);
    const of = (sink: string) => lines.filter((l) => l.preview === sink);

    const parent = threadIn(s.slack, succeeded).parents[0]!;
    const slackCalls = s.slack.calls.filter(
      (c) => c.ok && (JSON.stringify(c.args).includes(`job \`${succeeded}\``) || c.args.thread_ts === parent.ts),
    );
    expect(slackCalls.length).toBeGreaterThanOrEqual(4);
    expect(of('slack').map((l) => normalized(l.endpoint, l.body))).toEqual(
      slackCalls.map((c) => normalized(c.endpoint, c.args)),
    );

    const received = s.webhook.calls.filter((c) => c.json?.episode === succeeded);
    expect(of('webhook').map((l) => JSON.stringify(l.body))).toEqual(received.map((c) => c.raw));
    expect(of('webhook').map((l) => l.headers['x-remediator-signature'])).toEqual(
      received.map((c) => c.headers['x-remediator-signature']),
    );
    expect(of('teams').map((l) => l.body)).toEqual(chatOf(s.teams, succeeded));
    expect(of('mattermost').map((l) => l.body)).toEqual(chatOf(s.mattermost, succeeded));
    expect(of('pagerduty')).toEqual([]);
  });
});

describe('all sinks on, one episode that escalates', () => {
  it('PagerDuty gets a trigger, then a resolve with the same dedup_key; the chat sinks mention the on-call', async () => {
    const e = await episode('CacheStuck', 'cache', 'sinks00000000002');
    expect(await e.job.getState()).toBe('failed');
    await until('the PagerDuty trigger', () => s.pagerduty.events().some((x) => x.dedup_key === e.id));
    expect((await e.resolve()).status).toBe(202);
    await until('the PagerDuty resolve', () => s.pagerduty.alerts.get(e.id) === 'resolved');
    await drained(h);

    const events = s.pagerduty.events().filter((x) => x.dedup_key === e.id);
    expect(events.map((x) => x.event_action)).toEqual(['trigger', 'resolve']);
    expect(events[0]).toMatchObject({
      routing_key: s.pagerduty.routingKey,
      payload: {
        severity: 'critical',
        source: 'api:8000',
        group: 'flush-cache',
        class: 'retries_exhausted',
        custom_details: { outcome: 'escalated', attempts: 2 },
      },
      links: [{ href: 'http://prometheus:9090/graph?g0.expr=latency_p99', text: 'Source' }],
    });
    expect(events[0]!.payload.summary).toMatch(/^CacheStuck \(flush-cache\): remediator gave up/);

    const { replies } = threadIn(s.slack, e.id);
    expect(replies.some((r) => r.text.startsWith('<!subteam^S0CACHE>'))).toBe(true);

    const card = chatOf(s.teams, e.id).find((m) => teamsState(m) === 'Escalated')!.attachments[0].content;
    expect(card.msteams.entities).toEqual([
      {
        type: 'mention',
        text: '<at>oncall@example.com</at>',
        mentioned: { id: 'oncall@example.com', name: 'oncall@example.com' },
      },
    ]);
    expect(JSON.stringify(card.body)).toContain('<at>oncall@example.com</at> A human is needed');
    const mm = chatOf(s.mattermost, e.id).find((m) => mattermostState(m) === 'Escalated')!;
    expect(mm.text).toContain('@oncall :rotating_light: **A human is needed:**');

    const finished = s.webhook.bodies().find((b) => b.episode === e.id && b.transition === 'job.finished')!;
    expect(finished).toMatchObject({ outcome: 'escalated', escalates: true, escalation: 'retries_exhausted' });
    const preview = (await s.preview()).filter((l) => l.episode === e.id && l.preview === 'pagerduty');
    expect(preview.map((l) => l.body.event_action)).toEqual(['trigger', 'resolve']);
    // The preview is scrubbed like a log line: the routing key never leaves the process in it.
    expect(preview[0].body.routing_key).toBe('[redacted]');
  });
});

describe('secrets', () => {
  it('no log line, no preview line and no failed notification holds a routing key, a webhook URL, the HMAC secret or the Slack token', async () => {
    const failed = await Promise.all(h.runtime.notifications!.queues.map((q) => q.getFailed()));
    const everything = [
      JSON.stringify(h.logs),
      await readFile(s.previewFile, 'utf8'),
      JSON.stringify(failed.flat().map((j) => [j.failedReason, j.stacktrace])),
    ].join('\n');
    expect(h.logs.length).toBeGreaterThan(20);
    for (const secret of s.secrets) expect(everything).not.toContain(secret);
  });
});
