// The host-down watchdog against real Redis and real BullMQ: a job of a host with no worker is
// escalated once however many processes run the watchdog, never while a worker holds it, and a
// worker that takes a job after it was marked ends it without acting.
import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { pollUntil } from '../../scripts/lib/procs.js';
import { createControl } from '../../src/guards/control.js';
import { createGuards } from '../../src/guards/index.js';
import { hostKeys } from '../../src/keys.js';
import { createEvents, type RemediationEventMap } from '../../src/lifecycle/events.js';
import { REMEDIATION_QUEUE, type RemediationJobData } from '../../src/queue/contract.js';
import { jobData } from '../support/job-data.js';
import { beat } from '../../src/queue/host-status.js';
import { createRemediationWorker } from '../../src/queue/worker.js';
import { createWatchdog } from '../../src/queue/watchdog.js';
import { workerConnection, type RedisClient } from '../../src/redis.js';

const HOST = 'h1';
let redis: RedisClient;
let prefix: string;
let queue: Queue<RemediationJobData>;
const log = pino({ level: 'silent' });
const closers: (() => Promise<unknown>)[] = [];

function bus() {
  const finished: RemediationEventMap['job.finished'][] = [];
  const events = createEvents(() => undefined);
  events.onCommit('job.finished', async (e) => void finished.push(e));
  return { events, finished };
}

const watchdog = (events: ReturnType<typeof bus>['events'], escalateAfterMs = 0) =>
  createWatchdog({
    redis,
    prefix,
    hosts: [HOST],
    queueFor: () => queue,
    events,
    log,
    escalateAfterMs,
    heartbeatMs: 1_000,
  });

async function add(): Promise<string> {
  const id = `job-${randomBytes(4).toString('hex')}`;
  await queue.add('restart-api', jobData(HOST, id), { jobId: id });
  return id;
}

beforeAll(() => {
  redis = workerConnection(inject('redisUrl'));
});
afterAll(() => redis?.disconnect());
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await queue?.close();
});

describe('host-down watchdog', () => {
  it('escalates a waiting job of a host with no worker exactly once, whatever the number of watchdogs', async () => {
    prefix = `t${randomBytes(4).toString('hex')}`;
    queue = new Queue(REMEDIATION_QUEUE, { connection: redis, prefix: hostKeys(prefix, HOST).queuePrefix });
    const id = await add();
    const buses = [bus(), bus(), bus()];
    const dogs = buses.map((b) => watchdog(b.events));
    const escalated = (await Promise.all(dogs.map((d) => d.tick()))).flat();
    expect(escalated).toEqual([id]);
    const commits = buses.flatMap((b) => b.finished);
    expect(commits).toHaveLength(1);
    expect(commits[0]).toMatchObject({ jobId: id, outcome: 'escalated', escalation: 'host_down' });
    expect(commits[0]!.reason).toMatch(/^no worker served host h1 for \d+ s \(its worker never seen; /);
    expect(await queue.getJob(id)).toBeUndefined();
    expect(await redis.get(hostKeys(prefix, HOST).episode(id))).toBe(null); // none was claimed: none is made (no key without a TTL)
    // Once done, a later pass finds nothing.
    expect(await dogs[0]!.tick()).toEqual([]);
  });

  it('leaves alone a host whose worker beats, and a job that has not waited the set time', async () => {
    prefix = `t${randomBytes(4).toString('hex')}`;
    queue = new Queue(REMEDIATION_QUEUE, { connection: redis, prefix: hostKeys(prefix, HOST).queuePrefix });
    const id = await add();
    const b = bus();
    await beat(redis, prefix, [HOST], Date.now());
    expect(await watchdog(b.events).tick()).toEqual([]);
    // A heartbeat four seconds old (three missed at 1 s): down, but the job is younger than 60 s.
    await beat(redis, prefix, [HOST], Date.now() - 4_000);
    expect(await watchdog(b.events, 60_000).tick()).toEqual([]);
    expect(b.finished).toEqual([]);
    expect(await queue.getJobState(id)).toBe('waiting');
  });

  it('never escalates a job a worker holds; escalates it once the worker is gone and its lock expired', async () => {
    prefix = `t${randomBytes(4).toString('hex')}`;
    queue = new Queue(REMEDIATION_QUEUE, { connection: redis, prefix: hostKeys(prefix, HOST).queuePrefix });
    const id = await add();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const worker = new Worker(REMEDIATION_QUEUE, () => held, {
      connection: workerConnection(inject('redisUrl')),
      prefix: hostKeys(prefix, HOST).queuePrefix,
      lockDuration: 1_000,
    });
    closers.push(async () => {
      release();
      await worker.close(true);
    });
    await pollUntil('the worker holding the job', 10_000, async () => (await queue.getJobState(id)) === 'active');
    const b = bus();
    expect(await watchdog(b.events).tick()).toEqual([]);
    expect(b.finished).toEqual([]);
    // The worker dies (no graceful close, nothing extends the lock): the job stays active, unlocked.
    await worker.close(true);
    await pollUntil('the lock expired', 10_000, async () => (await redis.exists(`${queue.toKey(id)}:lock`)) === 0);
    expect(await queue.getJobState(id)).toBe('active');
    expect(await watchdog(b.events).tick()).toEqual([id]);
    expect(b.finished.map((e) => e.jobId)).toEqual([id]);
  });

  it('a worker that takes a job the watchdog marked ends it without a Docker call and without a second record', async () => {
    prefix = `t${randomBytes(4).toString('hex')}`;
    queue = new Queue(REMEDIATION_QUEUE, { connection: redis, prefix: hostKeys(prefix, HOST).queuePrefix });
    const id = await add();
    // The watchdog marked it (a worker came back before the job was removed from the queue).
    await redis.set(hostKeys(prefix, HOST).hostDown(id), `elsewhere|${Date.now()}`);
    const b = bus();
    const dockerCalls: string[] = [];
    const w = createRemediationWorker({
      connection: workerConnection(inject('redisUrl')),
      redis,
      host: HOST,
      queue,
      dockerFor: (h) => {
        dockerCalls.push(h);
        throw new Error('no engine in this test');
      },
      log,
      events: b.events,
      guards: createGuards({ redis, prefix, lockTtlMs: 10_000 }),
      prefix,
      optInLabel: 'remediator.enable',
      dryRun: false,
      maxInFlight: 10,
      concurrency: 1,
      control: createControl(redis, { queuePrefix: prefix }).engine,
    });
    closers.push(() => w.close(5_000));
    await pollUntil('the job ended', 10_000, async () => (await queue.getJobState(id)) === 'failed');
    expect((await queue.getJob(id))!.failedReason).toBe('escalated while its host had no worker');
    expect(dockerCalls).toEqual([]);
    expect(b.finished).toEqual([]);
  });
});
