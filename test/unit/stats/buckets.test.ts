import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, cellOf, cover, parseField } from '../../../src/stats/buckets.js';

// Which rollup buckets answer a span: hours at the ends, whole days between, days only past the
// hourly buckets' 8-day life. A query's cost follows the span, never the number of records.

const DAY0 = 20_000 * DAY_MS; // a midnight
const names = (since: number, until: number, now = until) => cover(since, until, now);

describe('cover', () => {
  it('within one day: the hours from since (rounded down) to until', () => {
    expect(names(DAY0 + 2 * HOUR_MS + 5_000, DAY0 + 4 * HOUR_MS + 1)).toEqual({
      buckets: [`h:${480_002}`, `h:${480_003}`, `h:${480_004}`],
      fromMs: DAY0 + 2 * HOUR_MS,
    });
  });

  it('up to 48 h: hours of the first partial day, whole days, hours of the last one', () => {
    const until = DAY0 + 2 * DAY_MS + HOUR_MS + 10;
    expect(names(DAY0 + 22 * HOUR_MS, until, until + DAY_MS).buckets).toEqual([
      'h:480022',
      'h:480023',
      'd:20001',
      'h:480048',
      'h:480049',
    ]);
  });

  it('up to now, today is read as its day: nothing is counted after now', () => {
    const now = DAY0 + DAY_MS + 20 * HOUR_MS;
    expect(names(DAY0 + 22 * HOUR_MS, now, now).buckets).toEqual(['h:480022', 'h:480023', 'd:20001']);
  });

  it("a span of days is read by the day, from since's day", () => {
    const now = DAY0 + 3 * DAY_MS + HOUR_MS;
    expect(names(DAY0 + 22 * HOUR_MS, now, now)).toEqual({
      buckets: ['d:20000', 'd:20001', 'd:20002', 'd:20003'],
      fromMs: DAY0,
    });
  });

  it('7 days back reads 8 hashes, 24 h back at most 25; 90 days back one per day', () => {
    const now = DAY0 + 100 * DAY_MS + 13 * HOUR_MS + 7;
    expect(names(now - 7 * DAY_MS, now).buckets).toHaveLength(8);
    expect(names(now - DAY_MS, now).buckets.length).toBeLessThanOrEqual(25);
    const long = names(now - 90 * DAY_MS, now);
    expect(long.fromMs).toBe(Math.floor((now - 90 * DAY_MS) / DAY_MS) * DAY_MS);
    expect(long.buckets.every((b) => b.startsWith('d:'))).toBe(true);
    expect(long.buckets).toHaveLength(91);
    // Every hour of the span is in exactly one bucket.
    const hours = new Set<number>();
    for (const b of long.buckets) {
      const [kind, n] = [b[0], Number(b.slice(2))];
      const first = kind === 'd' ? n * 24 : n;
      for (let h = first; h < first + (kind === 'd' ? 24 : 1); h++) {
        expect(hours.has(h), b).toBe(false);
        hours.add(h);
      }
    }
    for (let h = Math.floor(long.fromMs / HOUR_MS); h <= Math.floor(now / HOUR_MS); h++)
      expect(hours.has(h)).toBe(true);
  });
});

describe('cells and fields', () => {
  it('round-trip ids and hosts holding the separators', () => {
    const field = `${cellOf('a|b', 'host:1', 'step one')}|o:succeeded`;
    expect(field.split('|')).toHaveLength(4);
    expect(parseField(field)).toEqual({ remediation: 'a|b', host: 'host:1', step: 'step one', metric: 'o:succeeded' });
    expect(parseField('not|a field')).toBeUndefined();
  });
});
