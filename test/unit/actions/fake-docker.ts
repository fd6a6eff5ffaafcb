import type {
  ContainerInfo,
  ContainerQuery,
  ContainerSummary,
  CreateFromOptions,
  DockerPort,
  EngineInfo,
  ExecOptions,
  ExecResult,
  HealthStatus,
  ImageInfo,
  LogsOptions,
  LogsResult,
  NetworkInfo,
  PruneOptions,
  PruneReport,
  ReplicaOptions,
  ResourceUpdate,
  ServiceChange,
  StatsSnapshot,
  SwarmServiceInfo,
  TopResult,
} from '../../../src/docker/port.js';
import { TargetNotFoundError, TransientError } from '../../../src/errors.js';

export { MemoryMemo, actionContext, type ContextOptions } from './fake-context.js';

/**
 * An in-memory Docker Engine behind the DockerPort, recording every call, so the actions'
 * decisions (what they call, what they skip) can be checked without a daemon. It follows the
 * engine where an action's logic depends on it (0 means "unchanged" in an update, one name per
 * container, a stale service version is refused), and can "crash" the worker after the n-th
 * mutating call, to prove a rerun converges.
 */

export interface Call {
  method: keyof DockerPort;
  args: unknown[];
}

/** Calls that change the engine's state; a dry run must make none of them. */
export const MUTATING: ReadonlySet<keyof DockerPort> = new Set<keyof DockerPort>([
  'restart',
  'start',
  'stop',
  'kill',
  'exec',
  'createReplica',
  'remove',
  'prune',
  'update',
  'rename',
  'createFrom',
  'pause',
  'unpause',
  'connectNetwork',
  'disconnectNetwork',
  'updateService',
]);

/** What the fake throws when a test asked it to die after a call (the worker's process ends there). */
export class CrashError extends Error {
  constructor(after: string) {
    super(`worker crashed after ${after}`);
    this.name = 'CrashError';
  }
}

let seq = 0;

/** A container as the port reports it; running and opted in unless said otherwise. */
export function container(name: string, over: Partial<ContainerInfo> = {}): ContainerInfo {
  const running = over.running ?? true;
  const image = over.image ?? 'example/app:1';
  return {
    id: `id-${name}`,
    name,
    image,
    imageId: `sha256:${image}`,
    state: running ? 'running' : 'exited',
    paused: false,
    health: 'none',
    startedAt: '2026-11-27T10:00:00.000000000Z',
    restartCount: 0,
    exitCode: 0,
    oomKilled: false,
    networkMode: 'none',
    networks: [],
    healthLog: [],
    autoRemove: false,
    ...over,
    limits: {
      nanoCpus: 0,
      cpuShares: 0,
      cpuQuota: 0,
      cpuPeriod: 0,
      memory: 0,
      memorySwap: 0,
      memoryReservation: 0,
      pidsLimit: 0,
      restartPolicy: { name: 'no', maximumRetryCount: 0 },
      ...over.limits,
    },
    running,
    labels: { 'remediator.enable': 'true', ...over.labels },
  };
}

/** A replicated Swarm service at version 10. */
export function swarmService(name: string, over: Partial<SwarmServiceInfo> = {}): SwarmServiceInfo {
  return {
    id: `svc-${name}`,
    name,
    version: 10,
    labels: {},
    image: 'example/app:2',
    replicas: 2,
    forceUpdate: 0,
    previousImage: 'example/app:1',
    updateState: 'completed',
    ...over,
  };
}

