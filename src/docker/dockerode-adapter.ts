import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { SwarmServiceRef } from '../actions/types.js';
import { BadParamsError, PermanentError, TargetNotFoundError, TransientError } from '../errors.js';
import { supervisedExec } from './exec.js';
import type {
  ContainerInfo,
  ContainerQuery,
  ContainerSummary,
  DockerPort,
  ExecOptions,
  ExecResult,
  HealthStatus,
  PruneOptions,
  PruneReport,
  ReplicaOptions,
} from './port.js';

export interface DockerConnection {
  dockerHost: string;
  certPath?: string | undefined;
  tlsVerify?: boolean;
  /** Per-request timeout; a restart waits for the stop timeout, so keep it generous. */
  timeoutMs?: number;
}

/** Build dockerode's options from DOCKER_HOST the way the docker CLI reads it. */
export function dockerOptions(conn: DockerConnection): Docker.DockerOptions {
  const url = new URL(conn.dockerHost);
  const timeout = conn.timeoutMs ?? 120_000;
  if (url.protocol === 'unix:') return { socketPath: url.pathname, timeout };
  if (url.protocol === 'ssh:') {
    return { protocol: 'ssh', host: url.hostname, port: Number(url.port || 22), username: url.username, timeout };
  }
  const tls = conn.tlsVerify || conn.certPath !== undefined || url.protocol === 'https:';
  const options: Docker.DockerOptions = {
    protocol: tls ? 'https' : 'http',
    host: url.hostname,
    port: Number(url.port || (tls ? 2376 : 2375)),
    timeout,
  };
  if (conn.certPath) {
    options.ca = readFileSync(join(conn.certPath, 'ca.pem'));
    options.cert = readFileSync(join(conn.certPath, 'cert.pem'));
    options.key = readFileSync(join(conn.certPath, 'key.pem'));
  }
  return options;
}

interface DockerodeError {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | null;
  reason?: string;
  message?: string;
}

/** Decide at the throw site whether retrying can help. */
export function mapDockerError(err: unknown, what: string): Error {
  const e = (err ?? {}) as DockerodeError;
  const detail = e.json?.message ?? e.reason ?? e.message ?? String(err);
  if (e.statusCode === 404) return new TargetNotFoundError(`${what}: not found (${detail})`);
  if (e.statusCode === 400) return new BadParamsError(`${what}: rejected by Docker (${detail})`);
  return new TransientError(`${what}: ${detail}`, { cause: err });
}

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

export function createDockerodeAdapter(conn: DockerConnection): DockerPort & { raw: Docker } {
  const docker = new Docker(dockerOptions(conn));

  async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw mapDockerError(err, what);
    }
  }

  const inspect = (id: string) => call(`inspect ${id}`, async () => toInfo(await docker.getContainer(id).inspect()));

  async function listContainers(query: ContainerQuery): Promise<ContainerSummary[]> {
    const filters: Record<string, string[]> = {};
    if (query.name !== undefined) filters.name = [`^/${query.name.replace(/[.]/g, '\\.')}$`];
    const labels = [...Object.entries(query.labels ?? {}).map(([k, v]) => `${k}=${v}`), ...(query.labelKeys ?? [])];
    if (labels.length > 0) filters.label = labels;
    const list = await call('list containers', () => docker.listContainers({ all: query.all ?? true, filters }));
    return list
      .map((c) => ({
        id: c.Id,
        name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
        image: c.Image,
        labels: c.Labels ?? {},
        state: c.State,
        running: c.State === 'running',
      }))
      .filter((c) => query.name === undefined || c.name === query.name)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  return {
    raw: docker,

    ping: () => call('ping Docker', async () => void (await docker.ping())),

    listContainers,

    async findContainers(query: ContainerQuery) {
      const list = await listContainers(query);
      const infos = await Promise.all(
        list.map((c) =>
          inspect(c.id).catch((err) => (err instanceof TargetNotFoundError ? undefined : Promise.reject(err))),
        ),
      );
      return infos.filter((c): c is ContainerInfo => c !== undefined).sort((a, b) => a.name.localeCompare(b.name));
    },

    async findService(name: string): Promise<SwarmServiceRef | undefined> {
      const list = await call('list services', () => docker.listServices({ filters: { name: [name] } }));
      const svc = list.find((s) => s.Spec?.Name === name);
      if (!svc?.ID) return undefined;
      return { id: svc.ID, name, version: svc.Version?.Index ?? 0, labels: svc.Spec?.Labels ?? {} };
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

    exec: (id: string, o: ExecOptions): Promise<ExecResult> =>
      supervisedExec(docker.getContainer(id), o).catch((err: unknown) => {
        if (err instanceof TransientError || err instanceof PermanentError) throw err;
        throw mapDockerError(err, `exec in ${id}`);
      }),

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
