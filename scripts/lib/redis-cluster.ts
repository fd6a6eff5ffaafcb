// A real Redis Cluster on 127.0.0.1 for tests and benchmarks: N `redis-server --cluster-enabled
// yes` masters (no replicas), joined by `redis-cli --cluster create`, ready once every node says
// `cluster_state:ok`. Each node is a direct child like startRedis(), with its own folder and a
// private bus port (`--cluster-port`, so the classic port+10000 never overflows or clashes).
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { startRedis, type RedisHandle } from './daemons.js';
import { freePort, pollUntil, runCommand } from './procs.js';
import { infoRecord } from './redis-probe.js';

export interface RedisClusterHandle {
  /** The masters, in slot order (the first serves slot 0). */
  nodes: RedisHandle[];
  /** `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,...`, the REDIS_URL form remediator reads. */
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/** `CLUSTER INFO` of one node as a record. */
export const clusterInfo = (port: number): Promise<Record<string, string>> => infoRecord(port, ['CLUSTER', 'INFO']);

export async function startRedisCluster(opts: { dir: string; masters?: number }): Promise<RedisClusterHandle> {
  const masters = opts.masters ?? 3;
  if (masters < 3) throw new Error('a Redis Cluster needs at least 3 masters');
  const nodes: RedisHandle[] = [];
  const stop = async (): Promise<void> => {
    await Promise.allSettled(nodes.map((n) => n.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      const dir = path.join(opts.dir, `node-${i}`);
      // A node's config file names its id and its peers: a fresh start must not find an old one.
      await rm(path.join(dir, 'nodes.conf'), { force: true });
      nodes.push(
        await startRedis({
          dir,
          extraArgs: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            path.join(dir, 'nodes.conf'),
            '--cluster-port',
            String(await freePort()),
            // Short, so a test that stops a node sees the cluster notice it within seconds.
            '--cluster-node-timeout',
            '3000',
          ],
        }),
      );
    }
    const addrs = nodes.map((n) => `127.0.0.1:${n.port}`);
    const created = await runCommand(
      'redis-cli',
      ['--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes'],
      60_000,
    );
    if (created.code !== 0)
      throw new Error(`redis-cli --cluster create failed (exit ${created.code}):\n${created.out}`);
    // Gossip reaches every node a moment after create returns; wait until all agree.
    await pollUntil('cluster_state:ok on every node', 30_000, async () => {
      const infos = await Promise.all(nodes.map((n) => clusterInfo(n.port)));
      return infos.every(
        (i) =>
          i.cluster_state === 'ok' && i.cluster_slots_assigned === '16384' && Number(i.cluster_known_nodes) === masters,
      );
    });
    return { nodes, url: `redis+cluster://${addrs.join(',')}`, dir: opts.dir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
