// One stack for several seed-runbook scenarios: the demo's parts they need, node_exporter
// serving the demo's textfiles (the metrics of containers with no port of their own), a real
// Prometheus (shortened rules) and Alertmanager, and remediator with the shipped
// remediations/. Also the two halves every scenario repeats: the alert going round
// (Prometheus fires -> Alertmanager holds -> remediator queues) and coming back (Prometheus
// drops it -> Alertmanager resolves it -> remediator hears it), and a live `docker events`
// recording (`--since` keeps only 256 events).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { expect } from 'vitest';
import {
  buildDemoImage,
  removeDemo,
  startDemo,
  type DemoNames,
  type DemoPart,
  type DemoSpec,
} from '../../../demo/lib.js';
import { freePort } from '../../../scripts/lib/daemons.js';
import { startNodeExporter, type MonitorHandle } from '../../../scripts/lib/monitoring.js';
import type { RemediationEventMap } from '../../../src/lifecycle/events.js';
import type { RemediationJobData } from '../../../src/queue/contract.js';
import { uniquePrefix } from '../../support/docker.js';
import { startHarness, type Harness } from '../../support/harness.js';
import { alertmanagerAlerts, prometheusAlerts, startStack, waitFor, type PromAlert, type Stack } from './stack.js';

/** One event of the engine, as `docker events` gives it. */
export interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
}

/** Record the engine's events from now on (live: not bounded by dockerd's 256-event log). */
export async function recordEvents(docker: Docker): Promise<{ events: DockerEvent[]; stop(): void }> {
  const events: DockerEvent[] = [];
  const stream = (await docker.getEvents({})) as NodeJS.ReadableStream & { destroy(): void };
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    rest += chunk.toString('utf8');
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) events.push(JSON.parse(l) as DockerEvent);
  });
  stream.on('error', () => undefined);
  return { events, stop: () => stream.destroy() };
}

/** The container events of one container (by name, whatever its id), as [action, id] pairs. */
export const containerActions = (events: DockerEvent[], name: string, actions: string[]) =>
  events
    .filter((e) => e.Type === 'container' && e.Actor.Attributes.name === name && actions.includes(e.Action))
    .map((e) => [e.Action, e.Actor.ID] as const);

type Seen = { [K in 'job.queued' | 'alert.resolved']: RemediationEventMap[K][] };

export interface SeedStack {
  docker: Docker;
  h: Harness;
  stack: Stack;
  names: DemoNames;
  spec: DemoSpec;
  metricsDir: string;
  seen: Seen;
  stop(): Promise<void>;
}

