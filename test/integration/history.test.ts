// History against real Redis and Docker: jobs run through the real pipeline, their outcomes are
// kept beyond BullMQ's job retention and across a restart, and the filters and paging of the
// API and the CLI return exactly what they should.
import { execFile } from 'node:child_process';
import path from 'node:path';
import Docker from 'dockerode';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { historyCommand } from '../../src/cli/history.js';
import { createHistoryStore, type HistoryRecord } from '../../src/history/index.js';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { TOKEN, fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';
import { UsageError } from '../../src/errors.js';

const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'remediator.js');
const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('hist');
const PREFIX = `h${p.replace(/[^a-zA-Z0-9]/g, '')}`;
let dir: string;
let h: Harness;
const ids: Record<'succeeded' | 'failed' | 'refused' | 'cancelled', string> = {
  succeeded: '',
  failed: '',
  refused: '',
  cancelled: '',
};

async function post(
  alertname: string,
  container: string,
  fingerprint: string,
  status: 'firing' | 'resolved' = 'firing',
): Promise<string> {
  const body = await fixture(status === 'firing' ? 'firing-high-latency.json' : 'resolved-high-latency.json');
  Object.assign(body.alerts[0].labels, { alertname, container });
  body.alerts[0].fingerprint = fingerprint;
  const res = await h.post(body);
  expect(res.status).toBe(202);
  return res.body.jobs[0].jobId;
}

async function historyOf(jobId: string, outcome: string): Promise<HistoryRecord> {
  for (let i = 0; i < 100; i++) {
    const r = await h.runtime.history.get(jobId);
    if (r?.outcome === outcome) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no ${outcome} history for ${jobId}: ${JSON.stringify(await h.runtime.history.get(jobId))}`);
}

async function api(query: string, token = TOKEN): Promise<{ status: number; body: any }> {
  const res = await fetch(`${h.url}/api/v1/remediations${query}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  dir = await remediationsDir({
    'restart.yaml':
      'match: alertname="HighLatency"\ntarget:\n  container: "{{ labels.container }}"\naction:\n  type: restart\nretry:\n  attempts: 1\n',
    'later.yaml':
      'match: alertname="LaterAlert"\ntarget:\n  container: "{{ labels.container }}"\naction:\n  type: restart\ndelay: 5m\n',
  });
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: dir,
    env: { QUEUE_PREFIX: PREFIX },
  });
  await createTestContainer(docker, { name: `${p}api`, labels: { 'remediator.enable': 'true' } });
  await createTestContainer(docker, { name: `${p}noopt`, labels: {} });

  ids.succeeded = await post('HighLatency', `${p}api`, 'hist000000000001');
  ids.failed = await post('HighLatency', `${p}missing`, 'hist000000000002');
  ids.refused = await post('HighLatency', `${p}noopt`, 'hist000000000003');
  ids.cancelled = await post('LaterAlert', `${p}api`, 'hist000000000004');
  await post('LaterAlert', `${p}api`, 'hist000000000004', 'resolved');
  for (const [outcome, id] of Object.entries(ids)) await historyOf(id, outcome);
});

afterAll(async () => {
  await h?.stop();
  await removeContainers(docker, p);
});

