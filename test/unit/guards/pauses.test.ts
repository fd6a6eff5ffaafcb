import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../src/errors.js';
import {
  parseFor,
  parseTargetRef,
  pauseFor,
  pauseIdOf,
  pauseMatches,
  scopeFrom,
  type Pause,
} from '../../../src/guards/pauses.js';

const T = 1_000_000;
const pause = (scope: Pause['scope'], until = T + 60_000): Pause => ({
  id: pauseIdOf(scope),
  scope,
  by: 'alice',
  reason: 'r',
  createdAt: T,
  until,
});
const subject = { host: 'local', remediation: 'high-latency', names: ['api', 'shop-api'] };

describe('pauses: matching', () => {
  it('all matches everything; a remediation its own jobs; a target its host and names (HOST/* the whole host)', () => {
    expect(pauseMatches(pause({ kind: 'all' }), subject)).toBe(true);
    expect(pauseMatches(pause({ kind: 'remediation', id: 'high-latency' }), subject)).toBe(true);
    expect(pauseMatches(pause({ kind: 'remediation', id: 'disk-full' }), subject)).toBe(false);
    expect(pauseMatches(pause({ kind: 'target', host: 'local', name: 'shop-api' }), subject)).toBe(true);
    expect(pauseMatches(pause({ kind: 'target', host: 'local', name: 'web' }), subject)).toBe(false);
    expect(pauseMatches(pause({ kind: 'target', host: 'edge-1', name: 'api' }), subject)).toBe(false);
    expect(pauseMatches(pause({ kind: 'target', host: 'local', name: '*' }), subject)).toBe(true);
  });

  it('the pause in force is the one that lasts longest; ended pauses hold nothing', () => {
    const short = pause({ kind: 'target', host: 'local', name: 'api' }, T + 1_000);
    const long = pause({ kind: 'all' }, T + 9_000);
    const over = pause({ kind: 'remediation', id: 'high-latency' }, T - 1);
    expect(pauseFor([short, long, over], subject, T)?.id).toBe('all');
    expect(pauseFor([over], subject, T)).toBeUndefined();
  });
});

describe('pauses: what an operator types', () => {
  it('HOST/NAME or NAME on the default host; names follow Docker rule', () => {
    expect(parseTargetRef('edge-1/api')).toEqual({ host: 'edge-1', name: 'api' });
    expect(parseTargetRef('api')).toEqual({ host: 'local', name: 'api' });
    expect(parseTargetRef('edge-1/*')).toEqual({ host: 'edge-1', name: '*' });
    expect(() => parseTargetRef('edge-1/a;b')).toThrow(BadInputError);
    expect(() => parseTargetRef('../x/api')).toThrow(/is not a Docker host name/);
  });

  it('exactly one of target, remediation, all', () => {
    expect(scopeFrom({ all: true })).toEqual({ kind: 'all' });
    expect(scopeFrom({ remediation: 'disk-full' })).toEqual({ kind: 'remediation', id: 'disk-full' });
    expect(scopeFrom({ target: 'local/api' })).toEqual({ kind: 'target', host: 'local', name: 'api' });
    expect(() => scopeFrom({})).toThrow(/exactly one of/);
    expect(() => scopeFrom({ all: true, target: 'api' })).toThrow(/exactly one of/);
    expect(() => scopeFrom({ remediation: 'a.b' })).toThrow(/not a remediation id/);
  });

  it('--for takes 30s, 30m, 1h, 2d', () => {
    expect(parseFor('30m')).toBe(1_800_000);
    expect(parseFor('1h')).toBe(3_600_000);
    expect(parseFor('2d')).toBe(172_800_000);
    expect(() => parseFor('forever')).toThrow(/not a duration/);
  });
});
