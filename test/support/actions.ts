// Calling one action directly against a real Docker Engine: a real dockerode adapter, a
// hand-built ActionContext (memos in Maps, as the engine keeps them per job, episode and host),
// and images derived from the busybox test image without a registry.
import type Docker from 'dockerode';
import pino from 'pino';
import type { ActionContext, JobMemo } from '../../src/actions/types.js';
import { createDockerodeAdapter } from '../../src/docker/dockerode-adapter.js';
import type { ContainerInfo, DockerPort } from '../../src/docker/port.js';
import { TEST_IMAGE } from './docker.js';

export class MapMemo implements JobMemo {
  readonly entries = new Map<string, string>();
  async get(key: string): Promise<string | undefined> {
    return this.entries.get(key);
  }
  async set(key: string, value: string): Promise<void> {
    this.entries.set(key, value);
  }
}

export function realDocker(dockerHost: string): { port: DockerPort & { raw: Docker }; raw: Docker } {
  const port = createDockerodeAdapter({ dockerHost, timeoutMs: 60_000 });
  return { port, raw: port.raw };
}

export interface RealContextOptions {
  targets: ContainerInfo[];
  dryRun?: boolean;
  memo?: MapMemo;
  episode?: MapMemo;
  hostState?: MapMemo;
  attempt?: number;
  verify?: ActionContext['verify'];
  swarm?: ActionContext['swarm'];
}

export function realContext(
  docker: DockerPort,
  o: RealContextOptions,
): ActionContext & { memo: MapMemo; episode: MapMemo; hostState: MapMemo } {
  return {
    docker,
    log: pino({ level: process.env.REMEDIATOR_TEST_VERBOSE === '1' ? 'debug' : 'silent' }),
    signal: AbortSignal.timeout(120_000),
    dryRun: o.dryRun ?? false,
    memo: o.memo ?? new MapMemo(),
    episode: o.episode ?? new MapMemo(),
    hostState: o.hostState ?? new MapMemo(),
    jobId: 'job-it',
    host: 'local',
    attempt: o.attempt ?? 0,
    targets: o.targets,
    service: undefined,
    swarm: o.swarm,
    optInLabel: 'remediator.enable',
    verify: o.verify,
  };
}

/**
 * Another image from the busybox test image, by committing a container with a changed config
 * (no registry, no build): `config` replaces Cmd, Labels, Healthcheck... as a Dockerfile would.
 */
export async function deriveImage(docker: Docker, tag: string, config: Record<string, unknown>): Promise<string> {
  const i = tag.lastIndexOf(':');
  const c = await docker.createContainer({ Image: TEST_IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
  try {
    const r = (await c.commit({
      _query: { container: c.id, repo: tag.slice(0, i), tag: tag.slice(i + 1) },
      _body: config,
    })) as { Id: string };
    return r.Id;
  } finally {
    await c.remove({ force: true });
  }
}
