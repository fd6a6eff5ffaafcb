// Hostile and odd webhook bodies against the real HTTP server and Redis: the right 4xx and
// nothing queued for bodies that can never be valid, a bad alert refused alone (202), never a
// 5xx, and the process keeps serving.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fixture, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
const queued = async () => {
  const c = await h.runtime.queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized');
  return Object.values(c).reduce((a, b) => a + b, 0);
};
beforeAll(async () => {
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: 'remediations',
    worker: false,
  });
});
afterAll(async () => h?.stop());

describe('named hostile bodies', () => {
  it.each([
    ['malformed JSON', () => '{"version":"4","alerts":[', 400],
    ['an empty body', () => '', 400],
    ['a JSON array', () => '[]', 400],
    [
      '__proto__ at the top',
      async () => JSON.stringify(await fixture('firing-high-latency.json')).replace('{', '{"__proto__":{"x":1},'),
      400,
    ],
    [
      'constructor.prototype in an alert',
      async () =>
        JSON.stringify(await fixture('firing-high-latency.json')).replace(
          '"labels":{',
          '"constructor":{"prototype":{"x":1}},"labels":{',
        ),
      400,
    ],
    [
      'alerts missing',
      async () => {
        const b = await fixture('firing-high-latency.json');
        delete b.alerts;
        return JSON.stringify(b);
      },
      400,
    ],
    [
      '2,000 alerts in one body',
      async () => {
        const b = await fixture('firing-high-latency.json');
        b.alerts = Array.from({ length: 2000 }, () => b.alerts[0]);
        return JSON.stringify(b);
      },
      400,
    ],
    [
      'a body over the limit',
      async () => JSON.stringify({ ...(await fixture('firing-high-latency.json')), pad: 'x'.repeat(1_200_000) }),
      413,
    ],
  ])('%s: %s, nothing queued', async (_name, make, status) => {
    const before = await queued();
    const res = await h.post(await make());
    expect(res.status).toBe(status);
    expect(await queued()).toBe(before);
  });

  it('a 10 kB label value: that alert is refused alone (202, too_large), nothing queued', async () => {
    const b = await fixture('firing-high-latency.json');
    b.alerts[0].labels.container = 'a'.repeat(10_240);
    const before = await queued();
    const res = await h.post(JSON.stringify(b));
    expect(res.status).toBe(202);
    expect(res.body.refused).toEqual([
      expect.objectContaining({ index: 0, field: '/labels/container', reason: 'too_large' }),
    ]);
    expect(await queued()).toBe(before);
  });

  it('unicode and control characters in labels are valid alerts: accepted, and an unmatched one queues nothing', async () => {
    const b = await fixture('firing-high-latency.json');
    b.alerts[0].labels.alertname = 'Latenz\u00e9\u{1F525}\u0000\u0007\u001b[31m';
    b.alerts[0].annotations.summary = '\u202e\u0000<!channel>';
    const before = await queued();
    const res = await h.post(b);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ unmatched: 1, jobs: [] });
    expect(await queued()).toBe(before);
  });
});

describe('property: any body', () => {
  it('gets 202, 400 or 413, never a 5xx; only 202 can queue; the server keeps serving', async () => {
    const base = await fixture('firing-disk-full.json');
    // Mutations of a real payload: replace any field at any depth with any JSON value.
    const mutated = fc
      .tuple(
        fc.constantFrom(
          'version',
          'status',
          'alerts',
          'receiver',
          'groupKey',
          'truncatedAlerts',
          'alert.labels',
          'alert.fingerprint',
          'alert.startsAt',
          'alert.status',
          'alert.annotations',
        ),
        fc.jsonValue(),
      )
      .map(([path, value]) => {
        const b = structuredClone(base);
        if (path.startsWith('alert.')) b.alerts[0][path.slice(6)] = value;
        else b[path] = value;
        return JSON.stringify(b);
      });
    const anything = fc.oneof(fc.json(), fc.string({ unit: 'binary', maxLength: 300 }), mutated, mutated);
    let accepted = 0;
    const before = await queued();
    await fc.assert(
      fc.asyncProperty(anything, async (body) => {
        const res = await h.post(body);
        expect([202, 400, 413]).toContain(res.status);
        if (res.status === 202) {
          accepted += (res.body.jobs as { status: string }[]).filter((j) => j.status === 'enqueued').length;
          // Every alert of the body is either taken or refused, never silently lost.
          expect(res.body.accepted + res.body.refused.length).toBe(res.body.alerts);
        }
      }),
      { numRuns: 300 },
    );
    expect((await queued()) - before).toBe(accepted);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).not.toMatch(/remediator_webhook_requests_total\{code="5\d\d"\}/);
  });

  it('an alert-level fault never refuses the group: 202, the bad alert alone refused, the good one taken', async () => {
    const base = await fixture('firing-disk-full.json');
    const good = { ...base.alerts[0], fingerprint: 'cafe000000000001' };
    // The first alert: any field replaced with any JSON value, or the alert itself replaced.
    const faulty = fc
      .tuple(
        fc.constantFrom('labels', 'fingerprint', 'startsAt', 'status', 'annotations', 'generatorURL', '(alert)'),
        fc.jsonValue(),
      )
      .map(([field, value]) => {
        const b = structuredClone(base);
        if (field === '(alert)') b.alerts[0] = value;
        else b.alerts[0][field] = value;
        b.alerts.push(good);
        return JSON.stringify(b);
      })
      // A `__proto__` or `constructor` key anywhere is refused for the whole body (400) by design.
      .filter((text) => !text.includes('"__proto__"') && !text.includes('"constructor"'));
    await fc.assert(
      fc.asyncProperty(faulty, async (body) => {
        const res = await h.post(body);
        expect(res.status).toBe(202);
        expect(res.body.alerts).toBe(2);
        const refused = (res.body.refused as { index: number; reason: string }[]).map((r) => r.index);
        expect(refused.every((i) => i === 0)).toBe(true);
        expect(res.body.accepted).toBe(2 - refused.length);
        const jobs = res.body.jobs as { fingerprint: string }[];
        expect(jobs.some((j) => j.fingerprint === 'cafe000000000001')).toBe(true);
      }),
      { numRuns: 200 },
    );
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });
});
