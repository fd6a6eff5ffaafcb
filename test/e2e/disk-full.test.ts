// disk_full end to end, every program real. The "disk" is a 64 MiB tmpfs that is the data
// root of a Docker Engine of this test's own (it prunes, so not the shared one), watched by
// Debian's node_exporter. The demo's cache service piles up 8 MiB of old logs and a batch job
// fills the rest with scratch data in its container layer and crashes -> Prometheus fires
// disk_full -> Alertmanager delivers it -> remediator's runbook runs the cache's own cleanup
// command (declared by label), then prunes stopped opted-in containers, and verifies from
// node_exporter that at least 20% is free -> the alert resolves and the resolved notification
// reaches remediator.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildDemoImage, fillDisk, removeDemo } from '../../demo/lib.js';
import { ensureBusyboxImage, startDockerd, type DockerdHandle } from '../../scripts/lib/daemons.js';
import { startNodeExporter, type MonitorHandle } from '../../scripts/lib/monitoring.js';
import type { RemediationEventMap } from '../../src/lifecycle/events.js';
import { recordEvents } from '../support/docker-events.js';
import { startHarness, type Harness } from '../support/harness.js';
import {
  alertGoesRound,
  alertResolves,
  prometheusAlerts,
  queryValue,
  startStack,
  timeline,
  waitFor,
  type Stack,
} from './support/stack.js';

const run = promisify(execFile);
const project = 'e2edisk';
let root: string;
let disk: string;
let dockerd: DockerdHandle | undefined;
let docker: Docker;
let nodeExporter: MonitorHandle | undefined;
let h: Harness;
let stack: Stack;
const seen: { [K in 'job.queued' | 'alert.resolved']: RemediationEventMap[K][] } = {
  'job.queued': [],
  'alert.resolved': [],
};

beforeAll(async () => {
  // Short root: dockerd's sockets live under it and must fit in ~100 characters.
  root = await mkdtemp('/tmp/rmd-');
  disk = path.join(root, 'data');
  await mkdir(disk);
  await run('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', disk]);
  dockerd = await startDockerd({ root }); // its --data-root is <root>/data: the tmpfs
  docker = new Docker({ socketPath: dockerd.socketPath });
  await ensureBusyboxImage(dockerd.dockerHost);
  await buildDemoImage(docker);
  nodeExporter = await startNodeExporter({
    dir: path.join(root, 'node-exporter'),
    args: ['--collector.disable-defaults', '--collector.filesystem'],
  });
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: dockerd.dockerHost,
    remediationsDir: 'remediations',
  });
  for (const name of Object.keys(seen) as (keyof typeof seen)[])
    h.runtime.events.on(name, (e) => void seen[name].push(e as never));
  stack = await startStack({
    webhookUrl: `${h.url}/webhook/alertmanager`,
    // Only this disk: the machine's other filesystems are none of this test's business.
    jobs: [
      {
        job: 'node',
        targets: [`127.0.0.1:${nodeExporter.port}`],
        keep: { label: 'mountpoint', regex: disk.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') },
      },
    ],
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await h?.stop();
  await nodeExporter?.stop();
  if (docker) await removeDemo(docker, project).catch(() => undefined);
  await dockerd?.stop(); // also unmounts everything under root, the tmpfs included
  if (root) {
    await run('umount', [disk]).catch(() => undefined);
    await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
});

const used = () =>
  queryValue(
    stack.prometheus,
    `100 * (1 - node_filesystem_avail_bytes{mountpoint="${disk}"} / node_filesystem_size_bytes{mountpoint="${disk}"})`,
  );

describe('disk_full, real node_exporter -> Prometheus -> Alertmanager -> remediator -> Docker', () => {
  it("runs the cache's own cleanup, prunes what filled the disk, verifies 20% free from node_exporter; the alert resolves", async () => {
    const t = timeline('disk_full');
    await waitFor(
      'node_exporter to report the demo disk, not full',
      async () => {
        const v = await used();
        return v !== undefined && v < 50;
      },
      30_000,
    );
    expect(await prometheusAlerts(stack.prometheus, 'disk_full')).toEqual([]);

    const events = await recordEvents(docker);
    const batch = await fillDisk(docker, project);
    t.mark('fault injected');
    const left = await docker.getContainer(batch.name).inspect();
    expect(left.State.Running).toBe(false);
    expect(left.Config.Labels['remediator.enable']).toBe('true');

    // 1-2. Prometheus fires disk_full for this mountpoint; Alertmanager holds it and delivers it:
    // one prune job for the episode.
    const isDisk = (l: Record<string, string>) => l.mountpoint === disk;
    const queued = await alertGoesRound({ stack, seen }, 'disk_full', isDisk, 'disk-full', 30_000, t);
    expect(queued.firing.labels).toMatchObject({
      alertname: 'disk_full',
      fstype: 'tmpfs',
      severity: 'critical',
      job: 'node',
    });
    expect(Number(queued.firing.value)).toBeGreaterThan(95);

    // 3. remediator's runbook: the cache's own cleanup, then the prune, verified 20% free.
    const job = await h.waitForJob(queued.jobId, 60_000);
    t.mark('pruned');
    expect(job.returnvalue).toMatchObject({ outcome: 'succeeded', action: 'prune' });
    const [cleanup, prune] = job.returnvalue.steps;
    expect(cleanup).toMatchObject({ name: 'cleanup', outcome: 'succeeded', targets: [batch.cache] });
    expect(JSON.stringify(cleanup!.details)).toMatch(/cleanup: freed 8\d{3} KiB/);
    expect(prune).toMatchObject({ name: 'prune', outcome: 'succeeded', verification: { ok: true } });
    expect(prune!.verification!.detail).toMatch(/node_filesystem_avail_bytes.*empty result/);
    expect(prune!.details!.containersDeleted).toContain(left.Id);
    expect(prune!.details!.bytesReclaimed).toBeGreaterThan(40 * 1024 * 1024);
    await expect(docker.getContainer(batch.name).inspect()).rejects.toMatchObject({ statusCode: 404 });
    // The cache service still runs, its old logs gone; in Docker's own order: cleanup, then prune.
    expect((await docker.getContainer(batch.cache).inspect()).State.Running).toBe(true);
    const cleanupRun = events.of(batch.cache, ['exec_start']).find((e) => e.detail.includes('/app/cleanup.sh'));
    const destroyed = events.of(batch.name, ['destroy'])[0];
    expect(cleanupRun && destroyed && cleanupRun.t < destroyed.t).toBe(true);
    await events.stop();

    // 4. The metric recovers.
    await waitFor(
      'the disk to have room again',
      async () => {
        const v = await used();
        return v !== undefined && v < 50;
      },
      30_000,
    );
    t.mark('space back');

    // 5. The alert resolves in Prometheus and Alertmanager; the resolved notification reaches remediator.
    const resolved = await alertResolves({ stack, seen }, 'disk_full', isDisk, queued, 30_000, t);
    expect(resolved.data.alert.labels.mountpoint).toBe(disk);
    t.print('firing', 'resolved handled');
  }, 180_000); // the whole loop through real Prometheus and Alertmanager; steps have their own deadlines
});
