// Approvals against real Redis, a real Docker Engine and a local server answering as Slack's
// Web API does: an approval-gated recreate waits (delayed, no worker slot), is approved by a
// Slack interaction signed as Slack signs it, runs once and is recorded with the approver; a
// bad signature, an old timestamp and a replay are refused with 401 and nothing runs; a
// deadline that passes escalates with no Docker action (Docker's event stream read live);
// the operator API (its own token) and the CLI answer the same way.
import { createHmac } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { answerCommand } from '../../src/cli/approve.js';
import type { Approval } from '../../src/guards/approvals.js';
import { recordEvents, type EventRecorder } from '../support/docker-events.js';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { TOKEN, fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('approve');
const SECRET = 'slack-signing-secret-0123456789abcdef';
const OPERATOR = 'operator-token-0123456789abcdef';
let h: Harness;
let slack: FakeSlack;
let events: EventRecorder;

const recreate = (alertname: string, extra = '') =>
  [
    `match: alertname="${alertname}"`,
    'target:',
    '  container: "{{ labels.container }}"',
    'action:',
    '  type: recreate',
    '  stopTimeoutSeconds: 1',
    'verify:',
    '  running: true',
    '  healthy: false',
    '  within: 4s',
    'retry:',
    '  attempts: 1',
    extra,
  ].join('\n');

beforeAll(async () => {
  slack = await startFakeSlack();
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: await remediationsDir({
      // No `approve:`: the policy asks for every recreate.
      'gated.yaml': recreate('Recreate'),
      'deadline.yaml': recreate('RecreateSoon', 'approve:\n  timeout: 2s'),
    }),
    env: {
      SLACK_BOT_TOKEN: slack.token,
      SLACK_API_URL: slack.apiUrl,
      SLACK_CHANNEL: '#ops',
      SLACK_SIGNING_SECRET: SECRET,
      OPERATOR_TOKEN: OPERATOR,
    },
  });
});
afterAll(async () => {
  await events?.stop();
  await h?.stop();
  await slack?.close();
  await removeContainers(docker, p);
});

async function alert(alertname: string, container: string, n: number) {
  const body = await fixture('firing-high-latency.json');
  body.alerts[0].labels.alertname = alertname;
  body.alerts[0].labels.container = container;
  body.alerts[0].fingerprint = `a${String(n).padStart(15, '0')}`;
  const res = await h.post(body);
  expect(res.status).toBe(202);
  return res.body.jobs[0].jobId as string;
}

async function approvalOf(jobId: string): Promise<Approval> {
  for (let i = 0; i < 200; i++) {
    const a = (await h.runtime.operator.approvals.list()).find((x) => x.jobId === jobId);
    if (a) return a;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no approval asked for ${jobId}`);
}

/** A block_actions interaction as Slack posts it: form-encoded, signed with the app's secret. */
function interaction(id: string, action: 'remediator_approve' | 'remediator_deny', tsSeconds: number, secret = SECRET) {
  const payload = {
    type: 'block_actions',
    user: { id: 'U0ALICE', username: 'alice', name: 'alice' },
    actions: [{ action_id: action, block_id: `remediator_approval_${id}`, value: id, type: 'button' }],
  };
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const ts = String(tsSeconds);
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return { body, headers: { 'x-slack-request-timestamp': ts, 'x-slack-signature': signature } };
}

const postInteraction = (i: { body: string; headers: Record<string, string> }) =>
  fetch(`${h.url}/slack/interactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...i.headers },
    body: i.body,
  });

const now = () => Math.floor(Date.now() / 1000);