export class FakeDocker implements DockerPort {
  readonly calls: Call[] = [];
  readonly containers = new Map<string, ContainerInfo>();
  readonly services = new Map<string, SwarmServiceInfo>();
  readonly networks: NetworkInfo[] = [];
  /** Images on the engine, by tag and by id; containers' images are there from the start. */
  readonly images = new Map<string, ImageInfo>();
  /** What exec answers, per container id (default: exit 0, no output). */
  readonly execResults = new Map<string, ExecResult>();
  readonly logResults = new Map<string, LogsResult>();
  /** Methods that throw this error on every call (a part of `collect` failing...). */
  readonly failures = new Map<keyof DockerPort, Error>();
  /** The health a container of this image reports once started (default: healthy if it has a check). */
  readonly healthOnStart = new Map<string, HealthStatus>();
  /** Containers of these images exit (code 1) right after their first inspect once started. */
  readonly diesAfterStart = new Set<string>();
  /** Throw a CrashError right after the n-th mutating call from now (it did happen). */
  crashAfterMutations: number | undefined;
  /** After a crash every call fails (the process is gone) until revive(): a catch cannot clean up. */
  dead = false;
  pruneReport: PruneReport = {
    containersDeleted: [],
    imagesDeleted: 0,
    buildCacheDeleted: 0,
    networksDeleted: [],
    volumesDeleted: [],
    bytesReclaimed: 0,
  };

  constructor(initial: ContainerInfo[] = [], services: SwarmServiceInfo[] = []) {
    for (const c of initial) {
      this.containers.set(c.id, structuredClone(c));
      this.addImage(c.image, c.imageId);
    }
    for (const s of services) this.services.set(s.id, structuredClone(s));
  }

  addImage(tag: string, id = `sha256:${tag}`): void {
    const info = this.images.get(id) ?? { id, tags: [] };
    if (!tag.startsWith('sha256:') && !info.tags.includes(tag)) info.tags.push(tag);
    this.images.set(id, info);
    this.images.set(tag, info);
  }

  /** Calls of one method, in order. */
  callsTo(method: keyof DockerPort): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  mutatingCalls(): Call[] {
    return this.calls.filter((c) => MUTATING.has(c.method));
  }

  byName(name: string): ContainerInfo | undefined {
    return [...this.containers.values()].find((c) => c.name === name);
  }

  /** The worker process comes back: calls work again (the rerun). */
  revive(): void {
    this.dead = false;
  }

  private record(method: keyof DockerPort, ...args: unknown[]): void {
    if (this.dead) throw new CrashError(`${method} (the worker is dead)`);
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    if (failure) throw failure;
  }

  /** After a mutating call took effect: the worker may "die" here. */
  private done(method: keyof DockerPort): void {
    if (this.crashAfterMutations === undefined) return;
    this.crashAfterMutations--;
    if (this.crashAfterMutations <= 0) {
      this.crashAfterMutations = undefined;
      this.dead = true;
      throw new CrashError(method);
    }
  }

  private get(id: string): ContainerInfo {
    const c = this.containers.get(id) ?? [...this.containers.values()].find((x) => x.name === id);
    if (!c) throw new TargetNotFoundError(`fake docker: no container ${id}`);
    return c;
  }

  private setRunning(c: ContainerInfo, running: boolean): void {
    c.running = running;
    c.paused = false;
    c.state = running ? 'running' : 'exited';
    if (!running) return;
    c.startedAt = `2026-11-27T12:00:${String(++seq % 60).padStart(2, '0')}.000000000Z`;
    const health = this.healthOnStart.get(c.image);
    if (health !== undefined) c.health = health;
    else if (c.health !== 'none') c.health = 'healthy';
  }

  async ping(): Promise<void> {
    this.record('ping');
  }

  private matching(query: ContainerQuery): ContainerInfo[] {
    return [...this.containers.values()]
      .filter((c) => query.name === undefined || c.name === query.name)
      .filter((c) => query.namePrefix === undefined || c.name.startsWith(query.namePrefix))
      .filter((c) => Object.entries(query.labels ?? {}).every(([k, v]) => c.labels[k] === v))
      .filter((c) => (query.labelKeys ?? []).every((k) => c.labels[k] !== undefined))
      .filter((c) => query.all !== false || c.running)
      .map((c) => structuredClone(c));
  }

  async listContainers(query: ContainerQuery): Promise<ContainerSummary[]> {
    this.record('listContainers', query);
    return this.matching(query).map(({ id, name, image, labels, state, running }) => ({
      id,
      name,
      image,
      labels,
      state,
      running,
    }));
  }

  async findContainers(query: ContainerQuery): Promise<ContainerInfo[]> {
    this.record('findContainers', query);
    return this.matching(query);
  }

