import { describe, expect, it } from 'vitest';
import type { StepSpec } from '../../../src/catalog/remediation.js';
import { afterStep, decide, endOfRunbook, whenVerdict, type DecideInput } from '../../../src/engine/decide.js';
import type { StepOutcome, StepRecord } from '../../../src/engine/types.js';
import { unaskedGuardView, type GuardView } from '../../../src/guards/index.js';

// decide() and the runbook reducer are pure: every branch the worker and simulate take.

const remediation = { id: 'r', guards: { cooldownMs: 60_000, budget: { runs: 3, windowMs: 3_600_000 } } };
const free = (over: Partial<GuardView> = {}): GuardView => ({ ...unaskedGuardView(remediation, 10), ...over });

function input(over: Partial<DecideInput> = {}): DecideInput {
  return {
    remediation,
    step: { name: 'restart', index: 0 },
    jobId: 'job-1',
    describe: 'restart api (stop timeout 10s)',
    when: { holds: true, detail: 'always' },
    targets: { ok: true, description: 'container api', count: 1 },
    guards: free(),
    dryRun: { global: false, remediation: false },
    ...over,
  };
}

const rec = (index: number, outcome: StepOutcome, extra: Partial<StepRecord> = {}): StepRecord => ({
  index,
  name: `s${index}`,
  action: 'restart',
  outcome,
  decision: 'act',
  summary: outcome,
  when: 'always',
  targets: [],
  attempts: 1,
  startedAt: 0,
  finishedAt: 1,
  durationMs: 1,
  details: undefined,
  ...extra,
});

type Flow = Pick<StepSpec, 'onFailure' | 'onSuccess'>;
const step = (onFailure: Flow['onFailure'], onSuccess: Flow['onSuccess'] = 'stop'): Flow => ({ onFailure, onSuccess });

describe('decide: one step now', () => {
  it('acts when everything holds', () => {
    expect(decide(input())).toEqual({ kind: 'act', detail: 'would restart api (stop timeout 10s)' });
  });

  it('checks in order: when, then targets, then guards, then dry run', () => {
    const locked = free({ blocker: 'lock', lock: { holder: 'other', identity: 'container/api', ttlMs: 5_000 } });
    expect(decide(input({ when: { holds: 'resolved', detail: 'gone' }, guards: locked })).kind).toBe('resolved');
    expect(decide(input({ when: { holds: false, detail: 'no' }, guards: locked })).kind).toBe('skip');
    expect(decide(input({ targets: { ok: false, kind: 'refused', detail: 'not opted in' }, guards: locked }))).toEqual({
      kind: 'refused',
      detail: 'not opted in',
    });
    expect(decide(input({ guards: locked }))).toMatchObject({ kind: 'wait', on: 'lock', retryInMs: 5_000 });
  });

  it.each<[GuardView['blocker'], Partial<GuardView>, string]>([
    ['resolved', {}, 'resolved'],
    ['lock', { lock: { holder: 'j2', identity: 'container/api', ttlMs: 1 } }, 'wait'],
    [
      'cooldown',
      { cooldown: { holder: 'j0', subject: 'container/api', remainingMs: 1_000, configuredMs: 60_000 } },
      // No silent skip: a cooldown defers the step, it never ends it.
      'deferred',
    ],
    [
      'circuit_open',
      { budget: { runsInWindow: 3, limit: 3, windowMs: 3_600_000, reopensInMs: 60_000 } },
      'circuit_open',
    ],
    ['in_flight', { inFlight: { used: 10, max: 10 } }, 'wait'],
    ['share', { share: { used: 1, limit: 1 } }, 'wait'],
  ])('a guard blocker %s is decision %s', (blocker, over, kind) => {
    expect(decide(input({ guards: free({ blocker, ...over }) })).kind).toBe(kind);
  });

  it('a dry run is described with what the guards would say, and never acts', () => {
    const d = decide(input({ dryRun: { global: true, remediation: false }, guards: free({ blocker: 'in_flight' }) }));
    expect(d.kind).toBe('dry_run');
    expect(d.detail).toMatch(/DRY_RUN=true.*would restart api.*guards would stop it: wait/);
  });

  it('a condition not known yet (a later step in simulate) is conditional, never act', () => {
    const d = decide(input({ when: { holds: 'unknown', detail: 'if the previous step fails' } }));
    expect(d).toEqual({
      kind: 'conditional',
      detail: 'would restart api (stop timeout 10s) (if the previous step fails)',
    });
  });
});

