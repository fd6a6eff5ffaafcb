import { describe, expect, it } from 'vitest';

import {
  BadParamsError,
  RefusedError,
  TargetNotFoundError,
  TransientError,
  VerificationError,
  ExecFailedError,
} from '../../../src/errors.js';

import { finalOutcome } from '../../../src/queue/worker.js';

describe('finalOutcome', () => {
  it('a refusal is "refused", without escalation', () => {
    expect(finalOutcome(new RefusedError('not opted in'))).toEqual({ outcome: 'refused', escalation: undefined });
  });

  it.each([
    ['TargetNotFoundError', new TargetNotFoundError('container api not found')],
    ['BadParamsError', new BadParamsError('bad')],
  ])('%s is "failed", without escalation', (_name, err) => {
    expect(finalOutcome(err)).toEqual({ outcome: 'failed', escalation: undefined });
  });

  it('an UnrecoverableError that lost its class (read back from Redis) is "failed"', () => {
    const err = new Error('container api not found');
    err.name = 'UnrecoverableError';
    expect(finalOutcome(err)).toEqual({ outcome: 'failed', escalation: undefined });
  });

  it('a verification failure escalates as verification_failed', () => {
    expect(finalOutcome(new VerificationError('not verified within 60s'))).toEqual({
      outcome: 'escalated',
      escalation: 'verification_failed',
    });
  });

  it.each([
    ['Error', new Error('boom')],
    ['TransientError', new TransientError('engine unreachable')],
    ['ExecFailedError', new ExecFailedError('exited 1', {})],
  ])('a %s escalates as retries_exhausted', (_name, err) => {
    expect(finalOutcome(err)).toEqual({ outcome: 'escalated', escalation: 'retries_exhausted' });
  });
});
