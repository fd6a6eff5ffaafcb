// Alertmanager silences while remediating, against a real Alertmanager: an alert posted to its
// API is delivered to remediator, whose remediation (opt-in `silence:`) runs a slow exec; the
// silence for the alert's exact labels is active in Alertmanager while the action runs and
// expired once the outcome is known. Bounded by maxDuration from the start.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/lib/daemons.js';
import { alertmanagerConfig, startAlertmanager, type MonitorHandle } from '../../scripts/lib/monitoring.js';
import type { RemediationEventMap } from '../../src/lifecycle/events.js';
import { silenceKey } from '../../src/silence/index.js';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { TOKEN, fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';
import { alertmanagerAlerts, alertmanagerSilences, waitFor, type AmSilence } from './support/stack.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('e2e-sil');
const redis = new Redis(inject('redisUrl'), { lazyConnect: true });
let dir: string;
let am: MonitorHandle;
let h: Harness;
const acting: RemediationEventMap['job.acting'][] = [];
const finished: RemediationEventMap['job.finished'][] = [];

const remediation = (silence: string) =>
  [
    'match:',
    `  - alertname=~"SlowFix|PlainFix"`,
    `  - test="${p}"`,
    'target:',
    '  container: "{{ labels.container }}"',
    'action:',
    '  type: exec',
    '  command: ["sleep", "3"]',
    '  timeoutSeconds: 30',
    'retry: { attempts: 1 }',
    silence,
    '',
  ].join('\n');

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rmd-sil-'));
  const tokenFile = path.join(dir, 'token');
  await writeFile(tokenFile, TOKEN, { mode: 0o600 });
  // The harness needs Alertmanager's URL and Alertmanager the harness' port: fix the port first.
  const amPort = await freePort();
  const rems = await remediationsDir({
    'slow-fix.yaml': remediation('silence: { enabled: true, maxDuration: 2m }').replace('SlowFix|PlainFix', 'SlowFix'),
    'plain-fix.yaml': remediation('').replace('SlowFix|PlainFix', 'PlainFix'),
  });
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: rems,
    env: { ALERTMANAGER_URL: `http://127.0.0.1:${amPort}` },
  });
  h.runtime.events.on('job.acting', (e) => void acting.push(e));
  h.runtime.events.on('job.finished', (e) => void finished.push(e));
  am = await startAlertmanager({
    dir: path.join(dir, 'am'),
    port: amPort,
    config: alertmanagerConfig({
      webhookUrl: `${h.url}/webhook/alertmanager`,
      tokenFile,
      groupWait: '1s',
      groupInterval: '1s',
      repeatInterval: '1h',
    }),
  });
  await createTestContainer(docker, { name: `${p}app`, labels: { 'remediator.enable': 'true' } });
  await redis.connect();
});

