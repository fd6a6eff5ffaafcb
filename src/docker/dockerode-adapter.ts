import Docker from 'dockerode';
import { PermanentError, TargetNotFoundError, TransientError } from '../errors.js';
import { cloneOptions, toInfo } from './container-config.js';
import { call as callAt, dockerMessage, mapDockerError, type DockerodeError } from './dockerode-errors.js';
import { dockerOptions, type DockerConnection } from './engine-connection.js';
import { supervisedExec } from './exec.js';
import { swarmMethods } from './dockerode-swarm.js';
import { demuxLogs, statsOf, tailText, type RawStats } from './evidence.js';
import type {
  ContainerInfo,
  ContainerQuery,
  ContainerSummary,
  CreateFromOptions,
  DockerPort,
  ExecOptions,
  ExecResult,
  PruneOptions,
  PruneReport,
  ReplicaOptions,
  ResourceUpdate,
} from './port.js';

export {
  dockerOptions,
  mapDockerError,
  type DockerConnection,
  type EngineRef,
  type SshOptions,
  type TlsFiles,
} from './engine-connection.js';

/** Docker answers some repeats with an error; for remediator they are the state it wanted. */
function unlessAlready(pattern: RegExp) {
  return (err: DockerodeError) => {
    if (!pattern.test(dockerMessage(err))) throw err;
  };
}

/** The update body Docker wants, with only the fields that change. */
function updateBody(c: ResourceUpdate): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const fields = [
    ['nanoCpus', 'NanoCpus'],
    ['cpuShares', 'CpuShares'],
    ['cpuQuota', 'CpuQuota'],
    ['cpuPeriod', 'CpuPeriod'],
    ['memory', 'Memory'],
    ['memorySwap', 'MemorySwap'],
    ['memoryReservation', 'MemoryReservation'],
    ['pidsLimit', 'PidsLimit'],
  ] as const;
  for (const [ours, theirs] of fields) if (c[ours] !== undefined) body[theirs] = c[ours];
  if (c.restartPolicy) {
    body.RestartPolicy = { Name: c.restartPolicy.name, MaximumRetryCount: c.restartPolicy.maximumRetryCount };
  }
  return body;
}

