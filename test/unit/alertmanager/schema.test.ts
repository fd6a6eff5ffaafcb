import { FormatRegistry } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, it } from 'vitest';
import { WebhookPayloadSchema } from '../../../src/alertmanager/schema.js';
import { FIXTURE_NAMES, fixture } from '../fixtures.js';

// TypeBox knows no string formats by itself (Fastify's Ajv brings its own). Register an
// RFC 3339 date-time check, as Ajv's, so the schema can be compiled and checked here.
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i;
if (!FormatRegistry.Has('date-time'))
  FormatRegistry.Set('date-time', (v) => RFC3339.test(v) && !Number.isNaN(Date.parse(v)));

const payload = TypeCompiler.Compile(WebhookPayloadSchema);
const errorsOf = (value: unknown) => [...payload.Errors(value)].map((e) => `${e.path} ${e.message}`);

describe('WebhookPayloadSchema', () => {
  it.each(FIXTURE_NAMES)('accepts the captured payload %s', (name) => {
    expect(errorsOf(fixture(name))).toEqual([]);
  });

  it('accepts unknown extra fields, at the top and in an alert', () => {
    const p = structuredClone(fixture('firing-high-latency')) as unknown as Record<string, unknown> & {
      alerts: Record<string, unknown>[];
    };
    p.newField = { any: 'thing' };
    p.alerts[0]!.silencedBy = ['abc'];
    expect(payload.Check(p)).toBe(true);
  });

  it('refuses a payload without alerts', () => {
    const p: Record<string, unknown> = structuredClone(fixture('firing-high-latency'));
    delete p.alerts;
    expect(payload.Check(p)).toBe(false);
    expect(errorsOf(p).some((e) => e.startsWith('/alerts '))).toBe(true);
  });

  it.each([['3'], [4], [undefined]])('refuses version %j', (version) => {
    const p: Record<string, unknown> = structuredClone(fixture('firing-high-latency'));
    if (version === undefined) delete p.version;
    else p.version = version;
    expect(payload.Check(p)).toBe(false);
  });

  it.each(['a:b', '', 'x'.repeat(65), 'ab/cd'])('refuses the fingerprint %j (it ends up in job ids)', (fingerprint) => {
    const p = structuredClone(fixture('firing-high-latency'));
    p.alerts[0]!.fingerprint = fingerprint;
    expect(payload.Check(p)).toBe(false);
    expect(errorsOf(p).some((e) => e.startsWith('/alerts/0/fingerprint '))).toBe(true);
  });

  it('refuses an alert status other than firing/resolved', () => {
    const p = structuredClone(fixture('firing-high-latency')) as unknown as { alerts: { status: string }[] };
    p.alerts[0]!.status = 'pending';
    expect(payload.Check(p)).toBe(false);
  });

  it('refuses a non-string label value', () => {
    const p = structuredClone(fixture('firing-high-latency')) as unknown as {
      alerts: { labels: Record<string, unknown> }[];
    };
    p.alerts[0]!.labels.replicas = 3;
    expect(payload.Check(p)).toBe(false);
  });

  it('refuses a startsAt that is not a date-time', () => {
    const p = structuredClone(fixture('firing-high-latency'));
    p.alerts[0]!.startsAt = 'yesterday';
    expect(payload.Check(p)).toBe(false);
  });
});