describe('an approval-gated recreate', () => {
  it('waits without a worker slot, refuses bad, stale and replayed Slack requests, runs once when approved', async () => {
    const name = `${p}app`;
    const oldId = await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    events = await recordEvents(docker);
    // The container's own create and start may reach the stream just after it subscribed.
    await events.flush();
    const since = events.events.at(-1)!.t;
    const actedOn = () => events.actionsOn(name).filter((e) => e.t > since);
    const jobId = await alert('Recreate', name, 1);
    const a = await approvalOf(jobId);
    expect(a).toMatchObject({
      state: 'pending',
      remediation: 'gated',
      why: expect.stringMatching(/^policy: recreate/),
    });
    // It waits as a delayed job: no worker slot held.
    for (let i = 0; i < 50 && (await h.runtime.queue.getJobState(jobId)) !== 'delayed'; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await h.runtime.queue.getJobState(jobId)).toBe('delayed');

    // The thread's parent carries Approve / Deny buttons for this approval.
    const withButtons = async () =>
      slack.messages.find((m) =>
        m.blocks.some((b: any) => b.type === 'actions' && b.elements.some((e: any) => e.value === a.id)),
      );
    for (let i = 0; i < 100 && !(await withButtons()); i++) await new Promise((r) => setTimeout(r, 100));
    const parent = (await withButtons())!;
    expect(parent).toBeDefined();
    const actions = parent.blocks.find((b: any) => b.type === 'actions');
    expect(actions.elements.map((e: any) => e.action_id)).toEqual(['remediator_approve', 'remediator_deny']);

    // Refused, each with 401, and none of them answers the approval.
    const forged = interaction(a.id, 'remediator_approve', now(), 'not-the-signing-secret-000000');
    expect((await postInteraction(forged)).status).toBe(401);
    const stale = interaction(a.id, 'remediator_approve', now() - 6 * 60);
    expect((await postInteraction(stale)).status).toBe(401);
    const unsigned = interaction(a.id, 'remediator_approve', now());
    expect((await postInteraction({ body: unsigned.body, headers: {} })).status).toBe(401);
    expect((await h.runtime.operator.approvals.get(a.id))?.state).toBe('pending');
    await events.flush();
    expect(actedOn()).toEqual([]);

    // Signed as Slack signs it: approved, and the job goes on at once.
    const good = interaction(a.id, 'remediator_approve', now());
    const res = await postInteraction(good);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ result: 'ok', state: 'approved' });
    // The same request again is a replay.
    expect((await postInteraction(good)).status).toBe(401);

    const job = await h.waitForJob(jobId, 60_000);
    expect(job.returnvalue.outcome).toBe('succeeded');
    await events.flush();
    const step = job.returnvalue.steps[0]!;
    expect(step.approval).toMatchObject({ id: a.id, state: 'approved', by: 'alice (Slack U0ALICE)', via: 'slack' });
    // Recorded in history with the approver.
    const record = await h.runtime.history.get(jobId);
    expect(record?.steps[0]?.approval).toMatchObject({ state: 'approved', by: 'alice (Slack U0ALICE)' });
    // Once: one new container under the name, the old one gone.
    const created = actedOn().filter((e) => e.verb === 'create' && e.name === name);
    expect(created).toHaveLength(1);
    const now2 = await docker.getContainer(name).inspect();
    expect(now2.Id).not.toBe(oldId);
    // The thread says who approved.
    for (
      let i = 0;
      i < 100 && !slack.messages.some((m) => /Approved\* by alice/.test(m.text + JSON.stringify(m.blocks)));
      i++
    )
      await new Promise((r) => setTimeout(r, 100));
    expect(slack.messages.some((m) => m.threadTs && /Approved\* by alice/.test(JSON.stringify(m.blocks)))).toBe(true);
  });

  it('unanswered by its deadline: escalated, and no Docker action at all (read live from the event stream)', async () => {
    const name = `${p}late`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    await events.flush(); // its own create and start are in, before the alert
    const from = events.events.length;
    const calls = h.docker.calls.length;
    const jobId = await alert('RecreateSoon', name, 2);
    const a = await approvalOf(jobId);
    const job = await h.waitForJob(jobId, 30_000);
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toMatch(/nobody approved "recreate .*" by .*: escalated, nothing was done/);
    expect(await h.runtime.history.get(jobId)).toMatchObject({ outcome: 'escalated', escalation: 'approval_expired' });
    expect((await h.runtime.operator.approvals.get(a.id))?.state).toBe('expired');
    // A late answer changes nothing.
    const late = await h.runtime.operator.answer(a.id, 'approve', {
      by: 'bob',
      at: Date.now(),
      reason: 'x',
      via: 'api',
    });
    expect(late.result).toBe('answered');
    await events.flush();
    expect(events.events.slice(from).filter((e) => e.name.startsWith(name))).toEqual([]);
    const actionCalls = h.docker.calls
      .slice(calls)
      .filter((c) => !['ping', 'listContainers', 'findContainers', 'inspect'].includes(c));
    expect(actionCalls).toEqual([]);
  });

  it('the operator API (its own token, not the webhook one) denies; the CLI approves', async () => {
    const denied = `${p}denied`;
    const approved = `${p}cli`;
    await createTestContainer(docker, { name: denied, labels: { 'remediator.enable': 'true' } });
    await createTestContainer(docker, { name: approved, labels: { 'remediator.enable': 'true' } });
    await events.flush();
    const from = events.events.length;
    const j1 = await alert('Recreate', denied, 3);
    const j2 = await alert('Recreate', approved, 4);
    const [a1, a2] = [await approvalOf(j1), await approvalOf(j2)];
    const answer = (token: string) =>
      fetch(`${h.url}/api/v1/approvals/${a1.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ decision: 'deny', by: 'carol', reason: 'not during the sale' }),
      });
    expect((await answer(TOKEN)).status).toBe(401);
    const res = await answer(OPERATOR);
    expect(res.status).toBe(200);
    const out: string[] = [];
    const io = {
      out: { write: (s: string) => out.push(s) },
      err: { write: (s: string) => out.push(s) },
      stdin: [],
      env: { REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: h.prefix, USER: 'dave' },
    };
    expect(await answerCommand('approve', [a2.id, '--reason', 'checked the disk'], io)).toBe(0);
    expect(out.join('')).toMatch(/^approved [0-9a-f]{12} \(recreate .*\) by dave@/);

    const jd = await h.waitForJob(j1, 30_000);
    expect(jd.failedReason).toBe(
      `recreate ${denied}, keeping the old container until the new one is verified (stop timeout 1s): denied by carol (api): not during the sale`,
    );
    expect(await h.runtime.history.get(j1)).toMatchObject({ outcome: 'refused' });
    const ja = await h.waitForJob(j2, 60_000);
    expect(ja.returnvalue.outcome).toBe('succeeded');
    expect(ja.returnvalue.steps[0]!.approval).toMatchObject({ by: expect.stringMatching(/^dave@/), via: 'cli' });
    await events.flush();
    expect(events.events.slice(from).filter((e) => e.name === denied)).toEqual([]);
  });
});
