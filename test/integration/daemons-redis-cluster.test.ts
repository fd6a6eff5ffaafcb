// Proves startRedisCluster(): three real masters that agree on all 16384 slots, route a key to
// the node that owns its slot, and leave no process, port or folder lock behind when stopped.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterInfo, startRedisCluster, type RedisClusterHandle } from '../../scripts/lib/redis-cluster.js';
import { nodeCommand } from '../../scripts/lib/redis-probe.js';
import { pidAlive, portOpen, processesMentioning } from '../support/leftovers.js';

let dir: string;
let cluster: RedisClusterHandle;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rmd-cluster-'));
  cluster = await startRedisCluster({ dir, masters: 3 });
});
afterAll(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('startRedisCluster', () => {
  it('starts three masters that each say cluster_state:ok with every slot assigned', async () => {
    expect(cluster.nodes).toHaveLength(3);
    expect(cluster.url).toBe(`redis+cluster://${cluster.nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`);
    for (const n of cluster.nodes) {
      const info = await clusterInfo(n.port);
      expect(info).toMatchObject({ cluster_state: 'ok', cluster_slots_assigned: '16384', cluster_known_nodes: '3' });
      expect(info.cluster_size).toBe('3');
    }
  });

  it('routes keys by hash slot: a node refuses a key it does not own with MOVED', async () => {
    const owner = async (key: string) => Number(await nodeCommand(cluster.nodes[0]!.port, ['CLUSTER', 'KEYSLOT', key]));
    // {a} and {b} hash to different slots; some node must answer MOVED for one of them.
    const slots = await Promise.all(['{a}x', '{b}x', '{c}x'].map(owner));
    expect(new Set(slots).size).toBe(3);
    const errors: string[] = [];
    for (const key of ['{a}x', '{b}x', '{c}x']) {
      await nodeCommand(cluster.nodes[0]!.port, ['SET', key, '1']).catch((e: Error) => errors.push(e.message));
    }
    expect(errors.some((m) => m.startsWith('MOVED'))).toBe(true);

    const client = new Cluster(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })));
    try {
      for (const key of ['{a}x', '{b}x', '{c}x']) await client.set(key, key);
      expect(await Promise.all(['{a}x', '{b}x', '{c}x'].map((k) => client.get(k)))).toEqual(['{a}x', '{b}x', '{c}x']);
      await expect(client.eval("return redis.call('MGET', KEYS[1], KEYS[2])", 2, '{a}x', '{b}x')).rejects.toThrow(
        /CROSSSLOT/,
      );
    } finally {
      client.disconnect();
    }
  });

  it('stop() leaves no redis-server process and no open port', async () => {
    const dir2 = await mkdtemp(path.join(os.tmpdir(), 'rmd-cluster-stop-'));
    try {
      const c = await startRedisCluster({ dir: dir2 });
      const pids = c.nodes.map((n) => n.pid);
      const ports = c.nodes.map((n) => n.port);
      expect(pids.every(pidAlive)).toBe(true);
      await c.stop();
      expect(pids.filter(pidAlive)).toEqual([]);
      expect(await Promise.all(ports.map(portOpen))).toEqual([false, false, false]);
      expect(processesMentioning(dir2)).toEqual([]);
    } finally {
      await rm(dir2, { recursive: true, force: true });
    }
  });
});
