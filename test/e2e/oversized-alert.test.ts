// One oversized alert must not lose its group. A real Alertmanager groups three alerts into one
// notification; one of them carries a label value longer than the schema allows. Alertmanager
// drops a notification answered with a 4xx for good (fixtures/alertmanager-0.25/README.md), so
// a 400 for the whole body would lose the two good alerts with it. This test reads the effect
// from the queue in Redis and from Alertmanager's own metrics and log, not from remediator's log.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { alertmanagerConfig, startAlertmanager, type MonitorHandle } from '../../scripts/lib/monitoring.js';
import { TOKEN, remediationsDir, startHarness, type Harness } from '../support/harness.js';
import { waitFor } from './support/stack.js';

const REMEDIATION = `description: Restart the container the probe alert names.
match:
  - alertname="GroupProbe"
target:
  container: "{{ labels.container }}"
action:
  type: restart
`;
/** One character over the schema's 4,096 per label value. */
const OVERSIZED = 'x'.repeat(4097);

let h: Harness;
let am: MonitorHandle;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rmd-oversize-'));
  const tokenFile = path.join(dir, 'webhook-token');
  await writeFile(tokenFile, TOKEN, { mode: 0o600 });
  // HTTP only: the jobs stay in the queue, where the test reads them.
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: await remediationsDir({ 'group-probe.yaml': REMEDIATION }),
    worker: false,
  });
  am = await startAlertmanager({
    dir: path.join(dir, 'am'),
    config: alertmanagerConfig({
      webhookUrl: `${h.url}/webhook/alertmanager`,
      tokenFile,
      groupWait: '1s',
      groupInterval: '1s',
      repeatInterval: '1h',
      // The three alerts share an alertname: one group, one notification, one body.
      groupBy: ['alertname'],
    }),
  });
});

afterAll(async () => {
  await am?.stop();
  await h?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Sum of a counter in Alertmanager's /metrics over the webhook integration. */
async function amCounter(name: string): Promise<number> {
  const text = await (await fetch(`${am.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name}{`) && line.includes('integration="webhook"')) sum += Number(line.split(' ').pop());
  return sum;
}

describe('a group with one oversized alert, delivered by a real Alertmanager', () => {
  it('enqueues the two good alerts, and Alertmanager records no failed or dropped notification', async () => {
    const startsAt = new Date().toISOString();
    const alerts = [
      { labels: { alertname: 'GroupProbe', container: 'probe-a' } },
      { labels: { alertname: 'GroupProbe', container: 'probe-b', detail: OVERSIZED } },
      { labels: { alertname: 'GroupProbe', container: 'probe-c' } },
    ].map((a) => ({ ...a, annotations: { summary: 'group probe' }, startsAt, generatorURL: 'http://e2e/' }));
    const posted = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    expect(posted.status).toBe(200);

    // Alertmanager's fingerprints for the two good alerts: their episodes name the jobs.
    const amAlerts = await waitFor(
      'Alertmanager to hold the three alerts',
      async () => {
        const list = (await (
          await fetch(`${am.url}/api/v2/alerts?filter=${encodeURIComponent('alertname="GroupProbe"')}`)
        ).json()) as { labels: Record<string, string>; fingerprint: string }[];
        return list.length === 3 ? list : undefined;
      },
      10_000,
    );
    const goodFingerprints = amAlerts
      .filter((a) => a.labels.container !== 'probe-b')
      .map((a) => a.fingerprint)
      .sort();

    // Settled once the delivery either failed in Alertmanager's eyes or its jobs are in Redis.
    await waitFor(
      'the notification to be delivered or to fail',
      async () =>
        (await amCounter('alertmanager_notifications_failed_total')) > 0 ||
        (await h.runtime.queue.getJobs(['waiting', 'delayed'])).length >= 2,
      30_000,
    );

    const jobs = await h.runtime.queue.getJobs(['waiting', 'delayed']);
    expect(jobs.map((j) => j.data.alert.labels.container).sort()).toEqual(['probe-a', 'probe-c']);
    expect(jobs.map((j) => j.data.alert.fingerprint).sort()).toEqual(goodFingerprints);
    expect(jobs.map((j) => j.id).sort()).toEqual(
      goodFingerprints.map((fp) => `group-probe.${fp}.${Date.parse(startsAt)}`).sort(),
    );

    expect(await amCounter('alertmanager_notifications_total')).toBeGreaterThan(0);
    expect(await amCounter('alertmanager_notifications_failed_total')).toBe(0);
    const amLog = await readFile(path.join(am.dir, 'alertmanager.log'), 'utf8');
    expect(amLog).not.toMatch(/Notify for alerts failed|unrecoverable error|retry canceled/);

    // The oversized alert was refused alone, and remediator counts it.
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/remediator_alerts_refused_total\{reason="too_large"\} 1/);
  });
});
