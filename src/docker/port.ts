/**
 * The narrow port through which remediator talks to a Docker Engine. One implementation
 * (dockerode-adapter.ts); actions and guards see only this, so the policy logic is testable
 * and the engine call surface stays small and auditable.
 */

export type HealthStatus = 'healthy' | 'unhealthy' | 'starting' | 'none';

/** One user-defined network a container is attached to, as `recreate` and `network` rebuild it. */
export interface NetworkAttachment {
  /** The network's name (the key of `NetworkSettings.Networks`). */
  name: string;
  networkId: string;
  /** Changes on every connect: tells a reconnect that already happened from one still to do. */
  endpointId: string;
  /** Aliases given by the user or Compose; Docker's own short-id alias is left out. */
  aliases: string[];
  /** A static IPv4 address asked for at creation (IPAMConfig), kept on reconnect. */
  ipv4Address?: string | undefined;
}

export type RestartPolicyName = 'no' | 'always' | 'unless-stopped' | 'on-failure';

export interface RestartPolicy {
  name: RestartPolicyName;
  maximumRetryCount: number;
}

/**
 * The live-updatable limits of a container (`POST /containers/{id}/update`), Docker's units:
 * NanoCpus in 1e-9 CPUs, quota and period in microseconds, memory in bytes. 0 means unset
 * (unlimited), as Docker reports it; -1 means explicitly unlimited where Docker allows it.
 */
export interface ResourceLimits {
  nanoCpus: number;
  cpuShares: number;
  cpuQuota: number;
  cpuPeriod: number;
  memory: number;
  memorySwap: number;
  memoryReservation: number;
  pidsLimit: number;
  restartPolicy: RestartPolicy;
}

/** One health probe Docker recorded (it keeps the last five). */
export interface HealthProbe {
  start: string;
  exitCode: number;
  /** The probe's output, cut to 512 characters. */
  output: string;
}

export interface ContainerInfo {
  id: string;
  /** Name without Docker's leading '/'. */
  name: string;
  /** The image as the container was created with it (`Config.Image`: a tag, or an id). */
  image: string;
  /** The image id it runs (`sha256:…`): what rollback goes back to when a tag moved. */
  imageId: string;
  labels: Record<string, string>;
  state: string;
  /** True while paused too (Docker's `State.Running`); `paused` tells the two apart. */
  running: boolean;
  paused: boolean;
  health: HealthStatus;
  startedAt: string;
  restartCount: number;
  exitCode: number;
  oomKilled: boolean;
  /** `HostConfig.NetworkMode`: none, host, default, bridge, container:<id>, or a network name. */
  networkMode: string;
  /** User-defined networks (not none/host/bridge), sorted by name. */
  networks: NetworkAttachment[];
  limits: ResourceLimits;
  /** `--rm`: Docker deletes it when it stops (a recreate could not keep it aside). */
  autoRemove: boolean;
  healthLog: HealthProbe[];
}

/** What a container list says without an inspect: enough to know what a target resolves to. */
export type ContainerSummary = Pick<ContainerInfo, 'id' | 'name' | 'image' | 'labels' | 'state' | 'running'>;

