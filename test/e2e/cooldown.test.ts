// No silent skip, end to end with every program real: disk_full fires on a real tmpfs watched
// by node_exporter, Prometheus fires, Alertmanager delivers, remediator prunes. The disk fills
// again inside the remediation's cooldown: the new episode's job waits the cooldown out (the
// unhandled-episodes metric says why meanwhile), asks the real Alertmanager whether the alert
// still fires, and prunes again: the disk is fixed after the cooldown, never left `cooldown`.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildDemoImage, fillDisk, removeDemo } from '../../demo/lib.js';
import { ensureBusyboxImage, freePort, startDockerd, type DockerdHandle } from '../../scripts/lib/daemons.js';
import { startNodeExporter, type MonitorHandle } from '../../scripts/lib/monitoring.js';
import type { RemediationEventMap } from '../../src/lifecycle/events.js';
import { remediationsDir, startHarness, type Harness } from '../support/harness.js';
import { alertmanagerAlerts, queryValue, startStack, timeline, waitFor, type Stack } from './support/stack.js';

const run = promisify(execFile);
const project = 'e2ecool';
const COOLDOWN = '45s';
let root: string;
let disk: string;
let dockerd: DockerdHandle | undefined;
let docker: Docker;
let nodeExporter: MonitorHandle | undefined;
let h: Harness;
let stack: Stack;
const queued: RemediationEventMap['job.queued'][] = [];
const waits: RemediationEventMap['job.waiting'][] = [];
const finished: RemediationEventMap['job.finished'][] = [];

beforeAll(async () => {
  root = await mkdtemp('/tmp/rmd-');
  disk = path.join(root, 'data');
  await mkdir(disk);
  await run('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', disk]);
  dockerd = await startDockerd({ root });
  docker = new Docker({ socketPath: dockerd.socketPath });
  await ensureBusyboxImage(dockerd.dockerHost);
  await buildDemoImage(docker);
  nodeExporter = await startNodeExporter({
    dir: path.join(root, 'node-exporter'),
    args: ['--collector.disable-defaults', '--collector.filesystem'],
  });
  // remediator must know Alertmanager's and Prometheus' addresses before they start (they need
  // its webhook's): ports chosen first.
  const [port, amPort, promPort] = [await freePort(), await freePort(), await freePort()];
  const shipped = await readFile(path.join(import.meta.dirname, '..', '..', 'remediations', 'disk-full.yaml'), 'utf8');
  expect(shipped).toMatch(/cooldown: 15m/);
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: dockerd.dockerHost,
    // The shipped disk_full runbook, its cooldown shortened so the test can wait it out.
    remediationsDir: await remediationsDir({
      'disk-full.yaml': shipped.replace('cooldown: 15m', `cooldown: ${COOLDOWN}`),
    }),
    prometheusUrl: `http://127.0.0.1:${promPort}`,
    env: { PORT: String(port), ALERTMANAGER_URL: `http://127.0.0.1:${amPort}` },
  });
  h.runtime.events.on('job.queued', (e) => void queued.push(e));
  h.runtime.events.on('job.waiting', (e) => void waits.push(e));
  h.runtime.events.on('job.finished', (e) => void finished.push(e));
  stack = await startStack({
    webhookUrl: `${h.url}/webhook/alertmanager`,
    ports: { alertmanager: amPort, prometheus: promPort },
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
  await dockerd?.stop();
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
const roomy = async () => {
  const v = await used();
  return v !== undefined && v < 50;
};
const fireJobs = () => queued.filter((e) => e.data.phase === 'fire' && e.data.alert.labels.mountpoint === disk);

describe('disk_full inside the cooldown, real Alertmanager', () => {
  it('the second episode waits the cooldown out, is still firing, and is fixed: never `cooldown`', async () => {
    const t = timeline('cooldown');
    await waitFor('the demo disk, not full', roomy, 30_000);

    // Episode 1: fixed at once, which starts the cooldown.
    await fillDisk(docker, project);
    t.mark('filled 1');
    const first = await waitFor('episode 1 queued', async () => fireJobs()[0], 60_000);
    const one = await h.waitForJob(first.jobId, 90_000);
    expect(one.returnvalue.outcome).toBe('succeeded');
    t.mark('fixed 1');
    await waitFor('room again', roomy, 30_000);

    // Episode 2, right away: inside the cooldown.
    const batch = await fillDisk(docker, project);
    const left = await docker.getContainer(batch.name).inspect();
    t.mark('filled 2');
    const second = await waitFor('episode 2 queued', async () => fireJobs()[1], 60_000);
    expect(second.jobId).not.toBe(first.jobId);
    const held = await waitFor(
      'episode 2 held by the cooldown',
      async () => waits.find((w) => w.jobId === second.jobId && w.on === 'cooldown'),
      30_000,
    );
    t.mark('held');
    expect(held.detail).toMatch(/cooldown, \d+s left; it waits it out, then acts if the alert still fires/);
    // Meanwhile: firing and not handled, and why.
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/remediator_episodes_unhandled\{remediation="disk-full",reason="cooldown"\} 1/);
    // Alertmanager still has it: this is what the job asks when the cooldown is over.
    expect(
      (await alertmanagerAlerts(stack.alertmanager, 'disk_full')).some(
        (a) => a.fingerprint === second.data.alert.fingerprint,
      ),
    ).toBe(true);

    const two = await h.waitForJob(second.jobId, 120_000);
    t.mark('fixed 2');
    // Fixed either by the whole runbook, or by its cleanup step alone: the alert then resolves
    // while the prune step waits out the host's cooldown, and the runbook stops there (`resolved`,
    // its cleanup recorded). Never `cooldown`, never removed unrecorded.
    expect(['succeeded', 'resolved']).toContain(two.returnvalue.outcome);
    if (two.returnvalue.outcome === 'succeeded') {
      expect(two.returnvalue.details.containersDeleted).toContain(left.Id);
      await waitFor('room again after the cooldown', roomy, 30_000);
    } else {
      expect(two.returnvalue.steps[0]).toMatchObject({ name: 'cleanup', outcome: 'succeeded' });
      // The cleanup brought the disk under the rule's threshold: Alertmanager no longer has it.
      await waitFor(
        'episode 2 resolved in Alertmanager',
        async () =>
          !(await alertmanagerAlerts(stack.alertmanager, 'disk_full')).some(
            (a) => a.fingerprint === second.data.alert.fingerprint,
          ),
        30_000,
      );
    }
    // No job of this run ended `cooldown`.
    expect(finished.map((f) => f.outcome)).not.toContain('cooldown');
    t.print('filled 2', 'fixed 2');
  }, 300_000);
});