  async inspect(id: string): Promise<ContainerInfo> {
    this.record('inspect', id);
    const c = this.get(id);
    const seen = structuredClone(c);
    if (c.running && this.diesAfterStart.has(c.image))
      Object.assign(c, { running: false, state: 'exited', exitCode: 1 });
    return seen;
  }

  async restart(id: string, timeoutSeconds: number): Promise<void> {
    this.record('restart', id, timeoutSeconds);
    const c = this.get(id);
    this.setRunning(c, true);
    c.restartCount++;
    this.done('restart');
  }

  async start(id: string): Promise<void> {
    this.record('start', id);
    this.setRunning(this.get(id), true);
    this.done('start');
  }

  async stop(id: string, timeoutSeconds: number): Promise<void> {
    this.record('stop', id, timeoutSeconds);
    this.setRunning(this.get(id), false);
    this.done('stop');
  }

  async kill(id: string, signal: string): Promise<void> {
    this.record('kill', id, signal);
    this.setRunning(this.get(id), false);
    this.done('kill');
  }

  async exec(id: string, options: ExecOptions): Promise<ExecResult> {
    this.record('exec', id, options);
    this.get(id);
    this.done('exec');
    return this.execResults.get(id) ?? { exitCode: 0, stdout: '', stderr: '', truncated: false };
  }

  async createReplica(sourceId: string, options: ReplicaOptions): Promise<ContainerInfo> {
    this.record('createReplica', sourceId, options);
    const source = this.get(sourceId);
    const replica: ContainerInfo = {
      ...structuredClone(source),
      id: `id-${options.name}`,
      name: options.name,
      labels: { ...source.labels, ...options.labels },
      restartCount: 0,
    };
    this.setRunning(replica, true);
    this.containers.set(replica.id, replica);
    this.done('createReplica');
    return structuredClone(replica);
  }

  async createFrom(sourceId: string, o: CreateFromOptions): Promise<ContainerInfo> {
    this.record('createFrom', sourceId, o);
    const source = this.get(sourceId);
    if (this.byName(o.name)) throw new TransientError(`fake docker: name ${o.name} is already in use`);
    const image = o.image ?? source.image;
    const known = this.images.get(image);
    if (!known) throw new TargetNotFoundError(`fake docker: no such image ${image}`);
    const created: ContainerInfo = {
      ...structuredClone(source),
      id: `id-${o.name}-${++seq}`,
      name: o.name,
      image,
      imageId: known.id,
      labels: { ...source.labels, ...o.labels },
      restartCount: 0,
      healthLog: [],
      networks: source.networks.map((n) => ({ ...n, endpointId: `ep-${++seq}` })),
    };
    this.setRunning(created, false);
    created.state = 'created';
    this.containers.set(created.id, created);
    this.done('createFrom');
    return structuredClone(created);
  }

  async remove(id: string): Promise<void> {
    this.record('remove', id);
    this.containers.delete(this.get(id).id);
    this.done('remove');
  }

  async prune(options: PruneOptions): Promise<PruneReport> {
    this.record('prune', options);
    this.done('prune');
    return structuredClone(this.pruneReport);
  }

  async update(id: string, changes: ResourceUpdate): Promise<void> {
    this.record('update', id, changes);
    const l = this.get(id).limits;
    // As Docker: memory above the swap limit needs the swap changed with it.
    if (changes.memory !== undefined && changes.memory > l.memorySwap && changes.memorySwap === undefined)
      throw new TransientError('fake docker: Memory limit should be smaller than already set memoryswap limit');
    for (const [k, v] of Object.entries(changes) as [keyof ResourceUpdate, never][]) {
      // As Docker: 0 leaves a value as it was; a pids limit of -1 reads back as 0.
      if (v === 0 && k !== 'pidsLimit') continue;
      (l as unknown as Record<string, unknown>)[k] = k === 'pidsLimit' && (v as number) < 0 ? 0 : v;
    }
    this.done('update');
  }