/** Start what the scenarios of one file need, on the shared engine, isolated by names. */
export async function startSeeds(o: {
  tag: string;
  parts: DemoPart[];
  dockerHost: string;
  redisUrl: string;
}): Promise<SeedStack> {
  const docker = new Docker({ socketPath: new URL(o.dockerHost).pathname });
  const prefix = uniquePrefix(o.tag);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'rmd-seed-'));
  const metricsDir = path.join(tmp, 'metrics');
  const queueDir = path.join(tmp, 'queue');
  await Promise.all([mkdir(metricsDir), mkdir(queueDir)]);
  const [queuePort, dbPort, prometheusPort] = [await freePort(), await freePort(), await freePort()];
  // A service name no other test uses: the shipped worker-down selects replicas by service only.
  const spec: DemoSpec = {
    project: `${prefix}demo`,
    workerService: `${prefix}worker`,
    queuePort,
    queueDir,
    dbPort,
    metricsDir,
    healthIntervalMs: 1000,
    parts: o.parts,
  };
  let nodeExporter: MonitorHandle | undefined;
  let h: Harness | undefined;
  let stack: Stack | undefined;
  const stop = async () => {
    await stack?.stop();
    await h?.stop();
    await nodeExporter?.stop();
    await removeDemo(docker, spec.project, { metricsDir }).catch(() => undefined);
    // Replicas remediator cloned carry the demo label too (cloned config); this is a backstop.
    for (const c of await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${spec.project}`] },
    }))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  };
  try {
    await buildDemoImage(docker);
    nodeExporter = await startNodeExporter({
      dir: path.join(tmp, 'node-exporter'),
      args: ['--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${metricsDir}`],
    });
    // The verification queries go to this stack's Prometheus, where the alerts are.
    h = await startHarness({
      redisUrl: o.redisUrl,
      dockerHost: o.dockerHost,
      remediationsDir: 'remediations',
      prometheusUrl: `http://127.0.0.1:${prometheusPort}`,
    });
    const seen: Seen = { 'job.queued': [], 'alert.resolved': [] };
    for (const name of Object.keys(seen) as (keyof Seen)[])
      h.runtime.events.on(name, (e) => void seen[name].push(e as never));
    const names = await startDemo(docker, spec);
    stack = await startStack({
      webhookUrl: `${h.url}/webhook/alertmanager`,
      prometheusPort,
      jobs: [
        { job: 'node', targets: [`127.0.0.1:${nodeExporter.port}`] },
        { job: 'demo-queue', targets: [`127.0.0.1:${queuePort}`] },
        // A dependency's scrape target names its container and the API that depends on it.
        {
          job: 'demo-db',
          targets: [`127.0.0.1:${dbPort}`],
          labels: { container: names.db, dependent: names.mlapi },
        },
      ],
    });
    return { docker, h, stack, names, spec, metricsDir, seen, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The alert going round: Prometheus fires `alertname` for the series `which` picks, Alertmanager
 * holds it, remediator queues one fire job of `remediation` for that episode. Returns the
 * firing alert and the queued job's id and data.
 */
export async function alertGoesRound(
  s: SeedStack,
  alertname: string,
  which: (labels: Record<string, string>) => boolean,
  remediation: string,
  timeoutMs = 40_000,
): Promise<{ firing: PromAlert; fingerprint: string; jobId: string; data: RemediationJobData }> {
  const firing = await waitFor(
    `Prometheus to fire ${alertname}`,
    async () =>
      (await prometheusAlerts(s.stack.prometheus, alertname)).find((a) => a.state === 'firing' && which(a.labels)),
    timeoutMs,
  );
  const am = await waitFor(
    `Alertmanager to hold ${alertname}`,
    async () => (await alertmanagerAlerts(s.stack.alertmanager, alertname)).find((a) => which(a.labels)),
    20_000,
  );
  const queued = await waitFor(
    `remediator to queue ${remediation}`,
    async () =>
      s.seen['job.queued'].find(
        (e) =>
          e.data.alert.fingerprint === am.fingerprint &&
          e.data.phase === 'fire' &&
          e.data.remediation.id === remediation,
      ),
    20_000,
  );
  return { firing, fingerprint: am.fingerprint, jobId: queued.jobId, data: queued.data };
}

/**
 * The alert coming back: Prometheus drops it, Alertmanager resolves it, and the resolved
 * notification of the episode reaches remediator. One episode, one fire job.
 */
export async function alertResolves(
  s: SeedStack,
  alertname: string,
  which: (labels: Record<string, string>) => boolean,
  fire: { jobId: string; fingerprint: string },
  timeoutMs = 40_000,
): Promise<void> {
  await waitFor(
    `Prometheus to drop ${alertname}`,
    async () => (await prometheusAlerts(s.stack.prometheus, alertname)).every((a) => !which(a.labels)),
    timeoutMs,
  );
  await waitFor(
    `Alertmanager to resolve ${alertname}`,
    async () => (await alertmanagerAlerts(s.stack.alertmanager, alertname)).every((a) => !which(a.labels)),
    30_000,
  );
  const resolved = await waitFor(
    'the resolved notification at remediator',
    async () => s.seen['alert.resolved'].find((e) => e.jobId === fire.jobId),
    30_000,
  );
  expect(resolved.data.alert.status).toBe('resolved');
  const fires = s.seen['job.queued'].filter(
    (e) => e.data.alert.fingerprint === fire.fingerprint && e.data.phase === 'fire',
  );
  expect(fires.map((e) => e.jobId)).toEqual([fire.jobId]);
}
