// Runs the demo application (demo/image.ts builds it, demo/parts.ts describes its containers)
// on a Docker Engine as a Compose project would, removes it, and injects the first three
// faults (latency, queue, disk; the runbook faults are in demo/faults.ts). Used by
// `npm run up`, `npm run demo` (demo/cli.ts) and the end-to-end tests (test/e2e/).
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { demux, execIn, fault } from './exec.js';
import { buildDemoImage, DEMO_IMAGE, DEMO_IMAGE_V2 } from './image.js';
import {
  compose,
  createAgent,
  createApi,
  createDeps,
  createEtl,
  createGateway,
  createQueue,
  createTrainer,
  DEMO_LABEL,
  demoNames,
  type DemoNames,
  type DemoPart,
  type DemoSpec,
} from './parts.js';

export { buildDemoImage, DEMO_IMAGE, DEMO_IMAGE_V2, DEMO_LABEL, demoNames };
export type { DemoNames, DemoPart, DemoSpec };
export * from './faults.js';
export { execIn } from './exec.js';

/**
 * Remove every container and network of the demo project (running or not), and, given the
 * textfile folder, the metrics files its containers left there.
 */
export async function removeDemo(docker: Docker, project: string, o: { metricsDir?: string } = {}): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${DEMO_LABEL}=${project}`] } });
  await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode !== 404 && err.statusCode !== 409) throw err; // gone / being removed
        }),
    ),
  );
  const networks = await docker.listNetworks({ filters: { label: [`${DEMO_LABEL}=${project}`] } });
  for (const n of networks)
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode !== 404) throw err;
      });
  if (o.metricsDir)
    for (const f of readdirSync(o.metricsDir).filter((f) => f.startsWith(`${project}-`) && f.endsWith('.prom')))
      rmSync(path.join(o.metricsDir, f), { force: true });
  return list.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, ''));
}

/** The project's default network, as Compose makes it: a user bridge network, internal (no NAT). */
async function createNetwork(docker: Docker, spec: DemoSpec, names: DemoNames): Promise<void> {
  await docker.createNetwork({
    Name: names.network,
    Driver: 'bridge',
    Internal: true,
    Labels: {
      'com.docker.compose.project': spec.project,
      'com.docker.compose.network': 'default',
      [DEMO_LABEL]: spec.project,
    },
  });
}

/**
 * Start the demo's parts (default: the api, the queue broker and one consumer replica),
 * replacing any earlier run of the same project. Those that serve on the host use its network
 * so Prometheus reaches them on 127.0.0.1; the others publish textfiles in `metricsDir`.
 */
export async function startDemo(docker: Docker, spec: DemoSpec): Promise<DemoNames> {
  const names = demoNames(spec);
  await removeDemo(docker, spec.project, { metricsDir: spec.metricsDir });
  const parts = new Set<DemoPart>(spec.parts ?? ['api', 'queue']);
  if (parts.has('gateway')) await createNetwork(docker, spec, names);
  const created: Docker.Container[] = [];
  if (parts.has('api')) created.push(await createApi(docker, spec, names));
  if (parts.has('queue')) created.push(...(await createQueue(docker, spec, names)));
  if (parts.has('agent')) created.push(await createAgent(docker, spec, names));
  if (parts.has('etl')) created.push(await createEtl(docker, spec, names));
  if (parts.has('gateway')) created.push(await createGateway(docker, spec, names));
  if (parts.has('trainer')) created.push(await createTrainer(docker, spec, names));
  if (parts.has('deps')) created.push(...(await createDeps(docker, spec, names)));
  for (const c of created) await c.start();
  return names;
}

/** Latency fault in the api: every request takes delaySeconds until it is turned off or the container restarts. */
export const setLatencyFault = (docker: Docker, api: string, on: boolean, delaySeconds = 3): Promise<void> =>
  fault(docker, api, on ? ['latency', 'on', String(delaySeconds)] : ['latency', 'off']);

/** Traffic surge at the broker, for `seconds` (bounded: it ends by itself). */
export const setQueueSurge = (docker: Docker, broker: string, on: boolean, seconds = 600): Promise<void> =>
  fault(docker, broker, on ? ['queue', 'on', String(Math.max(1, Math.round(seconds)))] : ['queue', 'off']);

/** The label that declares a container's own cleanup command (a JSON argv) to disk_full's runbook. */
export const CLEANUP_LABEL = 'remediator.cleanup';

/**
 * The cache service: running, opted in, holding `cacheMb` of old logs and caches in its layer,
 * and declaring its cleanup command by label. Created when missing.
 */
export async function cacheService(
  docker: Docker,
  project: string,
  cacheMb: number,
  optInLabel = 'remediator.enable',
): Promise<string> {
  const name = `${project}-cache-1`;
  const found = await docker.listContainers({ all: true, filters: { name: [`^/${name}$`] } });
  if (found.length === 0) {
    const c = await docker.createContainer({
      name,
      Image: DEMO_IMAGE,
      Cmd: ['sh', '/app/cache.sh'],
      Labels: {
        ...compose(project, 'cache'),
        [optInLabel]: 'true',
        [CLEANUP_LABEL]: JSON.stringify(['sh', '/app/cleanup.sh']),
      },
      HostConfig: { Init: true, NetworkMode: 'none' },
    });
    await c.start();
  } else if (found[0]!.State !== 'running') {
    await docker.getContainer(name).start();
  }
  const r = await execIn(docker, name, [
    'sh',
    '-c',
    `mkdir -p /var/cache/demo && dd if=/dev/zero of=/var/cache/demo/old.log bs=1M count=${cacheMb} 2>&1 | tail -n 1`,
  ]);
  if (r.exitCode !== 0) throw new Error(`the cache service could not write its cache: ${r.output.trim()}`);
  return name;
}

/**
 * Disk fault: the cache service piles up `cacheMb` (8) of old logs and caches, then a batch job
 * fills the engine's data-root disk to ~98 % with scratch data in its own layer and crashes.
 * The cache's own cleanup frees some (not enough for 20 % free on a small disk); the stopped
 * batch container (opted in) keeps the rest until pruned. fill-disk.sh refuses disks over
 * 1 GiB, so this only ever fills a small demo disk.
 */
export async function fillDisk(
  docker: Docker,
  project: string,
  optInLabel = 'remediator.enable',
  cacheMb = 8,
): Promise<{ name: string; output: string; cache: string }> {
  const cache = await cacheService(docker, project, cacheMb, optInLabel);
  const existing = await docker.listContainers({
    all: true,
    filters: { label: [`${DEMO_LABEL}=${project}`, 'com.docker.compose.service=batch'] },
  });
  const name = `${project}-batch-${existing.length + 1}-${Date.now().toString(36)}`;
  const c = await docker.createContainer({
    name,
    Image: DEMO_IMAGE,
    Cmd: ['sh', '/app/fill-disk.sh'],
    Labels: { ...compose(project, 'batch', existing.length + 1), [optInLabel]: 'true' },
    HostConfig: { NetworkMode: 'none' },
  });
  await c.start();
  const { StatusCode } = (await c.wait()) as { StatusCode: number };
  const logs = demux(await c.logs({ stdout: true, stderr: true }));
  if (StatusCode === 2 || !/writing \d+ MiB/.test(logs)) throw new Error(`the disk fault did not run: ${logs.trim()}`);
  return { name, output: logs, cache };
}
