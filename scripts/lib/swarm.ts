// A single-node Docker Swarm on a private dockerd (started with --bridge=none --iptables=false),
// for tests of `swarmService:` targets. What these machines need, found by trying:
// - `swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:P` works as is (~0.2 s);
// - swarm creates a Linux bridge for `docker_gwbridge`, named "docker_gwbridge" in the host's
//   network namespace, which every dockerd on the machine shares: two swarms (two tests, two
//   helpers) would fight over it and it outlives dockerd. So we create the `docker_gwbridge`
//   network ourselves first with a private bridge name, and delete that link on leave/stop;
// - the networking agent's gossip port (7946) is fixed: a second swarm on the same machine logs
//   "error in agentInit ... 7946: bind: address already in use". Services without overlay
//   networks (all ours: no --network, no published ports) run regardless; overlay networks and
//   the routing mesh work in one swarm per machine only;
// - services run from the imported busybox image (it warns it cannot resolve a digest: harmless).
import { randomBytes } from 'node:crypto';
import type { DockerdHandle } from './daemons.js';
import { dockerFromHost } from './busybox-image.js';
import { freePort, runCommand } from './procs.js';

export interface SwarmHandle {
  /** `127.0.0.1:P`: the manager's raft/control address. */
  listenAddr: string;
  nodeId: string;
  /** The Linux bridge behind this engine's docker_gwbridge network (ours to delete). */
  bridge: string;
  /** Leave the swarm (force), remove docker_gwbridge and its link. Idempotent. */
  leave(): Promise<void>;
}

/** The link names present in this network namespace (`ip -o link`). */
export async function linkNames(): Promise<string[]> {
  const { code, out } = await runCommand('ip', ['-o', 'link', 'show']);
  if (code !== 0) throw new Error(`ip link show failed: ${out}`);
  return out
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
}

async function deleteLink(name: string): Promise<void> {
  if ((await linkNames()).includes(name)) await runCommand('ip', ['link', 'delete', name]);
}

/** `docker swarm init` on `dockerd`; the swarm is left (and its bridge removed) when dockerd stops. */
export async function initSwarm(dockerd: DockerdHandle): Promise<SwarmHandle> {
  const docker = dockerFromHost(dockerd.dockerHost);
  // Interface names are at most 15 bytes.
  const bridge = `rmdgw${randomBytes(4).toString('hex')}`;
  await docker.createNetwork({
    Name: 'docker_gwbridge',
    Driver: 'bridge',
    Options: {
      'com.docker.network.bridge.name': bridge,
      'com.docker.network.bridge.enable_icc': 'false',
      'com.docker.network.bridge.enable_ip_masquerade': 'false',
    },
  });
  let left = false;
  const leave = async (): Promise<void> => {
    if (left) return;
    left = true;
    await docker.swarmLeave({ force: true }).catch(() => undefined);
    await docker
      .getNetwork('docker_gwbridge')
      .remove()
      .catch(() => undefined);
    await deleteLink(bridge);
  };
  dockerd.afterStop(() => leave());
  const listenAddr = `127.0.0.1:${await freePort()}`;
  try {
    const nodeId = (await docker.swarmInit({ ListenAddr: listenAddr, AdvertiseAddr: '127.0.0.1' })) as unknown;
    return { listenAddr, nodeId: String(nodeId).replace(/"/g, '').trim(), bridge, leave };
  } catch (err) {
    await leave();
    throw err;
  }
}
