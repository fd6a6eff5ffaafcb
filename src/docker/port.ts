import type { SwarmServiceRef } from '../actions/types.js';

/**
 * The narrow port through which remediator talks to a Docker Engine. One implementation
 * (dockerode-adapter.ts); actions and guards see only this, so the policy logic is testable
 * and the engine call surface stays small and auditable.
 */

export type HealthStatus = 'healthy' | 'unhealthy' | 'starting' | 'none';

export interface ContainerInfo {
  id: string;
  /** Name without Docker's leading '/'. */
  name: string;
  image: string;
  labels: Record<string, string>;
  state: string;
  running: boolean;
  health: HealthStatus;
  startedAt: string;
  restartCount: number;
}

/** What a container list says without an inspect: enough to know what a target resolves to. */
export type ContainerSummary = Pick<ContainerInfo, 'id' | 'name' | 'image' | 'labels' | 'state' | 'running'>;

export interface ContainerQuery {
  /** Exact container name. */
  name?: string;
  /** Every label must be present with this value. */
  labels?: Record<string, string>;
  /** Every label must be present, whatever its value. */
  labelKeys?: string[];
  /** Include stopped containers (default true). */
  all?: boolean;
}

export interface ExecOptions {
  cmd: string[];
  user?: string;
  workdir?: string;
  env?: string[];
  timeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Output was longer than maxOutputBytes; the tail is kept. */
  truncated: boolean;
}

export interface PruneOptions {
  /** Stopped containers carrying this label (the opt-in label) are removed. */
  containersWithLabel?: string;
  images?: 'dangling' | 'unused' | false;
  buildCache?: boolean;
  networks?: boolean;
  volumes?: boolean;
}

export interface PruneReport {
  containersDeleted: string[];
  imagesDeleted: number;
  buildCacheDeleted: number;
  networksDeleted: string[];
  volumesDeleted: string[];
  bytesReclaimed: number;
}

export interface ReplicaOptions {
  name: string;
  /** Labels added to (or replacing those of) the source's. */
  labels: Record<string, string>;
}

export interface DockerPort {
  ping(): Promise<void>;
  /** Containers matching the query, from one list call (no inspect). */
  listContainers(query: ContainerQuery): Promise<ContainerSummary[]>;
  /** Containers matching the query, each inspected. */
  findContainers(query: ContainerQuery): Promise<ContainerInfo[]>;
  /** A Swarm service by name (needs a Swarm manager); undefined when there is none. */
  findService(name: string): Promise<SwarmServiceRef | undefined>;
  inspect(id: string): Promise<ContainerInfo>;
  restart(id: string, timeoutSeconds: number): Promise<void>;
  start(id: string): Promise<void>;
  stop(id: string, timeoutSeconds: number): Promise<void>;
  kill(id: string, signal: string): Promise<void>;
  exec(id: string, options: ExecOptions): Promise<ExecResult>;
  /** Create and start a new container with the source container's configuration. */
  createReplica(sourceId: string, options: ReplicaOptions): Promise<ContainerInfo>;
  remove(id: string): Promise<void>;
  prune(options: PruneOptions): Promise<PruneReport>;
}
