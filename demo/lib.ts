// Builds the demo application (demo/Dockerfile, busybox + demo/app/*.sh), runs it on a Docker
// Engine as a Compose project would, and injects its faults. Used by `npm run up`,
// `npm run demo` (demo/cli.ts) and the end-to-end tests (test/e2e/).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';

export const DEMO_IMAGE = 'remediator-demo/app:1';
/** Every demo container carries DEMO_LABEL=<project>, so the demo can be removed as a whole. */
export const DEMO_LABEL = 'remediator.demo';
const HASH_LABEL = 'remediator.demo.hash';
const DEMO_DIR = import.meta.dirname;

export interface DemoSpec {
  /** Compose project name the containers carry (and prefix their names with), e.g. "demo". */
  project: string;
  /** 127.0.0.1 ports (host network) of the api and of the queue broker's /metrics. */
  apiPort?: number;
  queuePort?: number;
  /** Host folder holding the queue, bind-mounted into the broker and every consumer replica. */
  queueDir?: string;
  /** The consumer's Compose service: the `service` label of queue_depth. Default "worker". */
  workerService?: string;
  /** Health check interval of the api (default 2 s). */
  healthIntervalMs?: number;
  /** Opt-in label name (default remediator.enable). */
  optInLabel?: string;
  /** Which parts to run (default both): the api, and/or the queue (broker + one consumer). */
  parts?: ('api' | 'queue')[];
}

export interface DemoNames {
  api: string;
  broker: string;
  workerService: string;
  /** The first consumer replica; remediator adds <project>-<service>-2 and so on. */
  worker: string;
}

export function demoNames(spec: Pick<DemoSpec, 'project' | 'workerService'>): DemoNames {
  const workerService = spec.workerService ?? 'worker';
  return {
    api: `${spec.project}-api-1`,
    broker: `${spec.project}-queue-1`,
    workerService,
    worker: `${spec.project}-${workerService}-1`,
  };
}

function appFiles(dir = DEMO_DIR, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(dir, rel)).sort()) {
    const file = path.join(rel, name);
    if (statSync(path.join(dir, file)).isDirectory()) out.push(...appFiles(dir, file));
    else out.push(file);
  }
  return out;
}

/** Stream of a JSON progress reply (build, import): errors arrive inside it with status 200. */
function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
      const failed = err ?? out.find((o) => o.error)?.error;
      if (failed) reject(failed instanceof Error ? failed : new Error(`demo image build failed: ${failed}`));
      else resolve();
    });
  });
}

/**
 * Build the demo image from `base` (a local busybox image: no registry is needed). Skipped
 * when an image built from the same files already exists.
 */
export async function buildDemoImage(docker: Docker, base = 'remediator-test/busybox:1'): Promise<string> {
  const files = ['Dockerfile', ...appFiles(DEMO_DIR, 'app')];
  const hash = createHash('sha256');
  hash.update(base);
  for (const f of files)
    hash
      .update(f)
      .update(String(statSync(path.join(DEMO_DIR, f)).mode))
      .update(readFileSync(path.join(DEMO_DIR, f)));
  const digest = hash.digest('hex').slice(0, 16);
  const existing = await docker
    .getImage(DEMO_IMAGE)
    .inspect()
    .catch(() => undefined);
  if (existing?.Config.Labels?.[HASH_LABEL] === digest) return DEMO_IMAGE;
  const stream = await docker.buildImage(
    { context: DEMO_DIR, src: files },
    { t: DEMO_IMAGE, buildargs: { BASE: base }, labels: { [HASH_LABEL]: digest }, rm: true, forcerm: true },
  );
  await follow(docker, stream);
  return DEMO_IMAGE;
}

const compose = (project: string, service: string, n = 1): Record<string, string> => ({
  'com.docker.compose.project': project,
  'com.docker.compose.service': service,
  'com.docker.compose.container-number': String(n),
  [DEMO_LABEL]: project,
});

/** Remove every container of the demo project (running or not). */
export async function removeDemo(docker: Docker, project: string): Promise<string[]> {
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
  return list.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, ''));
}

/**
 * Start the api, the queue broker and one consumer replica (replacing any earlier run of the
 * same project). The api and the broker use the host network so Prometheus reaches them on
 * 127.0.0.1; the consumers need no network at all.
 */
