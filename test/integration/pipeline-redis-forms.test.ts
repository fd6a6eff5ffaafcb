// The full pipeline (webhook -> job -> Docker action -> history) on the two other forms
// REDIS_URL may take: a real three-master Redis Cluster and a real Sentinel set (a master, a
// replica, three sentinels). On the Cluster the run's keys land on several masters; on the
// Sentinel set a failover while jobs wait, and one while a worker is busy, lose no job and
// double no action: Docker's event stream, recorded live, counts the restarts.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pollUntil } from '../../scripts/lib/procs.js';
import { startRedisCluster, type RedisClusterHandle } from '../../scripts/lib/redis-cluster.js';
import { nodeCommand } from '../../scripts/lib/redis-probe.js';
import { startRedisSentinel, type RedisSentinelHandle } from '../../scripts/lib/redis-sentinel.js';
import type { HistoryRecord } from '../../src/history/index.js';
import { recordEvents, type EventRecorder } from '../support/docker-events.js';
import { createTestContainer, inspectStartedAt, removeContainers, uniquePrefix } from '../support/docker.js';
import { fixture, startHarness, TOKEN, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('forms');
let tmp: string;
let dir: string;
let cluster: RedisClusterHandle;
let sentinel: RedisSentinelHandle;
let events: EventRecorder;
const open: Harness[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'rmd-forms-'));
  // The shipped remediations, and one that names its host from the alert.
  dir = path.join(tmp, 'remediations');
  await mkdir(dir);
  for (const f of await readdir('remediations')) await copyFile(path.join('remediations', f), path.join(dir, f));
  await writeFile(
    path.join(dir, 'host-restart.yaml'),
    'match: alertname="HostRestart"\ntarget:\n  host: "{{ labels.instance | host }}"\n  container: "{{ labels.container }}"\naction:\n  type: restart\nretry:\n  attempts: 1\n',
  );
  [cluster, sentinel] = await Promise.all([
    startRedisCluster({ dir: path.join(tmp, 'cluster'), masters: 3 }),
    startRedisSentinel({ dir: path.join(tmp, 'sentinel'), masterName: 'rmdforms' }),
  ]);
  events = await recordEvents(docker);
}, 120_000);

afterAll(async () => {
  for (const h of open) await h.stop().catch(() => undefined);
  await events?.stop();
  await removeContainers(docker, p);
  await Promise.allSettled([cluster?.stop(), sentinel?.stop()]);
  await rm(tmp, { recursive: true, force: true });
});

async function harness(redisUrl: string, o: { worker?: boolean; prefix?: string; env?: Record<string, string> } = {}) {
  const h = await startHarness({
    redisUrl,
    dockerHost: inject('dockerHost'),
    remediationsDir: dir,
    worker: o.worker,
    prefix: o.prefix,
    env: o.env,
  });
  open.push(h);
  return h;
}

async function highLatency(container: string): Promise<Record<string, any>> {
  const body = await fixture('firing-high-latency.json');
  body.alerts[0].labels.container = container;
  body.alerts[0].fingerprint = randomBytes(8).toString('hex');
  return body;
}

async function finalRecord(h: Harness, jobId: string): Promise<HistoryRecord> {
  let rec: HistoryRecord | undefined;
  await pollUntil(`history of ${jobId}`, 60_000, async () => {
    rec = await h.runtime.history.get(jobId);
    return rec !== undefined && rec.outcome !== 'queued';
  });
  return rec!;
}

const restarts = (name: string) => events.windows('restart').filter((w) => w.container === name).length;

const compose = (service: string, n: number) => ({
  'com.docker.compose.project': `${p}proj`,
  'com.docker.compose.service': service,
  'com.docker.compose.container-number': String(n),
  'remediator.enable': 'true',
});
const running = async (service: string) =>
  (await docker.listContainers({ filters: { label: [`com.docker.compose.service=${service}`] } })).length;

