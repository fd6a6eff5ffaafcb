// A sink that answers 429 or 500 for a while delays only itself: the remediation runs and ends,
// the other sinks deliver the whole episode, and once it answers again it gets every change it
// missed, once each, in order. Real pipeline, real Redis and dockerd, local servers for the sinks.
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { chatOf, drained, startAllSinks, teamsState, type AllSinks } from '../support/all-sinks.js';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { textOf, threadIn, until } from '../support/fake-slack.js';
import { fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('outage');
let s: AllSinks;
let h: Harness;

beforeAll(async () => {
  s = await startAllSinks();
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: await remediationsDir({
      'flush-cache.yaml': [
        'match: [alertname="CacheStuck"]',
        'target: { container: "{{ labels.container }}" }',
        `action: { type: exec, command: ["sh", "-c", "echo locked >&2; exit 3"] }`,
        'retry: { attempts: 2, backoff: 100ms }',
        'notify: { mention: "<!subteam^S0CACHE>" }',
      ].join('\n'),
    }),
    env: s.env,
  });
});
afterAll(async () => {
  await h?.stop();
  await s?.close();
  await removeContainers(docker, p);
});

describe('a sink answering 429 and 500 for a while', () => {
  it('delays only itself: the remediation ends and the other sinks deliver while it refuses; then it gets every change, once, in order', async () => {
    const name = `${p}cache`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const firing = await fixture('firing-high-latency.json');
    const resolved = await fixture('resolved-high-latency.json');
    for (const a of [firing.alerts[0], resolved.alerts[0]]) {
      a.labels = { ...a.labels, alertname: 'CacheStuck', container: name };
      a.fingerprint = 'outage0000000001';
    }
    // The webhook receiver is down until released; PagerDuty rate limits once, then fails twice.
    s.webhook.script([{ status: 429, retryAfterSeconds: 1 }]);
    s.webhook.hold({ status: 500 });
    s.pagerduty.script([{ status: 429, retryAfterSeconds: 1 }, { status: 500 }, { status: 503 }]);

    const id: string = (await h.post(firing)).body.jobs[0].jobId;
    const job = await h.waitForJob(id);
    expect(await job.getState()).toBe('failed');
    expect((await h.post(resolved)).status).toBe(202);

    // Slack, Teams and Mattermost have the whole episode, escalation and resolution included,
    // while the webhook receiver has not taken a single change of it.
    await until('the healthy sinks to have the whole episode', () => {
      const parent = threadIn(s.slack, id).parents[0];
      return (
        parent !== undefined &&
        textOf(parent).includes('Alert resolved') &&
        threadIn(s.slack, id).replies.some((r) => r.text.startsWith('<!subteam^S0CACHE>')) &&
        chatOf(s.teams, id).some((m) => JSON.stringify(m).includes('Alert resolved')) &&
        chatOf(s.mattermost, id).some((m) => m.text.includes('Alert resolved'))
      );
    });
    expect(chatOf(s.teams, id).map(teamsState)).toContain('Escalated');
    expect(s.webhook.accepted()).toEqual([]);
    const refused = s.webhook.calls.map((c) => c.status);
    expect(refused.slice(0, 2)).toEqual([429, 500]);
    // The remediation did not wait for the webhook: it ended, and was recorded, before the
    // receiver took anything.
    expect((await h.runtime.history.get(id))?.outcome).toBe('escalated');

    s.webhook.release();
    await until('the webhook to get the resolution', () =>
      s.webhook.bodies().some((b) => b.episode === id && b.transition === 'alert.resolved'),
    );
    await until('PagerDuty to resolve', () => s.pagerduty.alerts.get(id) === 'resolved');
    await drained(h);

    // Nothing lost, nothing twice, in order: one body per change, keys n1..nN, as the bus emitted them.
    const bodies = s.webhook.bodies().filter((b) => b.episode === id);
    expect(bodies.map((b) => b.idempotencyKey)).toEqual(bodies.map((_, i) => `${id}.n${i + 1}`));
    const emitted = h.seen.filter((e) => e.jobId === id).map((e) => e.name);
    expect(bodies.map((b) => b.transition).filter((t) => t !== 'step.finished')).toEqual(emitted);
    // The first change was tried again and again under the same key while the receiver was down.
    const firstKey = `${id}.n1`;
    const tries = s.webhook.calls.filter((c) => c.headers['idempotency-key'] === firstKey);
    expect(tries.length).toBeGreaterThanOrEqual(3);
    expect(new Set(tries.map((c) => c.raw)).size).toBe(1);

    // PagerDuty: the 429's Retry-After honoured, 5xx retried, then trigger before resolve, one dedup_key.
    const pd = s.pagerduty.calls.filter((c) => c.json?.dedup_key === id);
    expect(pd.map((c) => c.status)).toEqual([429, 500, 503, 202, 202]);
    expect(pd[1]!.at - pd[0]!.at).toBeGreaterThanOrEqual(950);
    expect(pd.filter((c) => c.accepted).map((c) => c.json.event_action)).toEqual(['trigger', 'resolve']);
    expect(new Set(pd.map((c) => c.json.dedup_key)).size).toBe(1);
    const limited = h.logs.filter((l) => l.msg === 'pagerduty rate limited: its notifications paused');
    expect(limited).toHaveLength(1);
  });
});
