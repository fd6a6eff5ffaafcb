/**
 * Pure translations between Docker's inspect JSON and what remediator works with: the
 * ContainerInfo every action sees, and the create options of a container cloned from another
 * (a recreate, a rollback, a scale-out replica). Pure so the cloning rules are unit-tested.
 */
import type Docker from 'dockerode';
import type {
  ContainerInfo,
  CreateFromOptions,
  HealthStatus,
  NetworkAttachment,
  ResourceLimits,
  RestartPolicyName,
} from './port.js';

/** Network modes that are not a user-defined network one can connect to, disconnect or alias on. */
const SYSTEM_NETWORKS = new Set(['none', 'host', 'bridge', 'default']);

export const isUserNetwork = (name: string): boolean => !SYSTEM_NETWORKS.has(name) && !name.startsWith('container:');

type State = Docker.ContainerInspectInfo['State'] & {
  Health?: { Status?: string; Log?: { Start?: string; ExitCode?: number; Output?: string }[] };
};

function healthOf(state: State): HealthStatus {
  const status = state.Health?.Status;
  return status === 'healthy' || status === 'unhealthy' || status === 'starting' ? status : 'none';
}

function networksOf(i: Docker.ContainerInspectInfo): NetworkAttachment[] {
  const own = i.Id.slice(0, 12);
  return Object.entries(i.NetworkSettings?.Networks ?? {})
    .filter(([name]) => isUserNetwork(name))
    .map(([name, ep]) => {
      const ipam = (ep as { IPAMConfig?: { IPv4Address?: string } | null }).IPAMConfig;
      return {
        name,
        networkId: ep.NetworkID,
        endpointId: ep.EndpointID,
        // Docker adds the container's short id itself; copying it would alias the old container.
        aliases: ((ep.Aliases ?? []) as string[]).filter((a) => a !== own),
        ipv4Address: ipam?.IPv4Address || undefined,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function limitsOf(h: Docker.HostConfig): ResourceLimits {
  const policy = (h.RestartPolicy?.Name || 'no') as RestartPolicyName;
  return {
    nanoCpus: h.NanoCpus ?? 0,
    cpuShares: h.CpuShares ?? 0,
    cpuQuota: h.CpuQuota ?? 0,
    cpuPeriod: h.CpuPeriod ?? 0,
    memory: h.Memory ?? 0,
    memorySwap: h.MemorySwap ?? 0,
    memoryReservation: h.MemoryReservation ?? 0,
    pidsLimit: h.PidsLimit ?? 0,
    restartPolicy: { name: policy, maximumRetryCount: h.RestartPolicy?.MaximumRetryCount ?? 0 },
  };
}

export function toInfo(i: Docker.ContainerInspectInfo): ContainerInfo {
  const state = i.State as State;
  return {
    id: i.Id,
    name: i.Name.replace(/^\//, ''),
    image: i.Config.Image,
    imageId: i.Image,
    labels: i.Config.Labels ?? {},
    state: state.Status,
    running: state.Running,
    paused: state.Paused,
    health: healthOf(state),
    startedAt: state.StartedAt,
    restartCount: i.RestartCount ?? 0,
    exitCode: state.ExitCode ?? 0,
    oomKilled: state.OOMKilled ?? false,
    networkMode: i.HostConfig.NetworkMode ?? 'default',
    networks: networksOf(i),
    limits: limitsOf(i.HostConfig),
    autoRemove: i.HostConfig.AutoRemove ?? false,
    healthLog: (state.Health?.Log ?? []).slice(-5).map((p) => ({
      start: p.Start ?? '',
      exitCode: p.ExitCode ?? -1,
      output: (p.Output ?? '').slice(0, 512),
    })),
  };
}

/** `KEY=value` entries with `overrides` set on top (same order, new keys at the end). */
export function mergeEnv(env: string[], overrides: Record<string, string>): string[] {
  const keyOf = (e: string) => {
    const i = e.indexOf('=');
    return i > 0 ? e.slice(0, i) : e;
  };
  const left = new Map(Object.entries(overrides));
  const out = env.map((e) => {
    const k = keyOf(e);
    if (!left.has(k)) return e;
    const v = left.get(k)!;
    left.delete(k);
    return `${k}=${v}`;
  });
  for (const [k, v] of left) out.push(`${k}=${v}`);
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Config fields a container inherits from its image when nobody set them. */
const IMAGE_DEFAULTS = ['Cmd', 'Entrypoint', 'WorkingDir', 'User', 'Healthcheck', 'StopSignal'] as const;

type Config = Docker.ContainerInspectInfo['Config'] & Record<string, unknown>;
/** An image's `Config` (Cmd, Env, Labels...), the defaults its containers inherit. */
export type ImageDefaults = Record<string, unknown>;

/**
 * Config of the clone. With another image, what the old container only had from its old image
 * (Cmd, Env entries, labels, healthcheck...) is left out, so the new image's own defaults
 * apply: otherwise a rollback would keep running the new image's command on the old image.
 */
function configFor(
  src: Docker.ContainerInspectInfo,
  o: CreateFromOptions,
  oldImage: ImageDefaults | undefined,
): Record<string, unknown> {
  const config: Record<string, unknown> = { ...(src.Config as Config) };
  const image = o.image ?? src.Config.Image;
  let env = src.Config.Env ?? [];
  let labels: Record<string, string> = { ...(src.Config.Labels ?? {}) };
  if (o.image !== undefined && oldImage) {
    for (const f of IMAGE_DEFAULTS) if (same(config[f], oldImage[f])) delete config[f];
    if (same(config.ExposedPorts, oldImage.ExposedPorts)) delete config.ExposedPorts;
    if (same(config.Volumes, oldImage.Volumes)) delete config.Volumes;
    const imageEnv = new Set((oldImage.Env as string[] | undefined) ?? []);
    env = env.filter((e) => !imageEnv.has(e));
    const imageLabels = (oldImage.Labels ?? {}) as Record<string, string>;
    labels = Object.fromEntries(Object.entries(labels).filter(([k, v]) => imageLabels[k] !== v));
  }
  // Docker sets the hostname to the short id when none was asked for: that one is not config.
  if (config.Hostname === src.Id.slice(0, 12)) delete config.Hostname;
  config.Image = image;
  config.Env = mergeEnv(env, o.env ?? {});
  config.Labels = { ...labels, ...(o.labels ?? {}) };
  return config;
}

/** Anonymous volumes (image VOLUME, `-v /data`): mounted again by name so no data is lost. */
function anonymousVolumes(src: Docker.ContainerInspectInfo): Docker.MountSettings[] {
  const h = src.HostConfig as Docker.HostConfig & { Mounts?: { Target?: string }[] };
  const covered = new Set<string>([
    ...(h.Binds ?? []).map((b) => b.split(':')[1] ?? ''),
    ...(h.Mounts ?? []).map((m) => m.Target ?? ''),
  ]);
  return (src.Mounts ?? [])
    .filter((m) => m.Type === 'volume' && m.Name && !covered.has(m.Destination))
    .map((m) => ({ Type: 'volume' as const, Source: m.Name!, Target: m.Destination, ReadOnly: !m.RW }));
}

export interface CloneOptions {
  create: Docker.ContainerCreateOptions;
  /**
   * Networks to connect after creation: Engine API 1.41 (Docker 20.10) takes one endpoint at
   * create time ("Container cannot be connected to network endpoints: a, b").
   */
  connectAfter: NetworkAttachment[];
}

/** Create options for a container like `src`, changed as `o` says. */
export function cloneOptions(
  src: Docker.ContainerInspectInfo,
  o: CreateFromOptions & { dropPortBindings?: boolean },
  oldImage: ImageDefaults | undefined,
): CloneOptions {
  const hostConfig = { ...(src.HostConfig as Docker.HostConfig & { Mounts?: Docker.MountSettings[] }) };
  if (o.dropPortBindings) delete hostConfig.PortBindings;
  const anonymous = anonymousVolumes(src);
  if (anonymous.length > 0) hostConfig.Mounts = [...(hostConfig.Mounts ?? []), ...anonymous];
  const mode = hostConfig.NetworkMode ?? 'default';
  const networks = networksOf(src);
  const primary = isUserNetwork(mode) ? networks.find((n) => n.name === mode) : undefined;
  const endpoint = (n: NetworkAttachment): Docker.EndpointSettings => ({
    Aliases: n.aliases,
    ...(n.ipv4Address ? { IPAMConfig: { IPv4Address: n.ipv4Address } } : {}),
  });
  return {
    create: {
      ...configFor(src, o, oldImage),
      name: o.name,
      HostConfig: hostConfig,
      ...(primary ? { NetworkingConfig: { EndpointsConfig: { [primary.name]: endpoint(primary) } } } : {}),
    } as Docker.ContainerCreateOptions,
    connectAfter:
      isUserNetwork(mode) || mode === 'default' || mode === 'bridge' ? networks.filter((n) => n !== primary) : [],
  };
}
