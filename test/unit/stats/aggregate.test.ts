import { describe, expect, it } from 'vitest';
import { aggregate, timingOf } from '../../../src/stats/aggregate.js';
import { cellOf } from '../../../src/stats/buckets.js';

// Rollup hashes summed into the report: by remediation, by host, by step, in all; rates over
// what they are rates of; timings with exact count, mean, min and max and bucketed quantiles.

const f = (rem: string, host: string, metric: string, step = '') => `${cellOf(rem, host, step)}|${metric}`;
const span = { since: 0, until: 3_600_000, coveredFrom: 0 };

describe('timingOf', () => {
  it('mean, min and max are exact; quantiles are the bucket bound, capped at the max', () => {
    const t = timingOf({ 'x:n': 3, 'x:s': 9_000, 'x:lo': 1_500, 'x:hi': 4_500, 'x:b1': 3 }, 'x');
    expect(t).toMatchObject({ count: 3, meanMs: 3_000, minMs: 1_500, maxMs: 4_500, p50Ms: 4_500, p90Ms: 4_500 });
    expect(t.buckets[1]).toEqual({ leMs: 5_000, count: 3 });
    expect(t.buckets.at(-1)).toEqual({ leMs: null, count: 0 });
    expect(timingOf({}, 'x')).toMatchObject({ count: 0, meanMs: null, minMs: null, p50Ms: null });
  });
});

describe('aggregate', () => {
  const hour1 = {
    [f('flaky', 'local', 'runs')]: '2',
    [f('flaky', 'local', 'acted')]: '2',
    [f('flaky', 'local', 'o:succeeded')]: '2',
    [f('flaky', 'local', 'r1')]: '1',
    [f('flaky', 'local', 'mttr:n')]: '2',
    [f('flaky', 'local', 'mttr:s')]: '3000',
    [f('flaky', 'local', 'mttr:lo')]: '1000',
    [f('flaky', 'local', 'mttr:hi')]: '2000',
    [f('flaky', 'local', 'runs', 'restart')]: '2',
    [f('flaky', 'local', 'o:succeeded', 'restart')]: '2',
    [f('cool', 'edge', 'runs')]: '1',
    [f('cool', 'edge', 'o:cooldown')]: '1',
  };
  const hour2 = {
    [f('flaky', 'local', 'runs')]: '1',
    [f('flaky', 'local', 'o:circuit_open')]: '1',
    [f('flaky', 'local', 'esc')]: '1',
    [f('flaky', 'local', 'e:circuit_open')]: '1',
    [f('flaky', 'local', 'mttr:n')]: '1',
    [f('flaky', 'local', 'mttr:s')]: '500',
    [f('flaky', 'local', 'mttr:lo')]: '500',
    [f('flaky', 'local', 'mttr:hi')]: '500',
  };

  it('sums buckets per remediation, host and step; min/max across buckets', () => {
    const r = aggregate([hour1, hour2], {}, span);
    const flaky = r.remediations.find((x) => x.remediation === 'flaky')!;
    expect(flaky).toMatchObject({
      runs: 3,
      acted: 2,
      succeeded: 2,
      successRate: 1,
      escalations: 1,
      escalationRate: 1 / 3,
      escalationReasons: { circuit_open: 1 },
      circuitOpen: 1,
      recurrence: { within1h: { count: 1, rate: 0.5 }, within24h: { count: 0, rate: 0 } },
    });
    expect(flaky.timeToResolve).toMatchObject({ count: 3, meanMs: 1167, minMs: 500, maxMs: 2000 });
    expect(r.hosts.map((x) => [x.host, x.runs])).toEqual([
      ['edge', 1],
      ['local', 3],
    ]);
    expect(r.steps).toMatchObject([{ remediation: 'flaky', step: 'restart', runs: 2, succeeded: 2, successRate: 1 }]);
    expect(r.total).toMatchObject({ runs: 4, cooldown: 1, successRate: 1 });
  });

  it('filters by remediation and by host; nothing matching is an empty report, not an error', () => {
    expect(aggregate([hour1], { host: 'edge' }, span).remediations.map((x) => x.remediation)).toEqual(['cool']);
    expect(aggregate([hour1], { remediation: 'flaky', host: 'edge' }, span).total.runs).toBe(0);
    const none = aggregate([], {}, span);
    expect(none).toMatchObject({ remediations: [], hosts: [], steps: [], total: { runs: 0, successRate: null } });
  });
});