export interface ContainerQuery {
  /** Exact container name. */
  name?: string;
  /** Names starting with this (a recreate's aside container: `<name>-remediator-old-<id>`). */
  namePrefix?: string;
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

/** What a recreated container changes from its source's configuration. */
export interface CreateFromOptions {
  name: string;
  /** Another image (tag or id); its own defaults (Cmd, Env, healthcheck...) replace the old image's. */
  image?: string | undefined;
  /** Environment variables set (or replaced) on top of the source's. */
  env?: Record<string, string> | undefined;
  /** Labels added to (or replacing those of) the source's. */
  labels?: Record<string, string> | undefined;
}

/** A change of live limits; a field left out is not changed. */
export type ResourceUpdate = Partial<ResourceLimits>;

export interface LogsOptions {
  tailLines: number;
  maxBytes: number;
}

export interface LogsResult {
  /** stdout and stderr interleaved as Docker returned them, the tail kept. */
  text: string;
  lines: number;
  truncated: boolean;
}

/** One sample of `GET /containers/{id}/stats?stream=false` (Docker samples twice, ~1 s). */
export interface StatsSnapshot {
  /** Share of one CPU (100 = one full CPU), from Docker's two samples. */
  cpuPercent: number;
  onlineCpus: number;
  /** Usage without the page cache, as `docker stats` shows it. */
  memoryBytes: number;
  memoryLimitBytes: number;
  pids: number;
  /** CFS periods throttled out of those run (cpu_throttling evidence). */
  throttledPeriods: number;
  periods: number;
}

export interface TopResult {
  titles: string[];
  processes: string[][];
}

export interface ImageInfo {
  id: string;
  tags: string[];
}

export interface NetworkInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
}

export interface EngineInfo {
  cpus: number;
  memoryBytes: number;
}

/** A Swarm service as the actions need it: its spec's replicas, image and previous spec. */
export interface SwarmServiceInfo {
  id: string;
  name: string;
  /** Spec version, for ServiceUpdate's optimistic concurrency. */
  version: number;
  labels: Record<string, string>;
  image: string;
  /** Undefined for a global service. */
  replicas: number | undefined;
  /** `TaskTemplate.ForceUpdate`: bumping it redeploys every task (`update --force`). */
  forceUpdate: number;
  /** The image of `PreviousSpec`, what a rollback goes back to; undefined without one. */
  previousImage: string | undefined;
  /** `UpdateStatus.State` (updating, completed, rollback_started...), if any. */
  updateState: string | undefined;
}

/** One change to a Swarm service's spec, sent with the version it was read at. */
export type ServiceChange = { replicas: number } | { forceUpdate: number } | { rollback: 'previous' };

export interface DockerPort {
  ping(): Promise<void>;
  /** Containers matching the query, from one list call (no inspect). */
  listContainers(query: ContainerQuery): Promise<ContainerSummary[]>;
  /** Containers matching the query, each inspected. */
  findContainers(query: ContainerQuery): Promise<ContainerInfo[]>;
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

  /** Change live limits and the restart policy (`POST /containers/{id}/update`). */
  update(id: string, changes: ResourceUpdate): Promise<void>;
  rename(id: string, name: string): Promise<void>;
  /**
   * Create (not start) a container with the source's configuration (labels, env, mounts and
   * its anonymous volumes, networks with aliases, restart policy, healthcheck, ports...).
   */
  createFrom(sourceId: string, options: CreateFromOptions): Promise<ContainerInfo>;
  /** No-op when already paused. */
  pause(id: string): Promise<void>;
  /** No-op when not paused. */
  unpause(id: string): Promise<void>;
  connectNetwork(
    id: string,
    network: string,
    options: { aliases: string[]; ipv4Address?: string | undefined },
  ): Promise<void>;
  disconnectNetwork(id: string, network: string, force: boolean): Promise<void>;
  /** Networks carrying every label given (Compose's `com.docker.compose.project`...). */
  findNetworks(labels: Record<string, string>): Promise<NetworkInfo[]>;
  logs(id: string, options: LogsOptions): Promise<LogsResult>;
  stats(id: string): Promise<StatsSnapshot>;
  top(id: string): Promise<TopResult>;
  /** An image on this engine (no pull): TargetNotFoundError when absent. */
  inspectImage(ref: string): Promise<ImageInfo>;
  engineInfo(): Promise<EngineInfo>;
  /** A Swarm service by exact name, or undefined. */
  findService(name: string): Promise<SwarmServiceInfo | undefined>;
  inspectService(id: string): Promise<SwarmServiceInfo>;
  /** Update a service's spec as read at `version` (Docker refuses a stale version). */
  updateService(id: string, version: number, change: ServiceChange): Promise<void>;
}
