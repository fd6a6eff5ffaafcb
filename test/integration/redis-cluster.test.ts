// src/redis.ts against a real three-master Redis Cluster: both connection kinds are ioredis
// Cluster clients, BullMQ adds, processes and completes jobs with the project's hash-tagged
// queue prefix (and cannot without it), and scripts run when their keys share a slot.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../../scripts/lib/procs.js';
import { nodeCommand } from '../../scripts/lib/redis-probe.js';
import { startRedisCluster, type RedisClusterHandle } from '../../scripts/lib/redis-cluster.js';
import { hostKeys } from '../../src/keys.js';
import {
  producerConnection,
  scriptCommand,
  waitReady,
  warnOnEvictionPolicy,
  workerConnection,
  type RedisClient,
} from '../../src/redis.js';

let dir: string;
let cluster: RedisClusterHandle;
const open: RedisClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rmd-cluster-bullmq-'));
  cluster = await startRedisCluster({ dir, masters: 3 });
});
afterAll(async () => {
  for (const c of open) c.disconnect();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

const conn = <T extends RedisClient>(c: T): T => (open.push(c), c);
const prefixBase = () => `t${randomBytes(4).toString('hex')}`;

/** Every key under `match` on every master, with its slot. */
async function keysWithSlots(match: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const n of cluster.nodes) {
    for (const key of (await nodeCommand(n.port, ['KEYS', match])) as string[]) {
      out.set(key, Number(await nodeCommand(n.port, ['CLUSTER', 'KEYSLOT', key])));
    }
  }
  return out;
}

describe('Redis connections on a Cluster', () => {
  it('producer and worker connections are Cluster clients that reach every master', async () => {
    const producer = conn(producerConnection(cluster.url));
    const worker = conn(workerConnection(cluster.url));
    expect(producer).toBeInstanceOf(Cluster);
    await Promise.all([waitReady(producer, 10_000), waitReady(worker, 10_000)]);
    expect((producer as Cluster).nodes('master')).toHaveLength(3);
    expect((worker as Cluster).options.redisOptions?.maxRetriesPerRequest).toBeNull();
    expect((producer as Cluster).options.enableOfflineQueue).toBe(false);
    // Keys in three slots owned by three masters: the client follows the slot map.
    for (const k of ['{a}k', '{b}k', '{c}k']) await producer.set(k, k);
    expect(await Promise.all(['{a}k', '{b}k', '{c}k'].map((k) => worker.get(k)))).toEqual(['{a}k', '{b}k', '{c}k']);
  });

  it('BullMQ adds, processes and completes a job with the prefix hostKeys(...).queuePrefix', async () => {
    const prefix = hostKeys(prefixBase(), 'local').queuePrefix;
    expect(prefix).toMatch(/:\{local\}$/);
    const producer = conn(producerConnection(cluster.url));
    const queue = new Queue('remediations', { connection: producer, prefix });
    const worker = new Worker('remediations', async (job) => ({ echoed: job.data.n }), {
      connection: conn(workerConnection(cluster.url)),
      prefix,
    });
    const finished = async (id: string) => {
      await pollUntil(`job ${id} completed`, 20_000, async () => (await queue.getJobState(id)) === 'completed');
      return (await queue.getJob(id))?.returnvalue;
    };
    try {
      await queue.add('restart', { n: 42 }, { jobId: 'episode-1', attempts: 2 });
      expect(await finished('episode-1')).toEqual({ echoed: 42 });
      // A delayed job too: it goes through the delayed set and the marker key.
      await queue.add('restart', { n: 7 }, { jobId: 'episode-2', delay: 300 });
      expect(await finished('episode-2')).toEqual({ echoed: 7 });
      const keys = await keysWithSlots(`${prefix}:*`);
      expect(keys.size).toBeGreaterThan(3);
      expect(new Set(keys.values()).size).toBe(1);
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('BullMQ cannot add a job when the prefix has no hash tag (CROSSSLOT): the tag is what makes it work', async () => {
    const producer = conn(producerConnection(cluster.url));
    const queue = new Queue('remediations', { connection: producer, prefix: prefixBase() });
    try {
      await expect(queue.add('restart', { n: 1 })).rejects.toThrow(/CROSSSLOT/);
    } finally {
      await queue.close();
    }
  });

  it('a script command runs on keys of one slot and is refused across slots', async () => {
    const redis = conn(workerConnection(cluster.url));
    const k = hostKeys(prefixBase(), 'web-1');
    const lua = "redis.call('SET', KEYS[1], ARGV[1]); redis.call('SET', KEYS[2], ARGV[1]); return 1";
    const both = scriptCommand(redis, 'testSetBoth', lua, 2);
    expect(await both(k.lock('api'), k.cooldown('restart-api', 'api'), 'job-1')).toBe(1);
    expect(await redis.get(k.cooldown('restart-api', 'api'))).toBe('job-1');
    const other = hostKeys(k.queuePrefix.split(':')[0]!, 'web-2');
    await expect(both(k.lock('api'), other.lock('api'), 'job-1')).rejects.toThrow(/CROSSSLOT|same slot/);
  });

  it('warnOnEvictionPolicy reads every master and warns when one may evict', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    const redis = conn(producerConnection(cluster.url));
    await warnOnEvictionPolicy(redis, log);
    expect(lines.filter((l) => l.includes('maxmemory-policy'))).toEqual([]);
    const last = cluster.nodes[2]!.port;
    await nodeCommand(last, ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
    try {
      await warnOnEvictionPolicy(redis, log);
      expect(lines.some((l) => l.includes('"maxmemoryPolicy":"allkeys-lru"'))).toBe(true);
    } finally {
      await nodeCommand(last, ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']);
    }
  });

  it('the slots test/unit/keys-slots.test.ts computes are the ones the Cluster computes', async () => {
    const k = hostKeys('remediator', 'web-1');
    // (cluster-key-slot differs from Redis on an empty first tag followed by another, e.g.
    // "a{}{b}": no key the project writes has that shape, a host tag is never empty.)
    const keys = [k.lock('{global}'), k.queuePrefix, k.share('ü/ï'), 'no-tag', '{}x', '{global}:inflight', 'ünï'];
    for (const key of keys) {
      expect(Number(await nodeCommand(cluster.nodes[0]!.port, ['CLUSTER', 'KEYSLOT', key]))).toBe(calculateSlot(key));
    }
  });
});