describe('decide: the operator in control', () => {
  const pause = {
    id: 'all',
    by: 'alice',
    reason: 'maintenance',
    from: Date.UTC(2029, 11, 31),
    until: Date.UTC(2030, 0, 1),
    scope: 'everything (kill switch)',
  };
  const asked = (
    state: 'none' | 'pending' | 'approved' | 'denied' | 'expired',
    answer?: object,
  ): DecideInput['control'] => ({
    pause: undefined,
    approval: {
      required: true,
      id: 'abcdef012345',
      why: 'policy: recreate replaces the container with a new one',
      state,
      deadline: Date.UTC(2030, 0, 1, 0, 15),
      ...(answer && { answer: answer as never }),
    },
  });

  it('a cooldown is a deferral that says it waits and checks again, with the time left', () => {
    const d = decide(
      input({
        guards: free({
          blocker: 'cooldown',
          cooldown: { holder: 'j0', subject: 'container/api', remainingMs: 42_000, configuredMs: 60_000 },
        }),
      }),
    );
    expect(d).toMatchObject({ kind: 'deferred', on: 'cooldown', retryInMs: 42_000 });
    expect(d.detail).toMatch(/cooldown, 42s left; it waits it out, then acts if the alert still fires/);
  });

  it('a pause holds the step before any guard, and says who paused it, until when and why', () => {
    const locked = free({ blocker: 'lock', lock: { holder: 'other', identity: 'container/api', ttlMs: 5_000 } });
    const d = decide(input({ control: { pause, approval: { required: false } }, guards: locked }));
    expect(d).toMatchObject({ kind: 'paused', untilMs: pause.until, pauseId: 'all', pause });
    expect(d.detail).toBe(
      'paused by alice until 2030-01-01T00:00:00Z (everything (kill switch)): maintenance; held, not dropped: it acts once resumed',
    );
  });

  it('an approval not given yet waits for it; approved goes on to the guards; denied and expired end it', () => {
    expect(decide(input({ control: asked('none') }))).toMatchObject({
      kind: 'awaiting_approval',
      approvalId: 'abcdef012345',
      deadline: Date.UTC(2030, 0, 1, 0, 15),
    });
    expect(decide(input({ control: asked('pending') })).detail).toMatch(
      /needs an approval \(policy: recreate replaces the container with a new one\) to restart api .*approve or deny abcdef012345 by 2030-01-01T00:15:00Z, else it escalates/,
    );
    expect(decide(input({ control: asked('approved') })).kind).toBe('act');
    const locked = free({ blocker: 'lock', lock: { holder: 'other', identity: 'container/api', ttlMs: 5_000 } });
    expect(decide(input({ control: asked('approved'), guards: locked })).kind).toBe('wait');
    const denied = decide(input({ control: asked('denied', { by: 'bob', at: 1, reason: 'not now', via: 'cli' }) }));
    expect(denied).toEqual({ kind: 'denied', detail: 'restart api (stop timeout 10s): denied by bob (cli): not now' });
    expect(decide(input({ control: asked('expired') })).kind).toBe('approval_expired');
  });

  it('blast radius: minHealthy defers a step that would leave too few healthy replicas; the fleet rate defers too', () => {
    const minHealthy = { service: 'service web', healthy: 2, taking: 1, inFlight: 0, min: 2 };
    expect(decide(input({ radius: { minHealthy } }))).toMatchObject({ kind: 'deferred', on: 'min_healthy' });
    expect(decide(input({ radius: { minHealthy: { ...minHealthy, healthy: 3 } } })).kind).toBe('act');
    // An unhealthy target is not counted among the healthy ones it would take down.
    expect(decide(input({ radius: { minHealthy: { ...minHealthy, taking: 0 } } })).kind).toBe('act');
    const rate = { used: 30, limit: 30, blocked: true, retryInMs: 12_000 };
    expect(decide(input({ radius: { rate } }))).toMatchObject({ kind: 'deferred', on: 'rate', retryInMs: 12_000 });
  });

  it('a dry run names what would hold it, and still never acts', () => {
    const d = decide(
      input({ dryRun: { global: true, remediation: false }, control: { pause, approval: { required: false } } }),
    );
    expect(d.kind).toBe('dry_run');
    expect(d.detail).toMatch(/guards would stop it: paused \(paused by alice/);
  });
});

describe('afterStep: approvals', () => {
  it('a denied step ends the runbook refused; an unanswered one escalates as approval_expired, even with onFailure next', () => {
    const flows = [step('next'), step('abort')];
    expect(afterStep(flows, 0, [rec(0, 'failed', { errorKind: 'refused', error: 'denied by bob' })])).toMatchObject({
      go: 'end',
      outcome: 'refused',
    });
    expect(afterStep(flows, 0, [rec(0, 'failed', { errorKind: 'approval_expired', error: 'nobody' })])).toMatchObject({
      go: 'end',
      outcome: 'escalated',
      escalation: 'approval_expired',
    });
  });
});

describe('whenVerdict', () => {
  it('previous_failed follows the last step that ran', () => {
    const w = { kind: 'previous_failed' } as const;
    expect(whenVerdict(w, { previous: rec(0, 'failed'), firing: undefined, query: undefined }).holds).toBe(true);
    expect(whenVerdict(w, { previous: rec(0, 'succeeded'), firing: undefined, query: undefined }).holds).toBe(false);
    expect(whenVerdict(w, { previous: undefined, firing: undefined, query: undefined }).holds).toBe('unknown');
  });

  it('still_firing: no longer firing stops the runbook (resolved), not a skip', () => {
    const w = { kind: 'still_firing' } as const;
    expect(whenVerdict(w, { previous: undefined, firing: true, query: undefined }).holds).toBe(true);
    expect(whenVerdict(w, { previous: undefined, firing: false, query: undefined }).holds).toBe('resolved');
  });

  it('a query holds or not', () => {
    const w = { kind: 'query', query: 'up == 0' } as const;
    expect(whenVerdict(w, { previous: undefined, firing: undefined, query: true }).holds).toBe(true);
    expect(whenVerdict(w, { previous: undefined, firing: undefined, query: false }).holds).toBe(false);
  });
});

describe('afterStep and endOfRunbook: the ladder', () => {
  const ladder = [step('next'), step('next'), step('abort')];

  it('a verified step with onSuccess stop ends the runbook succeeded', () => {
    expect(afterStep(ladder, 0, [rec(0, 'succeeded')])).toMatchObject({ go: 'end', outcome: 'succeeded' });
  });

  it('a failed step with onFailure next goes on; the last one failing escalates with its reason', () => {
    expect(afterStep(ladder, 0, [rec(0, 'failed', { errorKind: 'verification' })])).toEqual({ go: 'next' });
    const end = afterStep(ladder, 2, [
      rec(0, 'failed'),
      rec(1, 'failed'),
      rec(2, 'failed', { error: 'still slow', errorKind: 'verification' }),
    ]);
    expect(end).toEqual({
      go: 'end',
      outcome: 'escalated',
      escalation: 'verification_failed',
      reason: 'step s2 (3/3): still slow',
    });
  });

  it('abort ends at once: refused stays refused, not found is failed, transient escalates', () => {
    const one = [step('abort')];
    expect(afterStep(one, 0, [rec(0, 'failed', { errorKind: 'refused' })])).toMatchObject({
      outcome: 'refused',
      escalation: undefined,
    });
    expect(afterStep(one, 0, [rec(0, 'failed', { errorKind: 'not_found' })])).toMatchObject({ outcome: 'failed' });
    expect(afterStep(one, 0, [rec(0, 'failed', { errorKind: 'transient' })])).toMatchObject({
      outcome: 'escalated',
      escalation: 'retries_exhausted',
    });
  });

  it('a command that could not be stopped escalates at once, even where onFailure says next', () => {
    const end = afterStep(ladder, 0, [rec(0, 'failed', { error: 'not stopped', errorKind: 'still_running' })]);
    expect(end).toEqual({
      go: 'end',
      outcome: 'escalated',
      escalation: 'exec_still_running',
      reason: 'step s0 (1/3): not stopped',
    });
  });

  it('continue records a failure and goes on: evidence that failed does not fail the runbook', () => {
    const steps = [step('continue', 'next'), step('abort')];
    expect(afterStep(steps, 0, [rec(0, 'failed')])).toEqual({ go: 'next' });
    expect(afterStep(steps, 1, [rec(0, 'failed'), rec(1, 'succeeded')])).toMatchObject({ outcome: 'succeeded' });
  });

  it('a step without verify (onSuccess next) goes on even when it succeeded', () => {
    expect(afterStep([step('abort', 'next'), step('abort')], 0, [rec(0, 'succeeded')])).toEqual({ go: 'next' });
  });

  it('a failure handed on with next that no later step made good escalates at the end', () => {
    // restart failed (next), the scale-out was skipped by its `when`: a human is needed.
    expect(endOfRunbook([step('next'), step('abort')], [rec(0, 'failed'), rec(1, 'skipped')])).toMatchObject({
      outcome: 'escalated',
    });
  });

  it('nothing to do anywhere is skipped; any dry-run step makes the job a dry run', () => {
    expect(endOfRunbook([step('abort', 'next')], [rec(0, 'noop')])).toMatchObject({ outcome: 'skipped' });
    expect(endOfRunbook([step('abort', 'next'), step('abort')], [rec(0, 'dry_run'), rec(1, 'dry_run')])).toMatchObject({
      outcome: 'dry_run',
    });
  });
});
