// The silencer's decisions, without I/O: an in-memory Alertmanager API and Redis stand in for
// the real ones (test/e2e/silence.test.ts runs it against a real Alertmanager).
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseRemediation } from '../../../src/catalog/load.js';
import { createEvents } from '../../../src/lifecycle/events.js';
import type { RemediationJobData } from '../../../src/queue/contract.js';
import type { AlertmanagerApi, SilenceRequest } from '../../../src/alertmanager/api.js';
import { attachSilencer, silenceFor, silenceKey } from '../../../src/silence/silencer.js';
import { alertOf } from '../fixtures.js';

const NOW = Date.parse('2024-05-01T10:00:00Z');

function jobData(
  silence: { maxDurationMs: number } | undefined,
  phase: 'fire' | 'resolve' = 'fire',
): RemediationJobData {
  const alert = alertOf('firing-high-latency');
  const { remediation } = parseRemediation(
    'r/high-latency.yaml',
    'match: alertname="HighLatency"\ntarget: {container: "{{ labels.container }}"}\naction: {type: restart}\n',
  );
  return {
    phase,
    host: 'local',
    remediation: { ...remediation!, silence },
    alert: { ...alert, annotations: alert.annotations ?? {}, endsAt: alert.endsAt, generatorURL: alert.generatorURL },
    episode: { fingerprint: alert.fingerprint, startsAt: alert.startsAt, startsAtMs: Date.parse(alert.startsAt) },
    group: { receiver: 'remediator', externalURL: undefined, groupKey: undefined },
    receivedAt: NOW,
  };
}

function fakes(opts: { createDelayMs?: number; failCreate?: boolean } = {}) {
  const store = new Map<string, string>();
  const created: SilenceRequest[] = [];
  const expired: string[] = [];
  const api: AlertmanagerApi = {
    host: 'am.test:9093',
    isFiring: async () => true,
    async createSilence(s) {
      await new Promise((r) => setTimeout(r, opts.createDelayMs ?? 0));
      if (opts.failCreate) throw new Error('connect ECONNREFUSED');
      created.push(s);
      return `sil-${created.length}`;
    },
    async expireSilence(id) {
      expired.push(id);
    },
  };
  const redis = {
    get: async (k: string) => store.get(k) ?? null,
    set: async (k: string, v: string) => (store.set(k, v), 'OK' as const),
    del: async (k: string) => Number(store.delete(k)),
  };
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void logs.push(JSON.parse(l)) });
  const events = createEvents((_n, err) => {
    throw err;
  });
  const silencer = attachSilencer({ events, redis: redis as never, api, log, prefix: 'rx', now: () => NOW });
  return { store, created, expired, logs, events, silencer };
}

const finished = (data: RemediationJobData) => ({
  jobId: 'j1',
  data,
  outcome: 'succeeded' as const,
  result: undefined,
  reason: undefined,
  escalation: undefined,
  attempts: 1,
});

describe('silenceFor', () => {
  it('matches every label of the alert exactly and ends at now + maxDuration', () => {
    const data = jobData({ maxDurationMs: 600_000 });
    const s = silenceFor({ jobId: 'j1', data, action: 'restart', targets: ['api-1'] }, NOW, 600_000);
    expect(s.matchers).toEqual(
      Object.keys(data.alert.labels)
        .sort()
        .map((name) => ({ name, value: data.alert.labels[name], isRegex: false, isEqual: true })),
    );
    expect(s.startsAt).toBe('2024-05-01T10:00:00.000Z');
    expect(s.endsAt).toBe('2024-05-01T10:10:00.000Z');
    expect(s.createdBy).toBe('remediator');
    expect(s.comment).toContain('j1');
    expect(s.comment).toContain('restart on api-1');
  });
});

