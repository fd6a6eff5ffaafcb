import { describe, expect, it } from 'vitest';
import { parseRemediation } from '../../../src/catalog/load.js';

// The remediation file's operator-control fields: onResolved's two forms, approve, and the
// blast-radius limits of a target.

const parse = (text: string) => parseRemediation('remediations/x.yaml', text);
const SCALE = 'match: alertname="X"\ntarget:\n  service: s\naction:\n  type: scale\n  by: 1\n  max: 2\n';
const RESTART = 'match: alertname="X"\ntarget:\n  container: "{{ labels.container }}"\n';

describe('onResolved', () => {
  it('a bare action still loads as before (no after)', () => {
    const { remediation, problems } = parse(`${SCALE}onResolved:\n  type: scale\n  replicas: 1\n  max: 2\n`);
    expect(problems).toEqual([]);
    expect(remediation).toMatchObject({ onResolvedAfterMs: 0, onResolved: { action: { type: 'scale', replicas: 1 } } });
  });

  it('{ action, after } waits that long; a bad after or action is named with its path', () => {
    const ok = parse(`${SCALE}onResolved:\n  after: 5m\n  action:\n    type: scale\n    replicas: 1\n    max: 2\n`);
    expect(ok.problems).toEqual([]);
    expect(ok.remediation).toMatchObject({ onResolvedAfterMs: 300_000, onResolved: { action: { type: 'scale' } } });
    expect(
      parse(`${SCALE}onResolved:\n  after: soon\n  action:\n    type: scale\n    replicas: 1\n    max: 2\n`).problems,
    ).toEqual([
      expect.objectContaining({ path: '/onResolved/after', reason: expect.stringMatching(/^expected a duration/) }),
    ]);
    expect(parse(`${SCALE}onResolved:\n  after: 5m\n  action:\n    type: nope\n`).problems[0]).toMatchObject({
      path: '/onResolved/action/type',
    });
    expect(parse(`${SCALE}onResolved:\n  after: 5m\n`).problems).toEqual([
      expect.objectContaining({ path: '/onResolved/action', reason: expect.stringMatching(/required/) }),
    ]);
  });
});

describe('approve', () => {
  it('policy by default; true, false or { timeout } on the file (action form) or a step', () => {
    const policy = parse(`${RESTART}action:\n  type: restart\n`).remediation!;
    expect(policy.steps[0]!.approve).toEqual({ mode: 'policy', timeoutMs: undefined });
    const always = parse(`${RESTART}approve: true\naction:\n  type: restart\n`).remediation!;
    expect(always.steps[0]!.approve).toEqual({ mode: 'always', timeoutMs: undefined });
    const steps = parse(
      `${RESTART}approve: { timeout: 30m }\nsteps:\n  - action: { type: restart }\n  - action: { type: recreate }\n    approve: false\n`,
    ).remediation!;
    expect(steps.steps.map((s) => s.approve)).toEqual([
      { mode: 'always', timeoutMs: 1_800_000 },
      { mode: 'never', timeoutMs: undefined },
    ]);
    expect(parse(`${RESTART}approve: maybe\naction:\n  type: restart\n`).problems[0]).toMatchObject({
      path: '/approve',
    });
  });

  it('an undo never asks (the fix was the risk)', () => {
    const r = parse(`${SCALE}approve: true\nonResolved:\n  type: scale\n  replicas: 1\n  max: 2\n`).remediation!;
    expect(r.onResolved?.approve).toEqual({ mode: 'never', timeoutMs: undefined });
  });
});

describe('target limits', () => {
  it('minContainers, minHealthy as a count or a share', () => {
    const r = parse(`${RESTART}  minContainers: 1\n  minHealthy: "50%"\naction:\n  type: restart\n`).remediation!;
    expect(r.target).toMatchObject({ minContainers: 1, minHealthy: '50%' });
    expect(parse(`${RESTART}  minHealthy: 2\naction:\n  type: restart\n`).problems).toEqual([]);
  });

  it('refuses a share over 100%, minContainers over maxContainers, and other spellings', () => {
    expect(parse(`${RESTART}  minHealthy: "150%"\naction:\n  type: restart\n`).problems[0]).toMatchObject({
      path: '/target/minHealthy',
      reason: expect.stringContaining('at most 100%'),
    });
    expect(
      parse(`${RESTART}  minContainers: 3\n  maxContainers: 2\naction:\n  type: restart\n`).problems[0],
    ).toMatchObject({ path: '/target/minContainers', reason: expect.stringContaining('more than maxContainers (2)') });
    expect(parse(`${RESTART}  minHealthy: half\naction:\n  type: restart\n`).problems[0]).toMatchObject({
      path: '/target/minHealthy',
    });
  });
});