describe.each([
  { form: 'a three-master Redis Cluster', url: () => cluster.url },
  { form: 'a Sentinel set', url: () => sentinel.url },
])('the full pipeline on $form', ({ form, url }) => {
  let h: Harness;
  const tag = form.startsWith('a three') ? 'cl' : 'se';
  beforeAll(async () => {
    h = await harness(url());
  });

  it('HighLatency: webhook -> job -> restart (Docker) -> history (API); a duplicate adds nothing', async () => {
    const name = `${p}${tag}-api`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const before = await inspectStartedAt(docker, name);
    const body = await highLatency(name);
    const res = await h.post(body);
    expect(res.status).toBe(202);
    expect(res.body.jobs[0].status).toBe('enqueued');
    const job = await h.waitForJob(res.body.jobs[0].jobId);
    expect(job.returnvalue).toMatchObject({ outcome: 'succeeded', targets: [name] });
    expect(Date.parse(await inspectStartedAt(docker, name))).toBeGreaterThan(Date.parse(before));
    expect((await h.post(body)).body.jobs[0].status).toBe('duplicate');
    const api = await fetch(`${h.url}/api/v1/remediations?target=${name}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    }).then((r) => r.json() as Promise<{ records: HistoryRecord[] }>);
    expect(api.records.map((r) => [r.jobId, r.outcome])).toEqual([[job.id, 'succeeded']]);
    await events.sync(name);
    expect(restarts(name)).toBe(1);
  });

  it('QueueDepthHigh: scale out by one, and back in when the alert resolves (onResolved)', async () => {
    const service = `${p}${tag}worker`;
    await createTestContainer(docker, { name: `${p}proj-${service}-1`, labels: compose(service, 1) });
    const body = await fixture('firing-queue-depth-high.json');
    body.alerts[0].labels.service = service;
    body.alerts[0].fingerprint = randomBytes(8).toString('hex');
    const up = await h.waitForJob((await h.post(body)).body.jobs[0].jobId);
    expect(up.returnvalue).toMatchObject({ outcome: 'succeeded', details: { before: 1, after: 2 } });
    expect(await running(service)).toBe(2);
    const resolved = structuredClone(body);
    resolved.status = 'resolved';
    resolved.alerts[0].status = 'resolved';
    resolved.alerts[0].endsAt = new Date().toISOString();
    const res = await h.post(resolved);
    const back = res.body.jobs.find((j: { jobId: string }) => j.jobId.endsWith('.resolved'));
    expect(back).toMatchObject({ status: 'enqueued' });
    expect((await h.waitForJob(back.jobId)).returnvalue.outcome).toBe('succeeded');
    expect(await running(service)).toBe(1);
    expect(await finalRecord(h, back.jobId)).toMatchObject({ phase: 'resolve', outcome: 'succeeded' });
    // The effectiveness rollups' scripts ran on this form too (their keys all in {history}): the
    // episode counted once, its time to resolve from the payload's startsAt and endsAt.
    const stats = await fetch(`${h.url}/api/v1/stats?remediation=queue-depth-high`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    }).then((r) => r.json() as Promise<Record<string, any>>);
    expect(stats.total).toMatchObject({ runs: 1, acted: 1, succeeded: 1 });
    const mttr = Date.parse(resolved.alerts[0].endsAt) - Date.parse(body.alerts[0].startsAt);
    expect(stats.total.timeToResolve).toMatchObject({ count: 1, minMs: mttr, maxMs: mttr });
  });

  it('one POST naming two hosts (two hash slots): one job queued, the unknown host refused, both recorded', async () => {
    const name = `${p}${tag}-two`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const alert = (host: string) => ({
      status: 'firing',
      labels: { alertname: 'HostRestart', instance: `${host}:9100`, container: name },
      annotations: {},
      startsAt: new Date().toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      fingerprint: randomBytes(8).toString('hex'),
    });
    const res = await h.post({
      version: '4',
      status: 'firing',
      receiver: 'remediator',
      groupKey: '{}:{}',
      alerts: [alert('local'), alert('web-9')],
    });
    expect(res.status).toBe(202);
    expect(res.body.jobs.map((j: { status: string }) => j.status)).toEqual(['enqueued', 'refused']);
    expect((await h.waitForJob(res.body.jobs[0].jobId)).returnvalue.outcome).toBe('succeeded');
    expect(await finalRecord(h, res.body.jobs[1].jobId)).toMatchObject({ outcome: 'refused', host: 'web-9' });
  });

  if (tag === 'cl') {
    it("the run's keys sit on more than one master, each group in its own slot", async () => {
      const masters = await Promise.all(
        cluster.nodes.map(async (n) => (await nodeCommand(n.port, ['KEYS', `${h.prefix}:*`])) as string[]),
      );
      expect(masters.filter((keys) => keys.length > 0).length).toBeGreaterThan(1);
      const tags = new Set(masters.flat().map((k) => /\{([^}]*)\}/.exec(k)?.[1]));
      expect([...tags].sort()).toEqual(expect.arrayContaining(['global', 'history', 'local']));
    });
  }
});

describe('a Sentinel failover', () => {
  it('while jobs wait in the queue: after it, every job runs once, none lost', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const webhook = await harness(sentinel.url, { worker: false, prefix });
    const names = Array.from({ length: 6 }, (_, i) => `${p}wait-${i}`);
    for (const name of names) await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const bodies = await Promise.all(names.map((n) => highLatency(n)));
    const body = { ...bodies[0]!, alerts: bodies.map((b) => b.alerts[0]) };
    const res = await webhook.post(body);
    expect(res.status).toBe(202);
    const ids: string[] = res.body.jobs.map((j: { jobId: string }) => j.jobId);
    expect(ids).toHaveLength(6);
    // The 202 came after a replica had the jobs (WAIT): the failover cannot take them back.
    const before = await sentinel.master();
    expect((await sentinel.failover({ rejoin: true })).port).not.toBe(before.port);

    const worker = await harness(sentinel.url, { prefix });
    for (const id of ids) expect((await finalRecord(worker, id)).outcome).toBe('succeeded');
    for (const name of names) {
      await events.sync(name);
      expect(restarts(name), name).toBe(1);
    }
  }, 240_000);

  it('while a worker is busy: no job lost, no container restarted twice', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    // A short job lock: a job whose finish the old master took and lost runs again soon.
    const h = await harness(sentinel.url, { prefix, env: { WORKER_CONCURRENCY: '2', JOB_LOCK_SECONDS: '3' } });
    const names = Array.from({ length: 12 }, (_, i) => `${p}busy-${i}`);
    for (const name of names) await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const bodies = await Promise.all(names.map((n) => highLatency(n)));
    const res = await h.post({ ...bodies[0]!, alerts: bodies.map((b) => b.alerts[0]) });
    const ids: string[] = res.body.jobs.map((j: { jobId: string }) => j.jobId);
    expect(ids).toHaveLength(12);
    await pollUntil('a few restarts before the failover', 30_000, async () =>
      Promise.resolve(names.filter((n) => restarts(n) > 0).length >= 3),
    );
    await sentinel.failover({ rejoin: true });
    // (History, read through pollUntil: the fail-fast producer connection errors while it reconnects.)
    for (const id of ids) expect((await finalRecord(h, id)).outcome).toBe('succeeded');
    await pollUntil('every job completed in BullMQ', 60_000, async () => {
      const states = await Promise.all(ids.map((id) => h.runtime.queue.getJobState(id)));
      if (process.env.DEBUG_FORMS) console.log(states.join(','));
      return states.every((s) => s === 'completed');
    });
    for (const name of names) {
      await events.sync(name);
      expect(restarts(name), name).toBe(1);
    }
  }, 240_000);
});
