import { describe, expect, it } from 'vitest';
import { episodeJobId, episodeOf } from '../../../src/alertmanager/episode.js';
import { alertOf, fixture } from '../fixtures.js';

describe('episodeOf', () => {
  it('reads a nanosecond startsAt as epoch milliseconds', () => {
    const ep = episodeOf({ fingerprint: 'c3aacb24614a2482', startsAt: '2026-11-27T11:54:29.137452655Z' });
    expect(ep).toEqual({
      fingerprint: 'c3aacb24614a2482',
      startsAt: '2026-11-27T11:54:29.137452655Z',
      startsAtMs: 1795780469137,
    });
  });

  it('reads the fixture alert the same way', () => {
    expect(episodeOf(alertOf('firing-queue-depth-high')).startsAtMs).toBe(1795780469137);
  });

  it('honours a time zone offset', () => {
    expect(episodeOf({ fingerprint: 'f', startsAt: '2026-11-27T12:54:29.137+01:00' }).startsAtMs).toBe(1795780469137);
  });

  it('throws on a startsAt that is not a date', () => {
    expect(() => episodeOf({ fingerprint: 'f', startsAt: 'yesterday' })).toThrow(/startsAt is not a date: yesterday/);
  });
});

describe('episodeJobId', () => {
  const ep = episodeOf(alertOf('firing-queue-depth-high'));

  it('holds no ":" (BullMQ ids may not) and names the remediation, fingerprint and start', () => {
    const id = episodeJobId('queue-depth-high', ep);
    expect(id).not.toContain(':');
    expect(id).toContain('queue-depth-high');
    expect(id).toContain('c3aacb24614a2482');
    expect(id).toContain('1795780469137');
  });

  it('defaults to the fire phase, and differs for the resolve phase (also without ":")', () => {
    const fire = episodeJobId('queue-depth-high', ep);
    expect(episodeJobId('queue-depth-high', ep, 'fire')).toBe(fire);
    const resolve = episodeJobId('queue-depth-high', ep, 'resolve');
    expect(resolve).not.toBe(fire);
    expect(resolve).not.toContain(':');
  });

  it('the repeat payload gives the same job id as the firing one', () => {
    const first = episodeJobId('queue-depth-high', episodeOf(alertOf('firing-queue-depth-high')));
    const repeat = episodeJobId('queue-depth-high', episodeOf(alertOf('repeat-queue-depth-high')));
    expect(repeat).toBe(first);
  });

  it('a new firing period (another startsAt) is another episode', () => {
    const later = structuredClone(alertOf('firing-queue-depth-high'));
    later.startsAt = '2026-11-27T13:00:00.000000001Z';
    expect(episodeJobId('queue-depth-high', episodeOf(later))).not.toBe(episodeJobId('queue-depth-high', ep));
  });

  it('two remediations for one episode get two ids', () => {
    expect(episodeJobId('a', ep)).not.toBe(episodeJobId('b', ep));
  });

  it('the two alerts of one grouped payload get two ids', () => {
    const [a, b] = fixture('grouped-truncated-disk-full').alerts;
    expect(episodeJobId('disk-full', episodeOf(a!))).not.toBe(episodeJobId('disk-full', episodeOf(b!)));
  });
});
