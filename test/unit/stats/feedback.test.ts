import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/engine/decide.js';
import { unaskedGuardView } from '../../../src/guards/index.js';
import { recurrenceVerdict } from '../../../src/stats/feedback.js';
import { msText, ofText, pctText } from '../../../src/stats/format.js';

// A fix that does not hold opens the circuit sooner: the verdict, and what decide() then says.

const guard = { withinMs: 3_600_000, maxRate: 0.5, minRuns: 3, windowMs: 86_400_000, openForMs: 3_600_000 };

describe('recurrenceVerdict', () => {
  it('opens over the rate once there were minRuns successes', () => {
    expect(recurrenceVerdict(guard, { succeeded: 3, recurred: 2 }, 'flaky', 'local')).toBe(
      'the fix does not hold: 2 of 3 successes of flaky on local in the last 24h were followed by the same alert ' +
        'within 1h (67%, over the 50% allowed by guards.recurrence)',
    );
  });

  it('stays closed at the rate (not over it), below minRuns, and with nothing counted', () => {
    expect(recurrenceVerdict(guard, { succeeded: 4, recurred: 2 }, 'r', 'h')).toBeUndefined();
    expect(recurrenceVerdict(guard, { succeeded: 2, recurred: 2 }, 'r', 'h')).toBeUndefined();
    expect(recurrenceVerdict({ ...guard, minRuns: 1 }, { succeeded: 0, recurred: 0 }, 'r', 'h')).toBeUndefined();
  });
});

describe('decide with the recurrence marker', () => {
  it('circuit open, saying why the fix does not hold and for how long', () => {
    const spec = { id: 'flaky', guards: { cooldownMs: 0, budget: undefined } };
    const view = unaskedGuardView(spec, 10);
    const d = decide({
      remediation: spec,
      step: { name: 'restart', index: 0 },
      jobId: 'j',
      describe: 'restart api',
      when: { holds: true, detail: 'always' },
      targets: { ok: true, description: 'container api', count: 1 },
      guards: {
        ...view,
        blocker: 'circuit_open',
        budget: { ...view.budget, reopensInMs: 3_540_000, recurrence: 'the fix does not hold: 2 of 3 …' },
      },
      dryRun: { global: false, remediation: false },
    });
    expect(d).toEqual({
      kind: 'circuit_open',
      detail:
        'circuit open: the fix does not hold: 2 of 3 …; not acting again for 59 min. A human should look at why the fix does not hold.',
      reopensInMs: 3_540_000,
    });
  });
});

describe('format', () => {
  it.each([
    [850, '850ms'],
    [4_200, '4.2s'],
    [42_000, '42s'],
    [185_000, '3m 05s'],
    [7_800_000, '2h 10m'],
    [3 * 86_400_000 + 4 * 3_600_000, '3d 4h'],
    [null, '-'],
  ])('msText(%s) = %s', (ms, text) => expect(msText(ms)).toBe(text));

  it('rates and shares', () => {
    expect(pctText(2 / 3)).toBe('67%');
    expect(pctText(null)).toBe('-');
    expect(ofText(2, 3)).toBe('2/3 (67%)');
    expect(ofText(0, 0)).toBe('-');
  });
});
