import type { HostsCatalog } from '../catalog/hosts.js';
import { ConfigError } from '../errors.js';

/**
 * Which Docker hosts a worker process serves: the ones named by `--host` / WORKER_HOSTS (a
 * worker on each host, over its local socket), else every host of the hosts file (one worker
 * reaching remote engines over TLS or SSH), else `local` (no hosts file). A name the hosts
 * file does not list stops the start, naming the variable: a worker for an unknown host would
 * consume a queue nothing routes to, and leave the host it was meant for without one.
 */
export function servedHosts(requested: readonly string[] | undefined, catalog: HostsCatalog): string[] {
  const names = [...catalog.hosts.keys()];
  if (requested === undefined || requested.length === 0) return names;
  const unknown = requested.filter((h) => !catalog.hosts.has(h));
  if (unknown.length > 0) {
    const where = catalog.file ? `the hosts file ${catalog.file}` : 'this process (no HOSTS_FILE: only "local")';
    throw new ConfigError(
      'WORKER_HOSTS',
      `${unknown.map((h) => `"${h}"`).join(', ')} not in ${where} (known: ${names.join(', ')}); --host sets it too`,
    );
  }
  return [...new Set(requested)];
}
