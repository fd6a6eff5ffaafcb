import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/engine/backoff.js';

const retry = { backoffMs: 1_000, maxBackoffMs: 10_000, jitter: 0.2 };
const noJitter = () => 0;
const maxJitter = () => 0.9999999;

describe('backoffDelay', () => {
  it('doubles with each attempt from backoffMs', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, retry, noJitter))).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('is capped at maxBackoffMs', () => {
    expect(backoffDelay(5, retry, noJitter)).toBe(10_000);
    expect(backoffDelay(50, retry, noJitter)).toBe(10_000);
    expect(backoffDelay(2_000, retry, noJitter)).toBe(10_000);
  });

  it('treats attemptsMade 0 (and below) as the first attempt', () => {
    expect(backoffDelay(0, retry, noJitter)).toBe(1_000);
    expect(backoffDelay(-3, retry, noJitter)).toBe(1_000);
  });

  it('takes off at most `jitter` of the delay: random 0 gives the base, random ~1 gives base*(1-jitter)', () => {
    expect(backoffDelay(3, retry, noJitter)).toBe(4_000);
    const low = backoffDelay(3, retry, maxJitter);
    expect(low).toBeGreaterThanOrEqual(4_000 * 0.8);
    expect(low).toBeLessThan(4_000);
    expect(low).toBe(3_200);
  });

  it('applies the jitter to the capped delay', () => {
    expect(backoffDelay(10, retry, maxJitter)).toBe(8_000);
  });

  it('with jitter 0 ignores the random source', () => {
    expect(backoffDelay(2, { ...retry, jitter: 0 }, maxJitter)).toBe(2_000);
  });

  it('with jitter 1 may go down to 0 but never below', () => {
    expect(backoffDelay(2, { ...retry, jitter: 1 }, maxJitter)).toBe(0);
  });

  it('for any attempt and random value stays in [base*(1-jitter), base] and is a whole number', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 100 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempts, r, jitter) => {
          const base = Math.min(retry.maxBackoffMs, retry.backoffMs * 2 ** (Math.max(1, attempts) - 1));
          const d = backoffDelay(attempts, { ...retry, jitter }, () => r);
          expect(Number.isInteger(d)).toBe(true);
          expect(d).toBeLessThanOrEqual(base);
          expect(d).toBeGreaterThanOrEqual(Math.floor(base * (1 - jitter)));
        },
      ),
    );
  });

  it('uses Math.random by default, within the same bounds', () => {
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(2, retry);
      expect(d).toBeGreaterThanOrEqual(1_600);
      expect(d).toBeLessThanOrEqual(2_000);
    }
  });
});