describe('every job outcome is kept', () => {
  it('with what it was about and how it ended', async () => {
    expect(await h.runtime.history.get(ids.succeeded)).toMatchObject({
      remediation: 'restart',
      alertname: 'HighLatency',
      target: `${p}api`,
      targets: [`${p}api`],
      outcome: 'succeeded',
      attempts: 1,
      action: 'restart',
    });
    expect((await h.runtime.history.get(ids.failed))!.summary).toMatch(/not found/);
    expect((await h.runtime.history.get(ids.refused))!.summary).toMatch(/remediator\.enable=true/);
    expect(await h.runtime.history.get(ids.cancelled)).toMatchObject({
      remediation: 'later',
      outcome: 'cancelled',
      summary: 'alert resolved while the job was delayed',
    });
    expect((await h.runtime.history.get(ids.succeeded))!.hash).toBe(h.runtime.catalog().get('restart')!.hash);
  });

  it('the story: when the episode fired, and when Alertmanager said it resolved (endsAt), kept with the outcome', async () => {
    const resolved = await fixture('resolved-high-latency.json');
    expect(await h.runtime.history.get(ids.cancelled)).toMatchObject({
      firedAt: Date.parse(resolved.alerts[0].startsAt),
      endsAt: resolved.alerts[0].endsAt,
      resolvedAt: expect.any(Number),
    });
    const ok = (await h.runtime.history.get(ids.succeeded))!;
    expect(ok.firstActionAt).toBeGreaterThanOrEqual(ok.receivedAt);
    expect(ok.verifiedAt).toBe(ok.steps[0]!.finishedAt);
    expect(ok.resolvedAt).toBeUndefined();
  });

  it('after BullMQ removed the job', async () => {
    const job = await h.job(ids.failed);
    await job!.remove();
    expect(await h.job(ids.failed)).toBeUndefined();
    const page = await api(`?outcome=failed`);
    expect(page.body.records.map((r: HistoryRecord) => r.jobId)).toEqual([ids.failed]);
  });
});