  async rename(id: string, name: string): Promise<void> {
    this.record('rename', id, name);
    const c = this.get(id);
    if (c.name === name) throw new TransientError('fake docker: renaming to the same name');
    if (this.byName(name)) throw new TransientError(`fake docker: name ${name} is already in use`);
    c.name = name;
    this.done('rename');
  }

  async pause(id: string): Promise<void> {
    this.record('pause', id);
    const c = this.get(id);
    c.paused = true;
    c.state = 'paused';
    this.done('pause');
  }

  async unpause(id: string): Promise<void> {
    this.record('unpause', id);
    const c = this.get(id);
    c.paused = false;
    c.state = c.running ? 'running' : 'exited';
    this.done('unpause');
  }

  async connectNetwork(id: string, network: string, o: { aliases: string[]; ipv4Address?: string }): Promise<void> {
    this.record('connectNetwork', id, network, o);
    const c = this.get(id);
    if (!c.networks.some((n) => n.name === network)) {
      c.networks.push({
        name: network,
        networkId: `net-${network}`,
        endpointId: `ep-${++seq}`,
        aliases: o.aliases,
        ipv4Address: o.ipv4Address,
      });
      c.networks.sort((a, b) => a.name.localeCompare(b.name));
    }
    this.done('connectNetwork');
  }

  async disconnectNetwork(id: string, network: string, force: boolean): Promise<void> {
    this.record('disconnectNetwork', id, network, force);
    const c = this.get(id);
    c.networks = c.networks.filter((n) => n.name !== network);
    this.done('disconnectNetwork');
  }

  async findNetworks(labels: Record<string, string>): Promise<NetworkInfo[]> {
    this.record('findNetworks', labels);
    return this.networks.filter((n) => Object.entries(labels).every(([k, v]) => n.labels[k] === v));
  }

  async logs(id: string, o: LogsOptions): Promise<LogsResult> {
    this.record('logs', id, o);
    this.get(id);
    return this.logResults.get(id) ?? { text: 'line 1\nline 2', lines: 2, truncated: false };
  }

  async stats(id: string): Promise<StatsSnapshot> {
    this.record('stats', id);
    this.get(id);
    return {
      cpuPercent: 42.5,
      onlineCpus: 2,
      memoryBytes: 1_048_576,
      memoryLimitBytes: 0,
      pids: 2,
      throttledPeriods: 0,
      periods: 0,
    };
  }

  async top(id: string): Promise<TopResult> {
    this.record('top', id);
    this.get(id);
    return { titles: ['PID', 'CMD'], processes: [['1', 'sleep 3600']] };
  }

  async inspectImage(ref: string): Promise<ImageInfo> {
    this.record('inspectImage', ref);
    const i = this.images.get(ref);
    if (!i) throw new TargetNotFoundError(`fake docker: no such image ${ref}`);
    return structuredClone(i);
  }

  async engineInfo(): Promise<EngineInfo> {
    this.record('engineInfo');
    return { cpus: 4, memoryBytes: 8 * 1024 ** 3 };
  }

  async findService(name: string): Promise<SwarmServiceInfo | undefined> {
    this.record('findService', name);
    const s = [...this.services.values()].find((x) => x.name === name);
    return s && structuredClone(s);
  }

  async inspectService(id: string): Promise<SwarmServiceInfo> {
    this.record('inspectService', id);
    const s = this.services.get(id);
    if (!s) throw new TargetNotFoundError(`fake docker: no service ${id}`);
    return structuredClone(s);
  }

  async updateService(id: string, version: number, change: ServiceChange): Promise<void> {
    this.record('updateService', id, version, change);
    const s = this.services.get(id);
    if (!s) throw new TargetNotFoundError(`fake docker: no service ${id}`);
    if (s.version !== version) throw new TransientError('fake docker: update out of sequence');
    if ('replicas' in change) s.replicas = change.replicas;
    if ('forceUpdate' in change) s.forceUpdate = change.forceUpdate;
    if ('rollback' in change) {
      if (s.previousImage === undefined) throw new TransientError('fake docker: service has no previous spec');
      [s.image, s.previousImage] = [s.previousImage, s.image];
      s.updateState = 'rollback_started';
    }
    s.version++;
    this.done('updateService');
  }
}
