import { describe, expect, it } from 'vitest';
import { splitAlerts } from '../../../src/alertmanager/split.js';
import { InvalidPayloadError } from '../../../src/errors.js';
import { FIXTURE_NAMES, fixture } from '../fixtures.js';

const grouped = () => {
  const p = fixture('grouped-truncated-disk-full') as unknown as Record<string, any>;
  const [a, b] = p.alerts;
  const bad = structuredClone(a);
  bad.fingerprint = 'bad0000000000000';
  p.alerts = [a, bad, b];
  return { p, bad };
};

const envelopeError = (body: unknown): InvalidPayloadError => {
  try {
    splitAlerts(body);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidPayloadError);
    return err as InvalidPayloadError;
  }
  return expect.unreachable('expected an InvalidPayloadError');
};

describe('splitAlerts: the envelope', () => {
  it.each(FIXTURE_NAMES)('takes every alert of the captured payload %s, refusing none', (name) => {
    const body = fixture(name);
    const { payload, refused, ignored } = splitAlerts(body);
    expect(refused).toEqual([]);
    expect(ignored).toEqual([]);
    expect(payload.alerts).toEqual(body.alerts);
    expect(payload).toMatchObject({ version: '4', status: body.status, receiver: body.receiver });
  });

  it.each([
    ['an array', [], ''],
    ['null', null, ''],
    ['a string', 'alerts', ''],
    ['no alerts', { version: '4', status: 'firing' }, '/alerts'],
    ['alerts not an array', { version: '4', status: 'firing', alerts: {} }, '/alerts'],
    ['version "3"', { version: '3', status: 'firing', alerts: [] }, '/version'],
    ['version 4 as a number', { version: 4, status: 'firing', alerts: [] }, '/version'],
    ['no status', { version: '4', alerts: [] }, '/status'],
    ['status "pending"', { version: '4', status: 'pending', alerts: [] }, '/status'],
  ])('throws for a body that can never be valid: %s, naming %j', (_n, body, field) => {
    const err = envelopeError(body);
    expect(err.field).toBe(field);
    if (field) expect(err.message).toContain(field);
  });

  it('refuses more than 1000 alerts as a whole, saying the limit and max_alerts', () => {
    const p = fixture('firing-high-latency');
    p.alerts = Array.from({ length: 1001 }, () => p.alerts[0]!);
    const err = envelopeError(p);
    expect(err.field).toBe('/alerts');
    expect(err.message).toMatch(/at most 1000 alerts \(got 1001\).*max_alerts/);
  });

  it('names the source it was given (a file for simulate)', () => {
    expect(() => splitAlerts([], 'payload.json')).toThrow(/^payload\.json/);
  });

  it('accepts unknown fields at the top and in an alert; the alert keeps its own', () => {
    const p = fixture('firing-high-latency') as unknown as Record<string, any>;
    p.newField = { any: 'thing' };
    p.alerts[0].silencedBy = ['abc'];
    const { payload, refused } = splitAlerts(p);
    expect(refused).toEqual([]);
    expect(payload.alerts[0]).toHaveProperty('silencedBy', ['abc']);
    expect(payload).not.toHaveProperty('newField');
  });

  it('leaves an invalid group field out, lists it, and keeps the valid ones and every alert', () => {
    const p = fixture('firing-high-latency') as unknown as Record<string, any>;
    p.externalURL = 'u'.repeat(3000);
    p.truncatedAlerts = -1;
    p.groupLabels = { alertname: 'HighLatency' };
    const { payload, ignored, refused } = splitAlerts(p);
    expect(ignored).toEqual([
      expect.objectContaining({ field: '/externalURL', reason: 'too_large' }),
      expect.objectContaining({ field: '/truncatedAlerts', reason: 'schema' }),
    ]);
    expect(payload.externalURL).toBeUndefined();
    expect(payload.truncatedAlerts).toBeUndefined();
    expect(payload.groupLabels).toEqual({ alertname: 'HighLatency' });
    expect(refused).toEqual([]);
    expect(payload.alerts).toHaveLength(1);
  });
});

