import { describe, expect, it } from 'vitest';
import { parseRemediation } from '../../../src/catalog/load.js';

// guards.recurrence in the file format: normalized with its defaults, and every bad value named
// with its file, path and line, as the loader does for the rest of the file.

const FILE = 'remediations/flaky.yaml';
const file = (recurrence: string) =>
  [
    'match: alertname="HighLatency"',
    'target: { container: "{{ labels.container }}" }',
    'action: { type: restart }',
    'guards:',
    '  cooldown: 5m',
    `  recurrence: ${recurrence}`,
  ].join('\n');

describe('guards.recurrence', () => {
  it('is normalized with a 24h window and open for 1h by default', () => {
    const { remediation, problems } = parseRemediation(FILE, file('{ within: 1h, maxRate: 0.5, minRuns: 3 }'));
    expect(problems).toEqual([]);
    expect(remediation?.guards).toEqual({
      cooldownMs: 300_000,
      budget: undefined,
      recurrence: { withinMs: 3_600_000, maxRate: 0.5, minRuns: 3, windowMs: 86_400_000, openForMs: 3_600_000 },
    });
  });

  it('takes window and openFor', () => {
    const { remediation } = parseRemediation(
      FILE,
      file('{ within: 30m, maxRate: 0.25, minRuns: 2, window: 6h, openFor: 2h }'),
    );
    expect(remediation?.guards.recurrence).toEqual({
      withinMs: 1_800_000,
      maxRate: 0.25,
      minRuns: 2,
      windowMs: 21_600_000,
      openForMs: 7_200_000,
    });
  });

  it('is absent from a file without it (no guard)', () => {
    const text = 'match: alertname="x"\ntarget: { container: "{{ labels.c }}" }\naction: { type: restart }\n';
    expect(parseRemediation(FILE, text).remediation?.guards).toEqual({ cooldownMs: 0, budget: undefined });
  });

  it.each([
    [
      '{ within: 1h, maxRate: 1.5, minRuns: 3 }',
      '/guards/recurrence/maxRate',
      /expected number to be less or equal to 1 \(line 6\)/,
    ],
    ['{ within: 1h, maxRate: 0.5, minRuns: 0 }', '/guards/recurrence/minRuns', /greater or equal to 1/],
    ['{ within: 1h, maxRate: 0.5 }', '/guards/recurrence/minRuns', /expected required property/],
    ['{ within: soon, maxRate: 0.5, minRuns: 3 }', '/guards/recurrence/within', /expected a duration/],
    ['{ within: 8d, maxRate: 0.5, minRuns: 3 }', '/guards/recurrence/within', /from 1s to 7d \(line 6\)/],
    ['{ within: 2h, maxRate: 0.5, minRuns: 3, window: 1h }', '/guards/recurrence/window', /at least within/],
    ['{ within: 1h, maxRate: 0.5, minRuns: 3, after: 1h }', '/guards/recurrence/after', /unknown key "after"/],
  ])('%s: %s', (value, path, reason) => {
    const { remediation, problems } = parseRemediation(FILE, file(value));
    expect(remediation).toBeUndefined();
    expect(problems).toContainEqual({ file: FILE, path, reason: expect.stringMatching(reason) });
  });
});
