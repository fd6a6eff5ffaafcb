import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { TargetNotFoundError, TransientError } from '../errors.js';
import { dockerOptions, mapDockerError, type DockerConnection, type DockerodeError } from './engine-connection.js';
export {
  dockerOptions,
  mapDockerError,
  type DockerConnection,
  type EngineRef,
  type SshOptions,
  type TlsFiles,
} from './engine-connection.js';

import type {
  ContainerInfo,
  ContainerQuery,
  DockerPort,
  ExecOptions,
  ExecResult,
  HealthStatus,
  PruneOptions,
  PruneReport,
  ReplicaOptions,
} from './port.js';

function healthOf(state: Docker.ContainerInspectInfo['State']): HealthStatus {
  const status = (state as { Health?: { Status?: string } }).Health?.Status;
  return status === 'healthy' || status === 'unhealthy' || status === 'starting' ? status : 'none';
}

function toInfo(i: Docker.ContainerInspectInfo): ContainerInfo {
  return {
    id: i.Id,
    name: i.Name.replace(/^\//, ''),
    image: i.Config.Image,
    labels: i.Config.Labels ?? {},
    state: i.State.Status,
    running: i.State.Running,
    health: healthOf(i.State),
    startedAt: i.State.StartedAt,
    restartCount: i.RestartCount ?? 0,
  };
}

/** Keeps only the last `max` bytes written to it: exec output stays bounded in memory and in Redis. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 0) {
      const head = this.chunks[0]!;
      const excess = this.size - this.max;
      this.truncated = true;
      if (head.length <= excess) {
        this.chunks.shift();
        this.size -= head.length;
      } else {
        this.chunks[0] = head.subarray(excess);
        this.size -= excess;
      }
    }
  }
  toString(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export function createDockerodeAdapter(conn: DockerConnection): DockerPort & { raw: Docker } {
  const docker = new Docker(dockerOptions(conn));
  const where = conn.name !== undefined ? { name: conn.name, engine: conn.dockerHost } : undefined;

  async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw mapDockerError(err, what, where);
    }
  }

  const inspect = (id: string) => call(`inspect ${id}`, async () => toInfo(await docker.getContainer(id).inspect()));

  return {
    raw: docker,

    ping: () => call('ping Docker', async () => void (await docker.ping())),

    async findContainers(query: ContainerQuery) {
      const filters: Record<string, string[]> = {};
      if (query.name !== undefined) filters.name = [`^/${query.name.replace(/[.]/g, '\\.')}$`];
      if (query.labels) filters.label = Object.entries(query.labels).map(([k, v]) => `${k}=${v}`);
      const list = await call('list containers', () => docker.listContainers({ all: query.all ?? true, filters }));
      const infos = await Promise.all(
        list.map((c) =>
          inspect(c.Id).catch((err) => (err instanceof TargetNotFoundError ? undefined : Promise.reject(err))),
        ),
      );
      return infos.filter((c): c is ContainerInfo => c !== undefined).sort((a, b) => a.name.localeCompare(b.name));
    },

    inspect,

    restart: (id, t) => call(`restart ${id}`, async () => void (await docker.getContainer(id).restart({ t }))),
    start: (id) =>
      call(`start ${id}`, async () => {
        await docker
          .getContainer(id)
          .start()
          .catch((err: DockerodeError) => {
            if (err.statusCode !== 304) throw err; // 304: already started
          });
      }),
    stop: (id, t) =>
      call(`stop ${id}`, async () => {
        await docker
          .getContainer(id)
          .stop({ t })
          .catch((err: DockerodeError) => {
            if (err.statusCode !== 304) throw err; // 304: already stopped
          });
      }),
    kill: (id, signal) => call(`kill ${id}`, async () => void (await docker.getContainer(id).kill({ signal }))),

    async exec(id: string, o: ExecOptions): Promise<ExecResult> {
      const container = docker.getContainer(id);
      const exec = await call(`exec in ${id}`, () =>
        container.exec({
          Cmd: o.cmd,
          AttachStdout: true,
          AttachStderr: true,
          User: o.user,
          WorkingDir: o.workdir,
          Env: o.env,
        }),
      );
      const stream = await call(`exec in ${id}`, () => exec.start({ hijack: true, stdin: false }));
      const out = new TailBuffer(o.maxOutputBytes);
      const err = new TailBuffer(o.maxOutputBytes);
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      stdout.on('data', (c: Buffer) => out.push(c));
      stderr.on('data', (c: Buffer) => err.push(c));
      docker.modem.demuxStream(stream, stdout, stderr);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          stream.destroy();
          reject(new TransientError(`exec in ${id}: no exit after ${o.timeoutMs} ms (${o.cmd.join(' ')})`));
        }, o.timeoutMs);
        const onAbort = () => {
          clearTimeout(timer);
          stream.destroy();
          reject(new TransientError(`exec in ${id}: aborted`));
        };
        o.signal?.addEventListener('abort', onAbort, { once: true });
        stream.on('end', () => {
          clearTimeout(timer);
          o.signal?.removeEventListener('abort', onAbort);
          resolve();
        });
        stream.on('error', (e) => {
          clearTimeout(timer);
          reject(mapDockerError(e, `exec in ${id}`));
        });
      });
      // The stream can end a moment before the engine records the exit code.
      let info = await call(`exec inspect in ${id}`, () => exec.inspect());
      for (let i = 0; info.Running && i < 50; i++) {
        await new Promise((r) => setTimeout(r, 20));
        info = await call(`exec inspect in ${id}`, () => exec.inspect());
      }
      return {
        exitCode: info.ExitCode ?? -1,
        stdout: out.toString(),
        stderr: err.toString(),
        truncated: out.truncated || err.truncated,
      };
    },

    async createReplica(sourceId: string, o: ReplicaOptions): Promise<ContainerInfo> {
      const src = await call(`inspect ${sourceId}`, () => docker.getContainer(sourceId).inspect());
      // Host port bindings cannot be shared by two replicas; the replica serves via the network.
      const { PortBindings: _ports, ...hostConfig } = src.HostConfig as Docker.HostConfig & { PortBindings?: unknown };
      const networks = src.NetworkSettings?.Networks ?? {};
      const mode = hostConfig.NetworkMode ?? 'default';
      const endpoints: Record<string, Docker.EndpointSettings> = {};
      if (!['none', 'host', 'default', 'bridge'].includes(mode) && !mode.startsWith('container:')) {
        for (const [net, ep] of Object.entries(networks)) endpoints[net] = { Aliases: ep.Aliases ?? [] };
      }
      const created = await call(`create replica of ${src.Name}`, () =>
        docker.createContainer({
          name: o.name,
          Image: src.Config.Image,
          Cmd: src.Config.Cmd,
          Entrypoint: src.Config.Entrypoint,
          Env: src.Config.Env,
          WorkingDir: src.Config.WorkingDir,
          User: src.Config.User,
          Labels: { ...src.Config.Labels, ...o.labels },
          Healthcheck: (src.Config as { Healthcheck?: Docker.HealthConfig }).Healthcheck,
          StopSignal: (src.Config as { StopSignal?: string }).StopSignal,
          HostConfig: hostConfig,
          NetworkingConfig: Object.keys(endpoints).length > 0 ? { EndpointsConfig: endpoints } : undefined,
        }),
      );
      await call(`start replica ${o.name}`, () => created.start());
      return inspect(created.id);
    },

    remove: (id) => call(`remove ${id}`, async () => void (await docker.getContainer(id).remove({ force: true }))),

    async prune(o: PruneOptions): Promise<PruneReport> {
      const report: PruneReport = {
        containersDeleted: [],
        imagesDeleted: 0,
        buildCacheDeleted: 0,
        networksDeleted: [],
        volumesDeleted: [],
        bytesReclaimed: 0,
      };
      if (o.containersWithLabel !== undefined) {
        const r = await call('prune containers', () =>
          docker.pruneContainers({ filters: { label: [o.containersWithLabel!] } }),
        );
        report.containersDeleted = r.ContainersDeleted ?? [];
        report.bytesReclaimed += r.SpaceReclaimed ?? 0;
      }
      if (o.images) {
        const r = await call('prune images', () =>
          docker.pruneImages({ filters: { dangling: [o.images === 'dangling' ? 'true' : 'false'] } }),
        );
        report.imagesDeleted = (r.ImagesDeleted ?? []).length;
        report.bytesReclaimed += r.SpaceReclaimed ?? 0;
      }
      if (o.buildCache) {
        const r = await call('prune build cache', () => docker.pruneBuilder());
        report.buildCacheDeleted = ((r as { CachesDeleted?: string[] | null }).CachesDeleted ?? []).length;
        report.bytesReclaimed += r.SpaceReclaimed ?? 0;
      }
      if (o.networks) {
        const r = await call('prune networks', () => docker.pruneNetworks());
        report.networksDeleted = r.NetworksDeleted ?? [];
      }
      if (o.volumes) {
        const r = await call('prune volumes', () => docker.pruneVolumes());
        report.volumesDeleted = r.VolumesDeleted ?? [];
        report.bytesReclaimed += r.SpaceReclaimed ?? 0;
      }
      return report;
    },
  };
}