describe('splitAlerts: each alert on its own', () => {
  it('refuses an oversized label value alone; the others stay, in order', () => {
    const { p, bad } = grouped();
    bad.labels.detail = 'x'.repeat(4097);
    const { payload, refused } = splitAlerts(p);
    expect(payload.alerts.map((a) => a.fingerprint)).toEqual([p.alerts[0].fingerprint, p.alerts[2].fingerprint]);
    expect(refused).toEqual([
      {
        index: 1,
        fingerprint: 'bad0000000000000',
        alertname: 'disk_full',
        field: '/labels/detail',
        reason: 'too_large',
        message: 'expected string length less or equal to 4096 (got 4097)',
      },
    ]);
  });

  it('takes a label value of exactly 4096 characters', () => {
    const { p, bad } = grouped();
    bad.labels.detail = 'x'.repeat(4096);
    expect(splitAlerts(p).refused).toEqual([]);
  });

  it.each([
    [
      'too many labels',
      (a: any) => Object.assign(a.labels, Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`l${i}`, 'v']))),
      '/labels',
      'too_large',
    ],
    [
      'an oversized annotation',
      (a: any) => (a.annotations.description = 'd'.repeat(16_385)),
      '/annotations/description',
      'too_large',
    ],
    ['a numeric label value', (a: any) => (a.labels.replicas = 3), '/labels/replicas', 'schema'],
    ['startsAt not a date', (a: any) => (a.startsAt = 'yesterday'), '/startsAt', 'schema'],
    ['status "pending"', (a: any) => (a.status = 'pending'), '/status', 'schema'],
    ['no labels', (a: any) => delete a.labels, '/labels', 'schema'],
  ])('refuses %s as %j (%s), keeping its fingerprint', (_n, mutate, field, reason) => {
    const { p, bad } = grouped();
    mutate(bad);
    const { payload, refused } = splitAlerts(p);
    expect(payload.alerts).toHaveLength(2);
    expect(refused).toEqual([expect.objectContaining({ index: 1, fingerprint: 'bad0000000000000', field, reason })]);
    if (field === '/status') expect(refused[0]!.message).toBe('expected "firing" or "resolved"');
  });

  it.each(['a:b', '', 'x'.repeat(65), 42])('refuses the fingerprint %j and does not echo it', (fingerprint) => {
    const { p, bad } = grouped();
    bad.fingerprint = fingerprint;
    const { refused } = splitAlerts(p);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ index: 1, field: '/fingerprint', reason: 'schema' });
    expect(refused[0]).not.toHaveProperty('fingerprint');
  });

  it.each([null, 5, 'alert', [], true])('refuses an alert that is not an object (%j)', (value) => {
    const { p } = grouped();
    p.alerts[1] = value;
    const { payload, refused } = splitAlerts(p);
    expect(payload.alerts).toHaveLength(2);
    expect(refused).toEqual([{ index: 1, field: '', reason: 'schema', message: 'expected object' }]);
  });

  it('does not echo an alertname that is itself the oversized value', () => {
    const { p, bad } = grouped();
    bad.labels.alertname = 'a'.repeat(5000);
    const [r] = splitAlerts(p).refused;
    expect(r).toMatchObject({ field: '/labels/alertname', reason: 'too_large' });
    expect(r).not.toHaveProperty('alertname');
  });

  it('refuses every alert and still returns the envelope (the caller answers 202: refusals are final)', () => {
    const { p } = grouped();
    for (const a of p.alerts) a.startsAt = 'never';
    const { payload, refused } = splitAlerts(p);
    expect(payload.alerts).toEqual([]);
    expect(refused.map((r) => r.index)).toEqual([0, 1, 2]);
  });

  it('never puts the offending value in the message', () => {
    const { p, bad } = grouped();
    bad.labels.detail = 'SECRET-LIKE-VALUE'.repeat(300);
    expect(JSON.stringify(splitAlerts(p).refused)).not.toContain('SECRET-LIKE-VALUE');
  });
});