describe('attachSilencer', () => {
  it('silences on job.acting and expires on job.finished, even when the action ends before Alertmanager answers', async () => {
    const f = fakes({ createDelayMs: 30 });
    const data = jobData({ maxDurationMs: 60_000 });
    f.events.emit('job.acting', { jobId: 'j1', data, targets: ['api-1'], action: 'restart' });
    f.events.emit('job.finished', finished(data)); // before the creation has answered
    await f.silencer.settled();
    expect(f.created).toHaveLength(1);
    expect(f.expired).toEqual(['sil-1']);
    expect(f.store.has(silenceKey('rx', 'j1'))).toBe(false);
  });

  it('keeps one silence across retries of the same job', async () => {
    const f = fakes();
    const data = jobData({ maxDurationMs: 60_000 });
    f.events.emit('job.acting', { jobId: 'j1', data, targets: ['api-1'], action: 'restart' });
    await f.silencer.settled();
    f.events.emit('job.acting', { jobId: 'j1', data, targets: ['api-1'], action: 'restart' });
    await f.silencer.settled();
    expect(f.created).toHaveLength(1);
    expect(f.store.get(silenceKey('rx', 'j1'))).toBe('sil-1');
  });

  it('does nothing for remediations without silence, and for onResolved jobs', async () => {
    const f = fakes();
    for (const data of [jobData(undefined), jobData({ maxDurationMs: 60_000 }, 'resolve')]) {
      f.events.emit('job.acting', { jobId: 'j1', data, targets: [], action: 'scale' });
      f.events.emit('job.finished', finished(data));
    }
    await f.silencer.settled();
    expect(f.created).toEqual([]);
    expect(f.expired).toEqual([]);
  });

  it('a failing Alertmanager is logged, never thrown into the job', async () => {
    const f = fakes({ failCreate: true });
    const data = jobData({ maxDurationMs: 60_000 });
    f.events.emit('job.acting', { jobId: 'j1', data, targets: ['api-1'], action: 'restart' });
    f.events.emit('job.finished', finished(data));
    await f.silencer.settled();
    expect(f.expired).toEqual([]);
    expect(f.logs.find((l) => l.msg === 'could not silence the alert; remediating anyway')).toMatchObject({
      err: 'connect ECONNREFUSED',
      jobId: 'j1',
    });
  });
});

describe('the silence option of a remediation file', () => {
  const base = 'match: alertname="x"\naction: {type: prune}\n';
  it('is off by default, on with a 30m bound when asked, bounded by maxDuration', () => {
    expect(parseRemediation('r/a.yaml', base).remediation!.silence).toBeUndefined();
    expect(parseRemediation('r/a.yaml', `${base}silence: {enabled: true}\n`).remediation!.silence).toEqual({
      maxDurationMs: 1_800_000,
    });
    expect(
      parseRemediation('r/a.yaml', `${base}silence: {enabled: true, maxDuration: 5m}\n`).remediation!.silence,
    ).toEqual({ maxDurationMs: 300_000 });
    expect(
      parseRemediation('r/a.yaml', `${base}silence: {enabled: false, maxDuration: 5m}\n`).remediation!.silence,
    ).toBeUndefined();
  });

  it('rejects a bad maxDuration or an unknown key, naming the path', () => {
    expect(parseRemediation('r/a.yaml', `${base}silence: {enabled: true, maxDuration: soon}\n`).problems).toEqual([
      expect.objectContaining({ path: '/silence/maxDuration', reason: expect.stringContaining('expected a duration') }),
    ]);
    expect(parseRemediation('r/a.yaml', `${base}silence: {enabled: true, maxDuration: 2d}\n`).problems).toEqual([
      expect.objectContaining({ path: '/silence/maxDuration', reason: expect.stringContaining('1s to 24h') }),
    ]);
    expect(parseRemediation('r/a.yaml', `${base}silence: {enable: true}\n`).problems).toEqual([
      expect.objectContaining({ path: '/silence/enable', reason: expect.stringContaining('unknown key') }),
    ]);
  });
});
