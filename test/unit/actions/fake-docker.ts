import pino from 'pino';
import type { ActionContext, JobMemo, ServiceRef, SwarmServiceRef } from '../../../src/actions/types.js';
import type {
  ContainerInfo,
  ContainerQuery,
  ContainerSummary,
  DockerPort,
  ExecOptions,
  ExecResult,
  PruneOptions,
  PruneReport,
  ReplicaOptions,
} from '../../../src/docker/port.js';

/**
 * An in-memory Docker Engine behind the DockerPort, recording every call, so the actions'
 * decisions (what they call, what they skip) can be checked without a daemon.
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
]);

let seq = 0;

/** A container as the port reports it; running and opted in unless said otherwise. */
export function container(name: string, over: Partial<ContainerInfo> = {}): ContainerInfo {
  const running = over.running ?? true;
  return {
    id: `id-${name}`,
    name,
    image: 'example/app:1',
    state: running ? 'running' : 'exited',
    health: 'none',
    startedAt: '2026-11-27T10:00:00.000000000Z',
    restartCount: 0,
    ...over,
    running,
    labels: { 'remediator.enable': 'true', ...over.labels },
  };
}

export class FakeDocker implements DockerPort {
  readonly calls: Call[] = [];
  readonly containers = new Map<string, ContainerInfo>();
  readonly services = new Map<string, SwarmServiceRef>();
  /** What exec answers, per container id (default: exit 0, no output). */
  readonly execResults = new Map<string, ExecResult>();
  pruneReport: PruneReport = {
    containersDeleted: [],
    imagesDeleted: 0,
    buildCacheDeleted: 0,
    networksDeleted: [],
    volumesDeleted: [],
    bytesReclaimed: 0,
  };

  constructor(initial: ContainerInfo[] = []) {
    for (const c of initial) this.containers.set(c.id, structuredClone(c));
  }

  /** Calls of one method, in order. */
  callsTo(method: keyof DockerPort): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  mutatingCalls(): Call[] {
    return this.calls.filter((c) => MUTATING.has(c.method));
  }

  private record(method: keyof DockerPort, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  private get(id: string): ContainerInfo {
    const c = this.containers.get(id);
    if (!c) throw new Error(`fake docker: no container ${id}`);
    return c;
  }

  private setRunning(c: ContainerInfo, running: boolean): void {
    c.running = running;
    c.state = running ? 'running' : 'exited';
    if (running) c.startedAt = `2026-11-27T12:00:${String(++seq % 60).padStart(2, '0')}.000000000Z`;
  }

  async ping(): Promise<void> {
    this.record('ping');
  }

  private matching(query: ContainerQuery): ContainerInfo[] {
    return [...this.containers.values()]
      .filter((c) => query.name === undefined || c.name === query.name)
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

  async findService(name: string): Promise<SwarmServiceRef | undefined> {
    this.record('findService', name);
    return this.services.get(name);
  }

  async inspect(id: string): Promise<ContainerInfo> {
    this.record('inspect', id);
    return structuredClone(this.get(id));
  }

  async restart(id: string, timeoutSeconds: number): Promise<void> {
    this.record('restart', id, timeoutSeconds);
    const c = this.get(id);
    this.setRunning(c, true);
    c.restartCount++;
  }

  async start(id: string): Promise<void> {
    this.record('start', id);
    this.setRunning(this.get(id), true);
  }

  async stop(id: string, timeoutSeconds: number): Promise<void> {
    this.record('stop', id, timeoutSeconds);
    this.setRunning(this.get(id), false);
  }

  async kill(id: string, signal: string): Promise<void> {
    this.record('kill', id, signal);
    this.setRunning(this.get(id), false);
  }

  async exec(id: string, options: ExecOptions): Promise<ExecResult> {
    this.record('exec', id, options);
    this.get(id);
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
    return structuredClone(replica);
  }

  async remove(id: string): Promise<void> {
    this.record('remove', id);
    this.get(id);
    this.containers.delete(id);
  }

  async prune(options: PruneOptions): Promise<PruneReport> {
    this.record('prune', options);
    return structuredClone(this.pruneReport);
  }
}

/** JobMemo kept in a Map; `entries` lets a test see or seed what an earlier attempt wrote. */
export class MemoryMemo implements JobMemo {
  readonly entries = new Map<string, string>();
  async get(key: string): Promise<string | undefined> {
    return this.entries.get(key);
  }
  async set(key: string, value: string): Promise<void> {
    this.entries.set(key, value);
  }
}

export interface ContextOptions {
  targets?: ContainerInfo[];
  dryRun?: boolean;
  memo?: MemoryMemo;
  service?: ServiceRef;
  optInLabel?: string;
  jobId?: string;
  attempt?: number;
  episode?: MemoryMemo;
}

/** An ActionContext around a FakeDocker. */
export function actionContext(docker: FakeDocker, o: ContextOptions = {}): ActionContext & { memo: MemoryMemo } {
  return {
    docker,
    log: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    dryRun: o.dryRun ?? false,
    memo: o.memo ?? new MemoryMemo(),
    jobId: o.jobId ?? 'job-1',
    attempt: o.attempt ?? 0,
    targets: o.targets ?? [],
    service: o.service,
    optInLabel: o.optInLabel ?? 'remediator.enable',
    episode: o.episode ?? new MemoryMemo(),
    hostState: new MemoryMemo(),
    host: 'local',
    swarm: undefined,
    verify: undefined,
  };
}
