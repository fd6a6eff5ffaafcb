// Slack through the real pipeline: real Redis, real dockerd, real containers, a real runtime
// posting over HTTP, and a local server answering as Slack's Web API does. One thread per
// alert episode: a parent edited through its states, details in replies, the on-call
// mentioned on escalation, the parent edited again when the alert resolves.
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { startFakeSlack, stateOf, textOf, threadIn, until, type FakeSlack } from '../support/fake-slack.js';
import { fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('slack');
let slack: FakeSlack;
let h: Harness;

const REMEDIATIONS = {
  'restart-slow.yaml': [
    'match: [alertname="HighLatency", container=~".+"]',
    'target: { container: "{{ labels.container }}" }',
    'action: { type: restart, stopTimeoutSeconds: 2 }',
    'retry: { attempts: 3, backoff: 200ms }',
    'verify: { running: true, within: 10s }',
    'notify: { channel: "#oncall", mention: "<!subteam^S0ONCALL>" }',
  ].join('\n'),
  'flush-cache.yaml': [
    'match: [alertname="CacheStuck"]',
    'target: { container: "{{ labels.container }}" }',
    `action: { type: exec, command: ["sh", "-c", "echo flushing; echo 'cache locked by pid 42' >&2; exit 3"] }`,
    'retry: { attempts: 2, backoff: 100ms }',
    'notify: { channel: "#cache", mention: "<!subteam^S0CACHE>" }',
  ].join('\n'),
};

/** Order in which the parent may move through the states of a run that succeeds. */
const PROGRESS = ['Queued', 'Running', 'Acting', 'Succeeded'];

async function highLatency(tag: string, fingerprint: string, mutate: (a: any) => void = () => undefined) {
  const name = `${p}${tag}`;
  await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
  const body = await fixture('firing-high-latency.json');
  const a = body.alerts[0];
  a.labels.container = name;
  a.fingerprint = fingerprint;
  a.generatorURL = 'http://prometheus:9090/graph?g0.expr=latency_p99+%3E+1&g0.tab=1';
  a.annotations.runbook_url = 'https://runbooks.example/high-latency';
  mutate(a);
  return { name, body };
}

/** Every notification of the harness delivered (nothing waiting, delayed or active). */
async function settled(): Promise<void> {
  await until('the notification queue to drain', async () => {
    const c = await h.runtime
      .notifications!.queueOf('slack')!
      .getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    return Object.values(c).every((n) => n === 0);
  });
}

beforeAll(async () => {
  slack = await startFakeSlack();
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: await remediationsDir(REMEDIATIONS),
    env: { SLACK_BOT_TOKEN: slack.token, SLACK_CHANNEL: '#alerts', SLACK_API_URL: slack.apiUrl },
  });
});
afterAll(async () => {
  await h?.stop();
  await slack?.close();
  await removeContainers(docker, p);
});

/** Timings of remediations run while Slack was healthy, the baseline for the outage test. */
const healthy: { waitMs: number; runMs: number; attempts: number }[] = [];
const timing = (job: { timestamp: number; processedOn?: number; finishedOn?: number; attemptsMade: number }) => ({
  waitMs: job.processedOn! - job.timestamp,
  runMs: job.finishedOn! - job.processedOn!,
  attempts: job.attemptsMade,
});

