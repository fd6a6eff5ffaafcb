// src/redis.ts against a real Sentinel set: the producer and worker connections find the master
// through the sentinels, BullMQ runs on them with the project's Cluster-safe queue prefix, and a
// failover while jobs wait loses none and runs none twice.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from '../../scripts/lib/procs.js';
import { startRedisSentinel, type RedisSentinelHandle } from '../../scripts/lib/redis-sentinel.js';
import { hostKeys } from '../../src/keys.js';
import { producerConnection, workerConnection, waitReady, type RedisClient } from '../../src/redis.js';
import { settledWithin, withTimeout } from '../../src/time.js';

let dir: string;
let set: RedisSentinelHandle;
const open: RedisClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rmd-sentinel-bullmq-'));
  set = await startRedisSentinel({ dir, masterName: 'rmdmaster' });
});
afterAll(async () => {
  for (const c of open) c.disconnect();
  await set?.stop();
  await rm(dir, { recursive: true, force: true });
});

const conn = <T extends RedisClient>(c: T): T => (open.push(c), c);
const queuePrefix = () => hostKeys(`t${randomBytes(4).toString('hex')}`, 'local').queuePrefix;

describe('Redis connections on Sentinel', () => {
  it('producer and worker connections reach the master the sentinels name', async () => {
    const producer = conn(producerConnection(set.url));
    const worker = conn(workerConnection(set.url));
    expect(producer).toBeInstanceOf(Redis);
    await Promise.all([waitReady(producer, 10_000), waitReady(worker, 10_000)]);
    const master = await set.master();
    for (const c of [producer, worker]) {
      expect(await c.call('CONFIG', 'GET', 'port')).toEqual(['port', String(master.port)]);
      expect((await c.info('replication')).includes('role:master')).toBe(true);
    }
    expect((worker as Redis).options.maxRetriesPerRequest).toBeNull();
    expect((producer as Redis).options.enableOfflineQueue).toBe(false);
  });

  it('a failover while jobs wait loses none and runs none twice', async () => {
    const prefix = queuePrefix();
    const name = 'remediations';
    const producer = conn(producerConnection(set.url));
    await waitReady(producer, 10_000);
    const queue = new Queue(name, { connection: producer, prefix });
    const ids = Array.from({ length: 40 }, (_, i) => `job-${i}`);
    await queue.addBulk(ids.map((jobId) => ({ name: 'r', data: { jobId }, opts: { jobId } })));
    // Sentinel replication is asynchronous: a write the old master took but had not yet sent is
    // lost in any failover. WAIT marks the point where the jobs are on the replica too.
    expect(await producer.call('WAIT', '1', '5000')).toBe(1);
    const before = await set.master();

    // rejoin: the old master follows the new one again, so the next test has a replica.
    const after = await set.failover({ rejoin: true });
    expect(after.port).not.toBe(before.port);

    // The producer follows the new master by itself (the webhook would answer 503 meanwhile).
    let added = false;
    await pollUntil('the producer adding a job on the new master', 15_000, async () => {
      await queue.add('r', { jobId: 'after-failover' }, { jobId: 'after-failover' });
      return (added = true);
    });
    expect(added).toBe(true);

    const runs = new Map<string, number>();
    const worker = new Worker(
      name,
      async (job) => {
        runs.set(job.id!, (runs.get(job.id!) ?? 0) + 1);
        return job.id;
      },
      { connection: conn(workerConnection(set.url)), prefix, concurrency: 4 },
    );
    try {
      await pollUntil('every job completed', 30_000, async () => (await queue.getCompletedCount()) === ids.length + 1);
      expect([...runs.keys()].sort()).toEqual([...ids, 'after-failover'].sort());
      expect([...runs.values()].every((n) => n === 1)).toBe(true);
      expect(await queue.getJobCounts('waiting', 'active', 'delayed', 'failed')).toMatchObject({
        waiting: 0,
        active: 0,
        delayed: 0,
        failed: 0,
      });
      const master = await set.master();
      expect(master.port).toBe(after.port);
    } finally {
      // A job whose finish is still on its way to a master must not hold the test: forced after 10 s.
      if (!(await settledWithin(worker.close(), 10_000))) await settledWithin(worker.close(true), 5_000);
      await settledWithin(queue.close(), 5_000);
    }
  }, 240_000);

  // A worker busy during the failover writes to the old master until Sentinel's +switch-master
  // reaches it (~1 s here); those writes are lost when the old master resyncs as a replica, so a
  // job it finished there runs again on the new master. At-least-once: none may be lost.
  // Its time: its own bounded waits (15 s, the failover's 30 s + 60 s, 45 s) and the close; a
  // loaded full run has taken more than 120 s, and vitest's timeout would hide which wait it was.
  it('a failover under a busy worker loses no job and fails none', async () => {
    const prefix = queuePrefix();
    const name = 'remediations';
    const producer = conn(producerConnection(set.url));
    await waitReady(producer, 10_000);
    const queue = new Queue(name, { connection: producer, prefix });
    const ids = Array.from({ length: 30 }, (_, i) => `busy-${i}`);
    await queue.addBulk(ids.map((jobId) => ({ name: 'r', data: {}, opts: { jobId } })));
    expect(await producer.call('WAIT', '1', '5000')).toBe(1);
    const runs = new Map<string, number>();
    const worker = new Worker(
      name,
      async (job) => {
        runs.set(job.id!, (runs.get(job.id!) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 100));
      },
      // As remediator runs it (lockDuration = stalledInterval = JOB_LOCK_SECONDS), short: a job
      // whose finish the old master took and lost is active on the new one until it stalls.
      {
        connection: conn(workerConnection(set.url)),
        prefix,
        concurrency: 2,
        lockDuration: 3000,
        stalledInterval: 3000,
      },
    );
    const errors: string[] = [];
    worker.on('error', (err) => errors.push(err.message));
    try {
      await pollUntil('a few jobs done before the failover', 15_000, async () => runs.size >= 4);
      await set.failover();
      // Each read bounded: one that waits on a connection still finding the new master must not
      // hold the poll past its own deadline.
      let done = 0;
      await pollUntil('every job completed on the new master', 45_000, async () => {
        done = await withTimeout(queue.getCompletedCount(), 5_000, `completed count not read (last: ${done})`);
        if (done !== ids.length) throw new Error(`${done} of ${ids.length} completed`);
        return true;
      });
      expect([...runs.keys()].sort()).toEqual([...ids].sort());
      // The only trouble the worker reports is the lost lock of a job it was finishing.
      expect(errors.filter((m) => !/^Missing lock for job busy-\d+\. moveToFinished$/.test(m))).toEqual([]);
      expect(await queue.getJobCounts('waiting', 'active', 'delayed', 'failed')).toMatchObject({
        waiting: 0,
        active: 0,
        delayed: 0,
        failed: 0,
      });
    } finally {
      // A job whose finish is still on its way to a master must not hold the test: forced after 10 s.
      if (!(await settledWithin(worker.close(), 10_000))) await settledWithin(worker.close(true), 5_000);
      await settledWithin(queue.close(), 5_000);
    }
  }, 240_000);
});
