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
import { uniquePrefix } from '../../support/docker.js';
import { startHarness, type Harness } from '../../support/harness.js';
import { startStack, type Seen, type Stack } from './stack.js';

export { alertGoesRound, alertResolves } from './stack.js';

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
