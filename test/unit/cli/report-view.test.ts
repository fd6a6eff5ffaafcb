import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../src/cli/report-view.js';
import { paint } from '../../../src/cli/term.js';
import { aggregate } from '../../../src/stats/aggregate.js';
import { cellOf } from '../../../src/stats/buckets.js';

// `remediator report` for a human: one row per remediation (and all), per step, per host.

const span = { since: Date.parse('2026-12-01T00:00:00Z'), until: Date.parse('2026-12-02T00:00:00Z') };
const f = (rem: string, metric: string, step = '') => `${cellOf(rem, 'local', step)}|${metric}`;
const buckets = [
  {
    [f('flaky', 'runs')]: '4',
    [f('flaky', 'acted')]: '3',
    [f('flaky', 'o:succeeded')]: '3',
    [f('flaky', 'o:circuit_open')]: '1',
    [f('flaky', 'esc')]: '1',
    [f('flaky', 'r1')]: '3',
    [f('flaky', 'r24')]: '3',
    [f('flaky', 'mttr:n')]: '4',
    [f('flaky', 'mttr:s')]: '8000',
    [f('flaky', 'runs', 'restart')]: '3',
    [f('flaky', 'o:succeeded', 'restart')]: '3',
    [f('cool', 'runs')]: '2',
    [f('cool', 'acted')]: '1',
    [f('cool', 'o:succeeded')]: '1',
    [f('cool', 'o:cooldown')]: '1',
  },
];

describe('renderReport', () => {
  it('a table per remediation with the all row, per step and per host; no colour when off', () => {
    const text = renderReport(aggregate(buckets, {}, { ...span, coveredFrom: span.since }), paint(false), '1d');
    expect(text).toContain(
      'Effectiveness from 2026-12-01 00:00Z to 2026-12-02 00:00Z (since 1d); all remediations, all hosts',
    );
    expect(text).toMatch(/^REMEDIATION\s+RUNS\s+ACTED\s+SUCCESS\s+VERIFIED\s+1ST ACTION\s+FIXED AFTER\s+MTTR/m);
    expect(text).toMatch(/^cool\s+2\s+1\s+1\/1 \(100%\)\s+-\s+-\s+-\s+-\s+0 \(0%\)\s+0 \(0%\)\s+0\s+1\s+0\s+0$/m);
    expect(text).toMatch(
      /^flaky\s+4\s+3\s+3\/3 \(100%\)\s+-\s+-\s+-\s+2\.0s\s+3 \(100%\)\s+3 \(100%\)\s+1\s+0\s+1\s+0$/m,
    );
    expect(text).toMatch(/^all\s+6\s+4\s+4\/4 \(100%\)/m);
    expect(text).toMatch(/^flaky\s+restart\s+3\s+3\s+0\s+0\s+-\s+-$/m);
    expect(text).toMatch(/^local\s+6\s+4/m);
    expect(text).not.toContain('\u001b[');
  });

  it('an empty span says so', () => {
    expect(renderReport(aggregate([], {}, { ...span, coveredFrom: span.since }), paint(false), '7d')).toContain(
      'no episode ended in this span',
    );
  });
});
