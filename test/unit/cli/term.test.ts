import { describe, expect, it } from 'vitest';
import { humanDuration, paint, paintFor, table, visibleLength } from '../../../src/cli/term.js';

const strip = (s: string) => s.split('\u001b[32m').join('').split('\u001b[39m').join('');

describe('colour', () => {
  it('only on a terminal, and never with NO_COLOR or TERM=dumb', () => {
    expect(paintFor({ isTTY: true }, {}).enabled).toBe(true);
    expect(paintFor({ isTTY: false }, {}).enabled).toBe(false);
    expect(paintFor({}, {}).enabled).toBe(false);
    expect(paintFor({ isTTY: true }, { NO_COLOR: '1' }).enabled).toBe(false);
    expect(paintFor({ isTTY: true }, { TERM: 'dumb' }).enabled).toBe(false);
  });

  it('adds escape codes when on, none when off', () => {
    expect(paint(true).red('x')).toBe('\u001b[31mx\u001b[39m');
    expect(paint(false).red('x')).toBe('x');
  });
});

describe('table', () => {
  it('aligns columns by visible width, colour codes included', () => {
    const p = paint(true);
    const lines = table([
      ['a', p.green('ok'), 'end'],
      ['long name', 'failed', 'x'],
    ]);
    expect(lines.map((l) => visibleLength(l))).toEqual([22, 20]);
    expect(lines[1]).toBe('long name  failed  x');
    expect(strip(lines[0]!)).toBe('a          ok      end');
  });
});

describe('humanDuration', () => {
  it.each([
    [900, '1s'],
    [90_000, '90s'],
    [600_000, '10m'],
    [3 * 3_600_000 + 5 * 60_000, '3h 5m'],
    [2 * 86_400_000, '2d'],
  ])('%d ms is %s', (ms, text) => expect(humanDuration(ms)).toBe(text));
});