afterAll(async () => {
  await am?.stop();
  await h?.stop();
  redis.disconnect();
  await removeContainers(docker, p);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Fire an alert the way Prometheus does: POST /api/v2/alerts. */
async function fire(labels: Record<string, string>): Promise<void> {
  const res = await fetch(`${am.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([
      {
        labels,
        annotations: { summary: 'e2e silence test' },
        startsAt: new Date().toISOString(),
        generatorURL: 'http://e2e/',
      },
    ]),
  });
  expect(res.status).toBe(200);
}

const forLabels = (s: AmSilence, labels: Record<string, string>) =>
  s.matchers.length === Object.keys(labels).length &&
  s.matchers.every((m) => labels[m.name] === m.value && !m.isRegex && m.isEqual !== false);

describe('Alertmanager silence while remediating (opt-in)', () => {
  it('shows an active silence for the exact labels while the action runs, expired once the outcome is known', async () => {
    const labels = { alertname: 'SlowFix', container: `${p}app`, severity: 'warning', test: p };
    await fire(labels);
    const act = await waitFor(
      'the action to start',
      async () => acting.find((e) => e.data.alert.labels.alertname === 'SlowFix'),
      20_000,
    );

    // While the exec runs: Alertmanager shows the silence, and the alert as suppressed by it.
    const silence = await waitFor(
      'an active silence in Alertmanager',
      async () => (await alertmanagerSilences(am)).find((s) => forLabels(s, labels) && s.status.state === 'active'),
      10_000,
      100,
    );
    expect(await (await h.job(act.jobId))!.getState()).toBe('active');
    expect(silence.createdBy).toBe('remediator');
    expect(silence.comment).toContain(act.jobId);
    // Bounded from the start: endsAt is creation + maxDuration (2m). Alertmanager moves a
    // startsAt in the past up to its own "now", a few ms later, so the span can only shrink.
    const span = Date.parse(silence.endsAt) - Date.parse(silence.startsAt);
    expect(span).toBeLessThanOrEqual(120_000);
    expect(span).toBeGreaterThan(115_000);
    const suppressed = await waitFor(
      'Alertmanager to suppress the alert',
      async () =>
        (await alertmanagerAlerts(am, 'SlowFix')).find((a) => a.labels.test === p && a.status.state === 'suppressed'),
      10_000,
      100,
    );
    expect(suppressed.status.silencedBy).toEqual([silence.id]);
    expect(await redis.get(silenceKey(h.prefix, act.jobId))).toBe(silence.id);

    // The outcome is known: the silence is expired (Alertmanager keeps it as such), the alert active again.
    const done = await h.waitForJob(act.jobId, 30_000);
    expect(done.returnvalue.outcome).toBe('succeeded');
    const expired = await waitFor(
      'the silence to be expired',
      async () => (await alertmanagerSilences(am)).find((s) => s.id === silence.id && s.status.state === 'expired'),
      10_000,
      100,
    );
    // Ended at the outcome, not before it (the action took ~3 s) and not at maxDuration.
    expect(Date.parse(expired.endsAt)).toBeGreaterThanOrEqual(done.finishedOn! - 1000);
    expect(Date.parse(expired.endsAt)).toBeLessThanOrEqual(Date.now());
    await waitFor(
      'the alert to be active again',
      async () =>
        (await alertmanagerAlerts(am, 'SlowFix')).find((a) => a.labels.test === p && a.status.state === 'active'),
      10_000,
      100,
    );
    expect((await alertmanagerSilences(am)).filter((s) => forLabels(s, labels) && s.status.state === 'active')).toEqual(
      [],
    );
    expect(await redis.get(silenceKey(h.prefix, act.jobId))).toBeNull();
  });

  it('creates no silence for a remediation that does not ask for one', async () => {
    const labels = { alertname: 'PlainFix', container: `${p}app`, severity: 'warning', test: p };
    await fire(labels);
    const act = await waitFor(
      'the action to start',
      async () => acting.find((e) => e.data.alert.labels.alertname === 'PlainFix'),
      20_000,
    );
    await h.waitForJob(act.jobId, 30_000);
    expect((await alertmanagerSilences(am)).filter((s) => forLabels(s, labels))).toEqual([]);
  });

  it('never blocks the remediation when Alertmanager cannot be reached', async () => {
    const closed = await freePort();
    const rems = await remediationsDir({
      'slow-fix.yaml': remediation('silence: { enabled: true, maxDuration: 1m }').replace(
        'SlowFix|PlainFix',
        'SlowFix',
      ),
    });
    const lonely = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: rems,
      env: { ALERTMANAGER_URL: `http://127.0.0.1:${closed}` },
    });
    try {
      const body = await fixture('firing-high-latency.json');
      body.alerts[0].labels = { alertname: 'SlowFix', container: `${p}app`, test: p };
      body.alerts[0].fingerprint = 'e2e5110000000001';
      const res = await lonely.post(body);
      expect(res.status).toBe(202);
      const job = await lonely.waitForJob(res.body.jobs[0].jobId, 30_000);
      expect(job.returnvalue.outcome).toBe('succeeded');
      expect(lonely.logs.some((l) => l.msg === 'could not silence the alert; remediating anyway')).toBe(true);
    } finally {
      await lonely.stop();
    }
  });
});