export function createDockerodeAdapter(conn: DockerConnection): DockerPort & { raw: Docker } {
  // Errors name the engine (a hosts-file host) and tell an unreachable or TLS-refused engine apart.
  const where = conn.name !== undefined ? { name: conn.name, engine: conn.dockerHost } : undefined;
  const call = <T>(what: string, fn: () => Promise<T>) => callAt(what, fn, where);
  const docker = new Docker(dockerOptions(conn));

  const rawInspect = (id: string) => call(`inspect ${id}`, () => docker.getContainer(id).inspect());
  const inspect = async (id: string) => toInfo(await rawInspect(id));

  /** One list call, no inspect: enough to know what a target resolves to (names, labels, state). */
  async function listContainers(query: ContainerQuery): Promise<ContainerSummary[]> {
    const filters: Record<string, string[]> = {};
    const esc = (n: string) => n.replace(/[.]/g, '\\.');
    if (query.name !== undefined) filters.name = [`^/${esc(query.name)}$`];
    else if (query.namePrefix !== undefined) filters.name = [`^/${esc(query.namePrefix)}`];
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

  /** An image's config, or undefined when it is no longer on the engine. */
  async function imageConfig(ref: string): Promise<Record<string, unknown> | undefined> {
    try {
      return (await docker.getImage(ref).inspect()).Config as unknown as Record<string, unknown>;
    } catch (err) {
      if ((err as DockerodeError).statusCode === 404) return undefined;
      throw mapDockerError(err, `inspect image ${ref}`);
    }
  }

  const connectNetwork: DockerPort['connectNetwork'] = (id, network, o) =>
    call(`connect ${id} to network ${network}`, async () => {
      const endpoint = { Aliases: o.aliases, ...(o.ipv4Address ? { IPAMConfig: { IPv4Address: o.ipv4Address } } : {}) };
      await docker
        .getNetwork(network)
        .connect({ Container: id, EndpointConfig: endpoint })
        .catch(unlessAlready(/already exists in network/));
    });

  /** Create (not start) a container like the source; networks beyond the first are connected after. */
  async function clone(sourceId: string, o: CreateFromOptions & { dropPortBindings?: boolean }): Promise<string> {
    const src = await rawInspect(sourceId);
    const oldImage = o.image !== undefined ? await imageConfig(src.Image) : undefined;
    const { create, connectAfter } = cloneOptions(src, o, oldImage);
    const created = await call(`create ${o.name} from ${src.Name}`, () => docker.createContainer(create));
    try {
      for (const n of connectAfter) await connectNetwork(created.id, n.name, n);
    } catch (err) {
      // Half-built: never leave it holding the name.
      await created.remove({ force: true }).catch(() => undefined);
      throw err;
    }
    return created.id;
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
      // Host port bindings cannot be shared by two replicas; the replica serves via the network.
      const id = await clone(sourceId, { name: o.name, labels: o.labels, dropPortBindings: true });
      await call(`start replica ${o.name}`, () => docker.getContainer(id).start());
      return inspect(id);
    },

    createFrom: async (sourceId, o) => inspect(await clone(sourceId, o)),

    remove: (id) => call(`remove ${id}`, async () => void (await docker.getContainer(id).remove({ force: true }))),

    update: (id, changes) =>
      call(`update ${id}`, async () => void (await docker.getContainer(id).update(updateBody(changes)))),
    rename: (id, name) =>
      call(`rename ${id} to ${name}`, async () => void (await docker.getContainer(id).rename({ name }))),
    pause: (id) =>
      call(`pause ${id}`, async () => {
        await docker
          .getContainer(id)
          .pause()
          .catch(unlessAlready(/is already paused/));
      }),
    unpause: (id) =>
      call(`unpause ${id}`, async () => {
        await docker
          .getContainer(id)
          .unpause()
          .catch(unlessAlready(/is not paused/));
      }),

    connectNetwork,
    disconnectNetwork: (id, network, force) =>
      call(`disconnect ${id} from network ${network}`, async () => {
        await docker
          .getNetwork(network)
          .disconnect({ Container: id, Force: force })
          .catch(unlessAlready(/is not connected to/));
      }),
    async findNetworks(labels) {
      const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
      const list = await call('list networks', () => docker.listNetworks({ filters: { label } }));
      return list.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} }));
    },

    async logs(id, o) {
      const info = await rawInspect(id);
      const body = await call(`logs of ${id}`, () =>
        docker.getContainer(id).logs({ stdout: true, stderr: true, follow: false, tail: o.tailLines }),
      );
      return tailText(demuxLogs(body as unknown as Buffer, info.Config.Tty), o.tailLines, o.maxBytes);
    },
    stats: (id) =>
      call(`stats of ${id}`, async () => statsOf((await docker.getContainer(id).stats({ stream: false })) as RawStats)),
    top: (id) =>
      call(`top of ${id}`, async () => {
        const r = (await docker.getContainer(id).top()) as { Titles?: string[]; Processes?: string[][] };
        return { titles: r.Titles ?? [], processes: r.Processes ?? [] };
      }),

    inspectImage: (ref) =>
      call(`inspect image ${ref}`, async () => {
        const i = await docker.getImage(ref).inspect();
        return { id: i.Id, tags: i.RepoTags ?? [] };
      }),
    engineInfo: () =>
      call('engine info', async () => {
        const i = (await docker.info()) as { NCPU?: number; MemTotal?: number };
        return { cpus: i.NCPU ?? 1, memoryBytes: i.MemTotal ?? 0 };
      }),

    ...swarmMethods(docker),

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