describe('Slack Web API: one thread per alert episode', () => {
  it('a HighLatency episode yields one parent edited through its states and details in its thread; resolving edits the parent', async () => {
    const { name, body } = await highLatency('api', 'slack00000000001');
    const res = await h.post(body);
    const jobId = res.body.jobs[0].jobId;
    const job = await h.waitForJob(jobId);
    expect(job.returnvalue.outcome).toBe('succeeded');
    healthy.push(timing(job));

    const { parents, replies } = await until('the succeeded thread with its details reply', () => {
      const t = threadIn(slack, jobId);
      return t.parents[0] && stateOf(t.parents[0]) === 'Succeeded' && t.replies.length > 0 && t;
    });
    expect(parents).toHaveLength(1);
    const parent = parents[0]!;
    expect(parent.channel).toBe(slack.channelId('#oncall'));
    // Edited in place: several versions, each further along than the one before.
    const states = parent.history.map(stateOf);
    expect(states.length).toBeGreaterThanOrEqual(2);
    const ranks = states.map((s) => PROGRESS.indexOf(s!));
    expect(ranks.every((r) => r >= 0)).toBe(true);
    expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
    expect(states.at(-1)).toBe('Succeeded');

    const text = textOf(parent);
    expect(text).toContain('p99 latency 2.3s');
    expect(text).toContain(`*container*: ${name}`);
    expect(text).toContain('<http://vm:19093/#/alerts?filter=');
    expect(text).toContain('<http://vm:19093/#/silences/new?filter=');
    expect(text).toContain('<https://runbooks.example/high-latency|Runbook>');
    expect(text).toContain('<http://prometheus:9090/graph?g0.expr=latency_p99+%3E+1&amp;g0.tab=1|Source>');

    const details = replies.map(textOf).join('\n');
    expect(details).toContain('Succeeded* in ');
    expect(details).toContain('attempt 1/3');
    expect(details).toContain(`\`restart\` → ${name}`);
    expect(details).toContain('*Verification:* :white_check_mark: passed');
    expect(details).toContain(`*Restarted:* ${name}`);

    // Every call carried the bot token, as form bodies the way the official SDK sends them.
    const mine = slack.calls.filter((c) => c.endpoint.startsWith('chat.'));
    expect(mine.every((c) => c.authorization === `Bearer ${slack.token}` && c.ok)).toBe(true);
    expect(mine.every((c) => c.contentType?.startsWith('application/x-www-form-urlencoded'))).toBe(true);

    const resolved = await fixture('resolved-high-latency.json');
    resolved.alerts[0].labels.container = name;
    resolved.alerts[0].fingerprint = 'slack00000000001';
    expect((await h.post(resolved)).status).toBe(202);
    const after = await until('the parent edited to resolved', () => {
      const p0 = threadIn(slack, jobId).parents[0]!;
      return textOf(p0).includes('Alert resolved') && p0;
    });
    expect(stateOf(after)).toBe('Succeeded');
    expect(threadIn(slack, jobId).parents).toHaveLength(1);
    await settled();
  });

  it('an escalation (retries exhausted) mentions the on-call in the thread and says why a human is needed', async () => {
    const name = `${p}cache`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const body = await fixture('firing-high-latency.json');
    body.alerts[0].labels = { alertname: 'CacheStuck', container: name, severity: 'critical' };
    body.alerts[0].fingerprint = 'slack00000000002';
    const res = await h.post(body);
    const jobId = res.body.jobs[0].jobId;
    const job = await h.waitForJob(jobId);
    expect(await job.getState()).toBe('failed');
    expect(await h.runtime.history.get(jobId), job.failedReason).toMatchObject({
      outcome: 'escalated',
      steps: [{ attempts: 2 }],
    });

    const { parents, replies } = await until('the escalation reply', () => {
      const t = threadIn(slack, jobId);
      return t.replies.some((r) => textOf(r).includes('A human is needed')) && t;
    });
    expect(parents).toHaveLength(1);
    expect(parents[0]!.channel).toBe(slack.channelId('#cache'));
    expect(stateOf(parents[0]!)).toBe('Escalated');
    const texts = replies.map(textOf);
    expect(texts.some((t) => t.includes('Attempt 1/2 failed') && t.includes('cache locked by pid 42'))).toBe(true);
    const escalation = replies.find((r) => textOf(r).includes('A human is needed'))!;
    expect(escalation.text.startsWith('<!subteam^S0CACHE>')).toBe(true);
    expect(textOf(escalation)).toContain('every attempt failed');
    const call = slack.calls.find(
      (c) => c.endpoint === 'chat.postMessage' && String(c.args.text).includes('A human is needed'),
    )!;
    expect(call.args.thread_ts).toBe(parents[0]!.ts);
    expect(call.args.reply_broadcast).toBe('true');
    await settled();
  });

  it('a label holding <!channel> or <https://evil|x> arrives escaped, in every message of the thread', async () => {
    const evil = '<!channel> <https://evil|x> & co';
    const { body } = await highLatency('api4', 'slack00000000004', (a) => {
      a.labels.note = evil;
      a.annotations.summary = `p99 high ${evil}`;
    });
    const res = await h.post(body);
    const jobId = res.body.jobs[0].jobId;
    healthy.push(timing(await h.waitForJob(jobId)));
    const { parents } = await until('the thread', () => {
      const t = threadIn(slack, jobId);
      return t.parents[0] && stateOf(t.parents[0]) === 'Succeeded' && t.replies.length > 0 && t;
    });
    const sent = slack.calls.filter((c) => JSON.stringify(c.args).includes(jobId)).map((c) => JSON.stringify(c.args));
    expect(sent.length).toBeGreaterThan(1);
    for (const s of sent) {
      expect(s).not.toContain('<!channel>');
      expect(s).not.toContain('<https://evil');
    }
    expect(textOf(parents[0]!)).toContain('&lt;!channel&gt; &lt;https://evil|x&gt; &amp; co');
    await settled();
  });
  it('with Slack answering 429 (Retry-After 1) then 500 then OK, the remediation is unchanged and the thread arrives in order', async () => {
    expect(healthy).toHaveLength(2);
    const { body } = await highLatency('api3', 'slack00000000003');
    const from = slack.calls.length;
    slack.script([{ status: 429, retryAfterSeconds: 1 }, { status: 500 }]);
    const res = await h.post(body);
    const jobId = res.body.jobs[0].jobId;
    const job = await h.waitForJob(jobId);
    expect(job.returnvalue.outcome).toBe('succeeded');
    const t = timing(job);
    expect(t.attempts).toBe(healthy[0]!.attempts);
    // Loosely as fast as with Slack healthy (a remediation held up by this outage would be at
    // least its 2 s late); the restart's own time varies, so the slower healthy run is the bar.
    expect(t.waitMs).toBeLessThan(Math.max(...healthy.map((x) => x.waitMs)) + 900);
    expect(t.runMs).toBeLessThan(Math.max(...healthy.map((x) => x.runMs)) + 1_500);

    const { parents, replies } = await until('the thread after the outage', () => {
      const t = threadIn(slack, jobId);
      return t.parents[0] && stateOf(t.parents[0]) === 'Succeeded' && t.replies.length > 0 && t;
    });
    expect(parents).toHaveLength(1);
    const calls = slack.calls.slice(from);
    expect(calls[0]!.status).toBe(429);
    expect(calls[1]!.status).toBe(500);
    // Retry-After honoured: nothing went to Slack for the second after the 429.
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(950);
    expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(800);
    // The remediation started while Slack was still refusing everything.
    expect(job.processedOn!).toBeLessThan(calls[2]!.at);
    // In order once Slack answers: the parent first, its edits, then the reply.
    const ok = calls.filter((c) => c.ok);
    expect(ok[0]!.endpoint).toBe('chat.postMessage');
    expect(ok[0]!.args.thread_ts).toBeUndefined();
    const ranks = parents[0]!.history.map((v) => PROGRESS.indexOf(stateOf(v)!));
    expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
    expect(ok.at(-1)!.args.thread_ts).toBe(parents[0]!.ts);
    expect(ok.findIndex((c) => c.args.thread_ts)).toBeGreaterThan(
      ok.findLastIndex((c) => c.endpoint === 'chat.update'),
    );
    expect(replies).toHaveLength(1);
    await settled();
  });
});

