// HTTP semantics of the webhook against a real Redis: auth, validation, limits, 503 when Redis
// cannot take the alerts, and the health / metrics endpoints.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRedis } from '../../scripts/lib/daemons.js';
import { TOKEN, fixture, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
const jobCount = async (x: Harness) => {
  const c = await x.runtime.queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
  return Object.values(c).reduce((a, b) => a + b, 0);
};
/** remediator_alerts_refused_total{reason}, read over HTTP as Prometheus would. */
const refusedCount = async (x: Harness, reason: string) => {
  const text = await (await fetch(`${x.url}/metrics`)).text();
  const m = new RegExp(`^remediator_alerts_refused_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
};

beforeAll(async () => {
  // HTTP only: jobs stay in the queue where the test can count them.
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: 'remediations',
    worker: false,
  });
});
afterAll(async () => h?.stop());

describe('authentication', () => {
  it.each([
    ['a wrong token', { authorization: 'Bearer wrong-token-0123456789' }],
    ['no Authorization header', { authorization: '' }],
    [
      'basic credentials where a token is configured',
      { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
    ],
  ])('answers 401 for %s and queues nothing', async (_name, headers) => {
    const res = await h.post(await fixture('firing-high-latency.json'), headers);
    expect(res.status).toBe(401);
    expect(await jobCount(h)).toBe(0);
  });

  it('accepts basic auth when basic credentials are configured', async () => {
    const b = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: 'remediations',
      worker: false,
      env: { WEBHOOK_TOKEN: '', WEBHOOK_BASIC_USER: 'am', WEBHOOK_BASIC_PASSWORD: 'basic-secret-password' },
    });
    try {
      const good = await b.post(await fixture('firing-disk-full.json'), {
        authorization: `Basic ${Buffer.from('am:basic-secret-password').toString('base64')}`,
      });
      expect(good.status).toBe(202);
      const bad = await b.post(await fixture('firing-disk-full.json'), {
        authorization: `Basic ${Buffer.from('am:nope-nope-nope').toString('base64')}`,
      });
      expect(bad.status).toBe(401);
    } finally {
      await b.stop();
    }
  });

  it('takes the token from a secret file ending in a newline (WEBHOOK_TOKEN_FILE, trimmed)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rmd-tokfile-'));
    const file = path.join(dir, 'token');
    await writeFile(file, `${TOKEN}\n`, { mode: 0o600 });
    const t = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: 'remediations',
      worker: false,
      env: { WEBHOOK_TOKEN: '', WEBHOOK_TOKEN_FILE: file },
    });
    try {
      // Alertmanager trims its credentials_file too: it sends the token without the newline.
      expect((await t.post(await fixture('firing-disk-full.json'))).status).toBe(202);
    } finally {
      await t.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('never writes the token to the log', async () => {
    await h.post(await fixture('firing-high-latency.json'), { authorization: `Bearer ${TOKEN}x` });
    expect(JSON.stringify(h.logs)).not.toContain(TOKEN);
  });
});

describe('validation', () => {
  it.each([
    ['alerts missing', (b: any) => delete b.alerts, /alerts/],
    ['alerts not an array', (b: any) => (b.alerts = { 0: b.alerts[0] }), /alerts/],
    ['version "3"', (b: any) => (b.version = '3'), /version/],
    ['no status', (b: any) => delete b.status, /status/],
  ])(
    'answers 400 naming the field for a body that can never be valid: %s, and queues nothing',
    async (_n, mutate, field) => {
      const body = await fixture('firing-high-latency.json');
      mutate(body);
      const res = await h.post(body);
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(field);
      expect(res.body.field).toMatch(field);
      expect(await jobCount(h)).toBe(0);
    },
  );

  it.each([
    ['a fingerprint with ":"', (a: any) => (a.fingerprint = 'a:b'), '/fingerprint', 'schema'],
    ['a numeric label value', (a: any) => (a.labels.severity = 5), '/labels/severity', 'schema'],
    ['startsAt not a date', (a: any) => (a.startsAt = 'yesterday'), '/startsAt', 'schema'],
    [
      'a label value over 4,096 characters',
      (a: any) => (a.labels.detail = 'x'.repeat(4097)),
      '/labels/detail',
      'too_large',
    ],
    ['an alert that is not an object', (_a: any, b: any) => (b.alerts[0] = 'an alert'), '', 'schema'],
  ])(
    'refuses the alert alone for %s: 202 naming the field, the alert counted, nothing queued',
    async (_n, mutate, field, reason) => {
      const body = await fixture('firing-high-latency.json');
      const fingerprint = body.alerts[0].fingerprint;
      mutate(body.alerts[0], body);
      const before = await refusedCount(h, reason);
      const res = await h.post(body);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: 'refused', alerts: 1, accepted: 0, jobs: [] });
      expect(res.body.refused).toHaveLength(1);
      expect(res.body.refused[0]).toMatchObject({ index: 0, field, reason });
      // Only a well-formed fingerprint is echoed: a bad one is not "readable".
      if (field !== '/fingerprint' && field !== '') expect(res.body.refused[0].fingerprint).toBe(fingerprint);
      else expect(res.body.refused[0].fingerprint).toBeUndefined();
      expect(res.body.note).toMatch(/final/);
      expect(await refusedCount(h, reason)).toBe(before + 1);
      expect(await jobCount(h)).toBe(0);
    },
  );

  it('answers 400 for a body that is not an object', async () => {
    for (const text of ['[]', 'null', '"alerts"', '4']) {
      const res = await h.post(text);
      expect(res.status).toBe(400);
    }
    expect(await jobCount(h)).toBe(0);
  });

  it('answers 400 for malformed JSON and for __proto__ keys', async () => {
    expect((await h.post('{"version":"4",')).status).toBe(400);
    const poisoned = JSON.stringify(await fixture('firing-high-latency.json')).replace(
      '{"receiver"',
      '{"__proto__":{"polluted":true},"receiver"',
    );
    expect((await h.post(poisoned)).status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await jobCount(h)).toBe(0);
  });

  it('answers 413 over the body limit and keeps serving', async () => {
    const body = await fixture('firing-high-latency.json');
    body.padding = 'x'.repeat(1_100_000);
    expect((await h.post(body)).status).toBe(413);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });

  it('accepts unknown extra fields and an alert that matches nothing (202, no job)', async () => {
    const body = await fixture('firing-high-latency.json');
    body.newField = { from: 'a future Alertmanager' };
    body.alerts[0].labels.alertname = 'SomethingElse';
    const res = await h.post(body);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ alerts: 1, unmatched: 1, jobs: [] });
  });
});

describe('accepting alerts', () => {
  it('queues one job per alert of a grouped (truncated) delivery, and a re-send adds nothing', async () => {
    const body = await fixture('grouped-truncated-disk-full.json');
    const res = await h.post(body);
    expect(res.status).toBe(202);
    expect(res.body.jobs.map((j: { status: string }) => j.status)).toEqual(['enqueued', 'enqueued']);
    const again = await h.post(body);
    expect(again.body.jobs.map((j: { status: string }) => j.status)).toEqual(['duplicate', 'duplicate']);
    const ids = res.body.jobs.map((j: { jobId: string }) => j.jobId);
    for (const id of ids) expect(id).not.toContain(':');
    const waiting = await h.runtime.queue.getJobs(['waiting', 'delayed']);
    expect(waiting.map((j) => j.id).sort()).toEqual([...ids].sort());
  });

  it('serves /healthz, /readyz and /metrics with the webhook counters', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { redis: 'ok', rules: 'ok' } });
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/remediator_webhook_requests_total\{code="202"\} [1-9]/);
    expect(metrics).toMatch(/remediator_webhook_requests_total\{code="401"\} [1-9]/);
    expect(metrics).toMatch(/remediator_jobs_enqueued_total\{remediation="disk-full"\} 2/);
    expect(metrics).toMatch(/remediator_jobs_deduplicated_total\{remediation="disk-full"\} 2/);
    expect(metrics).toMatch(/remediator_queue_jobs\{queue="remediations",state="waiting",host="local"\} 2/);
  });
});

describe('one bad alert in a group', () => {
  // After the metrics test above, which counts this harness' jobs exactly.
  it('enqueues the good alerts of the group and refuses the bad one alone, in the 202 body', async () => {
    const body = await fixture('grouped-truncated-disk-full.json');
    const [a, b] = body.alerts;
    a.fingerprint = 'aaaa000000000001';
    b.fingerprint = 'aaaa000000000003';
    const bad = structuredClone(a);
    bad.fingerprint = 'aaaa000000000002';
    bad.labels.detail = 'x'.repeat(5000);
    body.alerts = [a, bad, b];
    const before = await jobCount(h);
    const res = await h.post(body);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'partial', alerts: 3, accepted: 2, unmatched: 0, ignored: [] });
    expect(res.body.refused).toEqual([
      expect.objectContaining({
        index: 1,
        fingerprint: 'aaaa000000000002',
        alertname: 'disk_full',
        field: '/labels/detail',
        reason: 'too_large',
      }),
    ]);
    expect(res.body.refused[0].message).toMatch(/4096/);
    expect(res.body.jobs.map((j: { fingerprint: string; status: string }) => [j.fingerprint, j.status])).toEqual([
      ['aaaa000000000001', 'enqueued'],
      ['aaaa000000000003', 'enqueued'],
    ]);
    expect((await jobCount(h)) - before).toBe(2);
    const queued = await h.runtime.queue.getJobs(['waiting', 'delayed']);
    expect(queued.map((j) => j.data.alert.fingerprint)).not.toContain('aaaa000000000002');
    // Logged once, with its fingerprint and index.
    const lines = h.logs.filter((l) => l.msg === 'alert refused: the rest of its delivery was accepted');
    expect(lines.filter((l) => l.fingerprint === 'aaaa000000000002')).toEqual([
      expect.objectContaining({ index: 1, field: '/labels/detail', reason: 'too_large' }),
    ]);
  });

  it('leaves an invalid group field out and still enqueues the alerts', async () => {
    const body = await fixture('firing-high-latency.json');
    body.alerts[0].fingerprint = 'bbbb000000000001';
    body.groupKey = 'k'.repeat(20_000);
    body.commonLabels = { alertname: 42 };
    const res = await h.post(body);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'accepted', accepted: 1, refused: [] });
    expect(res.body.ignored.map((i: { field: string; reason: string }) => [i.field, i.reason])).toEqual([
      ['/commonLabels/alertname', 'schema'],
      ['/groupKey', 'too_large'],
    ]);
    expect(res.body.jobs.map((j: { status: string }) => j.status)).toEqual(['enqueued']);
    const job = await h.job(res.body.jobs[0].jobId);
    expect(job?.data.group.groupKey).toBeUndefined();
  });
});

describe('Redis unavailable', () => {
  it('answers 503 within about a second while Redis is down, and 202 again once it is back', async () => {
    const redis = await startRedis({ dir: await mkdtemp(path.join(os.tmpdir(), 'rmd-r503-')), aof: true });
    const x = await startHarness({
      redisUrl: redis.url,
      dockerHost: inject('dockerHost'),
      remediationsDir: 'remediations',
      worker: false,
    });
    try {
      expect((await x.post(await fixture('firing-disk-full.json'))).status).toBe(202);
      await redis.stop();
      const t0 = Date.now();
      const down = await x.post(await fixture('firing-high-latency.json'), {}, { retry503: false });
      const elapsed = Date.now() - t0;
      expect(down.status).toBe(503);
      expect(elapsed).toBeLessThan(2_500); // fails fast: Alertmanager retries a 5xx
      expect((await fetch(`${x.url}/readyz`)).status).toBe(503);

      await redis.restart();
      let status = 0;
      for (let i = 0; i < 50 && status !== 202; i++) {
        status = (await x.post(await fixture('firing-high-latency.json'))).status;
        if (status !== 202) await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toBe(202);
      // The job accepted before the outage survived the restart (AOF).
      expect((await x.runtime.queue.getJobs(['waiting'])).map((j) => j.name).sort()).toEqual([
        'disk-full',
        'high-latency',
      ]);
    } finally {
      await x.stop();
      await redis.stop().catch(() => undefined);
    }
  });
});