export async function startDemo(docker: Docker, spec: DemoSpec): Promise<DemoNames> {
  const names = demoNames(spec);
  const optIn = spec.optInLabel ?? 'remediator.enable';
  await removeDemo(docker, spec.project);
  const parts = new Set(spec.parts ?? ['api', 'queue']);
  const created = [
    ...(parts.has('api') ? [await createApi(docker, spec, names, optIn)] : []),
    ...(parts.has('queue') ? await createQueue(docker, spec, names, optIn) : []),
  ];
  for (const c of created) await c.start();
  return names;
}

function createApi(docker: Docker, spec: DemoSpec, names: DemoNames, optIn: string): Promise<Docker.Container> {
  if (!spec.apiPort) throw new Error('demo api: apiPort is required');
  return docker.createContainer({
    name: names.api,
    Image: DEMO_IMAGE,
    Cmd: ['sh', '/app/api.sh'],
    Env: [`PORT=${spec.apiPort}`, `CONTAINER_NAME=${names.api}`],
    Labels: { ...compose(spec.project, 'api'), [optIn]: 'true' },
    Healthcheck: {
      Test: ['CMD-SHELL', 'wget -q -O /dev/null "http://127.0.0.1:$PORT/healthz"'],
      Interval: (spec.healthIntervalMs ?? 2000) * 1e6,
      Timeout: 2e9,
      Retries: 3,
    },
    // Init: SIGTERM reaches the shell at once, so a restart takes milliseconds, not 10 s.
    HostConfig: { Init: true, NetworkMode: 'host', Tmpfs: { '/run/demo': 'size=1m' } },
  });
}

async function createQueue(
  docker: Docker,
  spec: DemoSpec,
  names: DemoNames,
  optIn: string,
): Promise<Docker.Container[]> {
  if (!spec.queuePort || !spec.queueDir) throw new Error('demo queue: queuePort and queueDir are required');
  const queueEnv = [`QUEUE_DIR=/queue`, `CONSUMER_SERVICE=${names.workerService}`];
  const broker = await docker.createContainer({
    name: names.broker,
    Image: DEMO_IMAGE,
    Cmd: ['sh', '/app/queue.sh'],
    Env: [...queueEnv, `PORT=${spec.queuePort}`],
    // The broker holds the queue: never remediated (and never pruned when stopped).
    Labels: { ...compose(spec.project, 'queue'), [optIn]: 'false' },
    HostConfig: { Init: true, NetworkMode: 'host', Binds: [`${spec.queueDir}:/queue`] },
  });
  const worker = await docker.createContainer({
    name: names.worker,
    Image: DEMO_IMAGE,
    Cmd: ['sh', '/app/consumer.sh'],
    Env: queueEnv,
    Labels: { ...compose(spec.project, names.workerService), [optIn]: 'true' },
    HostConfig: { Init: true, NetworkMode: 'none', Binds: [`${spec.queueDir}:/queue`] },
  });
  return [broker, worker];
}

/** Run a command in a container; resolves with its exit code and output. */
export async function execIn(
  docker: Docker,
  container: string,
  cmd: string[],
  timeoutMs = 15_000,
): Promise<{ exitCode: number; output: string }> {
  const exec = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  let output = '';
  const sink = { write: (c: Buffer) => ((output += c.toString()), true) } as unknown as NodeJS.WritableStream;
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => (stream.destroy(), reject(new Error(`${cmd.join(' ')} in ${container}: no exit after ${timeoutMs} ms`))),
      timeoutMs,
    );
    stream.on('end', () => (clearTimeout(timer), resolve()));
    stream.on('error', (err) => (clearTimeout(timer), reject(err)));
  });
  let info = await exec.inspect();
  for (let i = 0; info.Running && i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20));
    info = await exec.inspect();
  }
  return { exitCode: info.ExitCode ?? -1, output };
}

/** The logs of a container without a TTY: frames of [stream, 0, 0, 0, size (BE32)] + payload. */
function demux(buf: Buffer): string {
  let out = '';
  for (let i = 0; i + 8 <= buf.length;) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return out;
}

async function fault(docker: Docker, container: string, args: string[]): Promise<void> {
  const r = await execIn(docker, container, ['sh', '/app/fault.sh', ...args]);
  if (r.exitCode !== 0)
    throw new Error(`fault.sh ${args.join(' ')} in ${container} failed (${r.exitCode}): ${r.output.trim()}`);
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