describe('GET /api/v1/remediations', () => {
  it.each<[string, (keyof typeof ids)[]]>([
    ['', ['cancelled', 'refused', 'failed', 'succeeded']],
    ['?alertname=HighLatency', ['refused', 'failed', 'succeeded']],
    ['?remediation=later', ['cancelled']],
    ['?outcome=refused', ['refused']],
    ['?alertname=HighLatency&outcome=succeeded', ['succeeded']],
    ['?alertname=LaterAlert&outcome=succeeded', []],
    [`?target=${p}api`, ['cancelled', 'succeeded']],
    ['?since=1h', ['cancelled', 'refused', 'failed', 'succeeded']],
    [`?until=${new Date(Date.now() - 3_600_000).toISOString()}`, []],
  ])('%s', async (query, expected) => {
    const res = await api(query);
    expect(res.status).toBe(200);
    expect(res.body.records.map((r: HistoryRecord) => r.jobId)).toEqual(expected.map((k) => ids[k]));
    expect(res.body.nextCursor).toBeUndefined();
  });

  it('the time range is by when the alert was accepted, both ends inclusive', async () => {
    const t = (await h.runtime.history.get(ids.failed))!.receivedAt;
    const res = await api(`?since=${t}&until=${t}`);
    expect(res.body.records.map((r: HistoryRecord) => r.jobId)).toEqual([ids.failed]);
  });

  it('pages with limit and cursor: every record once, newest first', async () => {
    const seen: HistoryRecord[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const res = await api(`?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.body.records.length).toBeLessThanOrEqual(1);
      seen.push(...res.body.records);
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen.map((r) => r.jobId)).toEqual([ids.cancelled, ids.refused, ids.failed, ids.succeeded]);
    const times = seen.map((r) => r.receivedAt);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('needs the webhook credentials; a bad filter is a 400 naming it', async () => {
    expect((await api('', 'wrong-token-0123456789')).status).toBe(401);
    expect(await api('?outcome=great')).toMatchObject({ status: 400, body: { field: 'outcome' } });
    expect(await api('?since=soon')).toMatchObject({ status: 400, body: { field: 'since' } });
    expect((await api('?alert=HighLatency')).status).toBe(400);
  });
});

describe('a restart', () => {
  it('keeps the history: a runtime started anew on the same Redis reads the same records', async () => {
    const before = (await api('')).body.records;
    await h.stop();
    h = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: dir,
      env: { QUEUE_PREFIX: PREFIX },
    });
    // Right after a start the Redis connection may still be coming up: the API says 503, retry.
    let after = await api('');
    for (let i = 0; i < 50 && after.status === 503; i++)
      after = await new Promise((r) => setTimeout(r, 100)).then(() => api(''));
    expect(after).toEqual({ status: 200, body: { records: before } });
  });
});

describe('remediator history (CLI)', () => {
  const env = () => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: PREFIX,
  });

  /** The real binary, in another process: what a script sees. */
  function bin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) =>
      execFile(process.execPath, [BIN, 'history', ...args], { env: env(), timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
  }

  /** The same command in-process (saves a Node start per case). */
  async function cli(args: string[]): Promise<string> {
    let stdout = '';
    const code = await historyCommand(args, {
      out: { write: (x: string) => (stdout += x) },
      err: { write: () => undefined },
      stdin: [],
      env: env(),
    });
    expect(code).toBe(0);
    return stdout;
  }

  it('--json with filters and paging from another process, and a table for people', async () => {
    const json = await bin(['--alertname', 'HighLatency', '--limit', '2', '--json']);
    expect(json.code).toBe(0);
    const page = JSON.parse(json.stdout);
    expect(page.records.map((r: HistoryRecord) => r.jobId)).toEqual([ids.refused, ids.failed]);
    const rest = JSON.parse(
      await cli(['--alertname', 'HighLatency', '--limit', '2', '--cursor', page.nextCursor, '--json']),
    );
    expect(rest.records.map((r: HistoryRecord) => r.jobId)).toEqual([ids.succeeded]);
    expect(rest.nextCursor).toBeUndefined();

    const table = await cli(['--outcome', 'succeeded', '--since', '1h']);
    expect(table).toMatch(/^TIME\s+REMEDIATION\s+ALERT\s+TARGET\s+OUTCOME/);
    expect(table).toMatch(new RegExp(`restart\\s+HighLatency\\s+${p}api\\s+succeeded\\s+1\\s+restarted ${p}api`));
    expect(table).toContain('1 record\n');
    expect(table).not.toContain('\u001b[');
  });

  it('a bad filter is a usage error naming it (main exits 2)', async () => {
    await expect(cli(['--outcome', 'great'])).rejects.toThrow(UsageError);
    await expect(cli(['--outcome', 'great'])).rejects.toThrow(/^--outcome: expected one of queued, succeeded/);
  });
});

describe('retention and bounds', () => {
  const redis = new Redis(inject('redisUrl'));
  afterAll(() => redis.disconnect());
  const rec = (jobId: string, receivedAt: number, outcome: HistoryRecord['outcome'] = 'succeeded'): HistoryRecord => ({
    jobId,
    remediation: 'r',
    hash: 'h',
    phase: 'fire',
    host: 'local',
    action: 'restart',
    alertname: 'A',
    fingerprint: 'f',
    startsAt: '',
    target: 'c1',
    targets: ['c2'],
    outcome,
    summary: '',
    escalation: undefined,
    attempts: 1,
    dryRun: false,
    receivedAt,
    finishedAt: undefined,
    durationMs: undefined,
    steps: [],
  });

  it('drops records past the retention with their index entries, and keeps at most maxRecords', async () => {
    const prefix = `${PREFIX}ret`;
    let now = 1_000_000_000_000;
    const store = createHistoryStore({ redis, prefix, retentionSeconds: 60, maxRecords: 3, now: () => now });
    await store.record(rec('old', now - 120_000), 'final');
    await store.record(rec('a', now), 'final');
    expect(await store.get('old')).toBeUndefined(); // older than 60 s when a later write trims
    expect(await redis.zscore(store.keys.idx('target', 'c2'), 'old')).toBeNull();
    for (const id of ['b', 'c', 'd']) await store.record(rec(id, (now += 1)), 'final');
    expect((await store.query({})).records.map((r) => r.jobId)).toEqual(['d', 'c', 'b']);
    expect(await redis.zcard(store.keys.idx('alertname', 'A'))).toBe(3);
    expect(await redis.ttl(store.keys.rec('d'))).toBeGreaterThan(0);
  });

  it('a late "queued" never overwrites an outcome; an outcome moves the record between outcome indexes', async () => {
    const store = createHistoryStore({ redis, prefix: `${PREFIX}late`, retentionSeconds: 3600 });
    const t = Date.now();
    expect(await store.record(rec('j', t, 'queued'), 'initial')).toBe(true);
    expect(await store.record(rec('j', t, 'failed'), 'final')).toBe(true);
    expect(await store.record(rec('j', t, 'queued'), 'initial')).toBe(false);
    expect((await store.get('j'))?.outcome).toBe('failed');
    expect(await redis.zcard(store.keys.idx('outcome', 'queued'))).toBe(0);
    expect((await store.query({ outcome: 'failed' })).records.map((r) => r.jobId)).toEqual(['j']);
  });
});
