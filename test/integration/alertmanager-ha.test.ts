// Two real Alertmanager processes (Debian's prometheus-alertmanager) with the same receiver,
// as an HA pair without gossip (the worst case: both deliver everything). Prometheus sends each
// alert to both with the same labels and startsAt, so both deliveries name the same episode.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { alertmanagerConfig, startAlertmanager, type MonitorHandle } from '../../scripts/lib/monitoring.js';
import { createTestContainer, inspectStartedAt, removeContainers, uniquePrefix } from '../support/docker.js';
import { TOKEN, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('ha');
const stops: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const s of stops) await s().catch(() => undefined);
  await removeContainers(docker, p);
});

describe('an Alertmanager HA pair', () => {
  it('both deliver the firing alert; remediator acts once', async () => {
    const name = `${p}api`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const dir = await remediationsDir({
      'restart.yaml':
        'match: alertname="HighLatency"\ntarget:\n  container: "{{ labels.container }}"\naction:\n  type: restart\n  stopTimeoutSeconds: 1\n',
    });
    const h: Harness = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: dir,
    });
    stops.push(() => h.stop());
    const before = await inspectStartedAt(docker, name);

    const work = await mkdtemp(path.join(os.tmpdir(), 'rmd-am-'));
    const tokenFile = path.join(work, 'token');
    await writeFile(tokenFile, TOKEN);
    const config = alertmanagerConfig({
      webhookUrl: `${h.url}/webhook/alertmanager`,
      tokenFile,
      groupWait: '1s',
      groupInterval: '1s',
      repeatInterval: '1h',
    });
    const ams: MonitorHandle[] = [];
    for (const n of [1, 2]) {
      const am = await startAlertmanager({ dir: path.join(work, `am${n}`), config });
      stops.push(() => am.stop());
      ams.push(am);
    }

    // What Prometheus sends to every Alertmanager it knows: same labels, same startsAt.
    const alert = [
      {
        labels: { alertname: 'HighLatency', container: name, instance: `${name}:8000`, severity: 'critical' },
        annotations: { summary: 'p99 latency 2.3s' },
        startsAt: new Date(Date.now() - 5_000).toISOString(),
      },
    ];
    for (const am of ams) {
      const res = await fetch(`${am.url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alert),
      });
      expect(res.status).toBe(200);
    }

    // Both deliveries arrive (one enqueues, one is a duplicate), then the one job finishes.
    const deadline = Date.now() + 20_000;
    while (
      h.seen.filter((e) => e.name === 'job.queued' || e.name === 'job.duplicate').length < 2 &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 100));
    const queued = h.seen.filter((e) => e.name === 'job.queued');
    const duplicates = h.seen.filter((e) => e.name === 'job.duplicate');
    expect(queued).toHaveLength(1);
    expect(duplicates.length).toBeGreaterThanOrEqual(1);
    expect(duplicates.every((d) => d.jobId === queued[0]!.jobId)).toBe(true);
    const job = await h.waitForJob(queued[0]!.jobId);
    expect(job.returnvalue.outcome).toBe('succeeded');
    const after = await inspectStartedAt(docker, name);
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
    // Later re-sends from either Alertmanager change nothing.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(h.seen.filter((e) => e.name === 'job.queued')).toHaveLength(1);
    expect(h.docker.calls.filter((c) => c === 'restart')).toHaveLength(1);
    expect(await inspectStartedAt(docker, name)).toBe(after);
  });
});
