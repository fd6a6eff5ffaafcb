import type { DockerHostSpec, HostsCatalog } from '../catalog/hosts.js';
import { EngineUnreachableError, UnknownHostError, coerceError } from '../errors.js';
import { withTimeout } from '../time.js';
import type { DockerConnection } from './engine-connection.js';
import type { DockerPort } from './port.js';

/**
 * One DockerPort per host of the hosts catalog, made on first use and kept: a worker serving
 * ten hosts opens connections only to the engines its jobs touch, and a host listed but never
 * used costs nothing (its TLS files are read when it is first reached).
 */

/** A host's answer to a ping, for /readyz and the remediator_host_up gauge. */
export interface HostHealth {
  host: string;
  engine: string;
  up: boolean;
  /** Why not, naming the host (unreachable, TLS refused, no answer in time). */
  error?: string;
}

export interface DockerHosts {
  /** Host names, in the hosts file's order. */
  readonly names: readonly string[];
  /** Where a remediation that names no host acts; undefined when the hosts file sets none. */
  readonly defaultHost: string | undefined;
  has(host: string): boolean;
  /** The engine of `host`, created on first use; {@link UnknownHostError} for an unlisted one. */
  get(host: string): DockerPort;
  /** Resolves when `host` answers within `timeoutMs`; rejects with an error naming it. */
  ping(host: string, timeoutMs?: number): Promise<void>;
  /** Ping every host in parallel, each bounded by `timeoutMs`. Never rejects. */
  pingAll(timeoutMs?: number): Promise<HostHealth[]>;
}

export interface DockerHostsOptions {
  /** Build one engine's port (default: the dockerode adapter). Tests pass their own. */
  create?: (conn: DockerConnection) => DockerPort;
  /** Per-request timeout of every engine's calls (the adapter's default otherwise). */
  requestTimeoutMs?: number;
}

const PING_MS = 3_000;

export async function createDockerHosts(catalog: HostsCatalog, opts: DockerHostsOptions = {}): Promise<DockerHosts> {
  // Loaded only when used: dockerode costs memory in processes that never talk to Docker.
  const create = opts.create ?? (await import('./dockerode-adapter.js')).createDockerodeAdapter.bind(undefined);
  const names = [...catalog.hosts.keys()];
  const ports = new Map<string, DockerPort>();

  const spec = (host: string): DockerHostSpec => {
    const s = catalog.hosts.get(host);
    if (!s) throw new UnknownHostError(host, names);
    return s;
  };
  const get = (host: string): DockerPort => {
    let port = ports.get(host);
    if (!port) {
      const s = spec(host);
      port = create({
        ...s.connection,
        ...(opts.requestTimeoutMs !== undefined && { timeoutMs: opts.requestTimeoutMs }),
      });
      ports.set(host, port);
    }
    return port;
  };
  const ping = async (host: string, timeoutMs = PING_MS): Promise<void> => {
    const s = spec(host);
    try {
      await withTimeout(get(host).ping(), timeoutMs, `no answer within ${timeoutMs} ms`);
    } catch (err) {
      if (err instanceof EngineUnreachableError) throw err;
      const e = coerceError(err);
      throw new EngineUnreachableError(host, `ping: host ${host} (${s.engine}): ${e.message}`, { cause: err });
    }
  };

  return {
    names,
    defaultHost: catalog.defaultHost,
    has: (host) => catalog.hosts.has(host),
    get,
    ping,
    pingAll: (timeoutMs = PING_MS) =>
      Promise.all(
        names.map(async (host): Promise<HostHealth> => {
          const engine = spec(host).engine;
          try {
            await ping(host, timeoutMs);
            return { host, engine, up: true };
          } catch (err) {
            return { host, engine, up: false, error: coerceError(err).message };
          }
        }),
      ),
  };
}