describe('secrets and a bad token', () => {
  it('invalid_auth drops the notifications, the remediation still succeeds, and no token reaches a log line', async () => {
    const wrong = 'xoxb-wrong-0123456789abcdef';
    const other = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: await remediationsDir(REMEDIATIONS),
      env: { SLACK_BOT_TOKEN: wrong, SLACK_CHANNEL: '#alerts', SLACK_API_URL: slack.apiUrl },
    });
    try {
      const { body } = await highLatency('api5', 'slack00000000005');
      const res = await other.post(body);
      const job = await other.waitForJob(res.body.jobs[0].jobId);
      expect(job.returnvalue.outcome).toBe('succeeded');
      await until('a dropped notification logged', () =>
        other.logs.some((l) => l.msg === 'slack notification dropped'),
      );
      const dropped = other.logs.find((l) => l.msg === 'slack notification dropped')!;
      expect(dropped.err).toBe('chat.postMessage: Slack refused the call: invalid_auth');
      expect(slack.calls.some((c) => c.authorization === `Bearer ${wrong}` && c.error === 'invalid_auth')).toBe(true);
      const failed = await other.runtime.notifications!.queueOf('slack')!.getFailed();
      expect(failed.length).toBeGreaterThan(0);
      const everything = JSON.stringify([other.logs, h.logs, failed.map((j) => j.failedReason)]);
      expect(everything).not.toContain(wrong);
      expect(everything).not.toContain(slack.token);
    } finally {
      await other.stop();
    }
  });
});
