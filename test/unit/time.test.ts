import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { settledWithin, sleepUnless } from '../../src/time.js';

describe('sleepUnless', () => {
  it('leaves no abort listener behind, however many polls sleep on one signal', async () => {
    const ac = new AbortController();
    for (let i = 0; i < 20; i++) await sleepUnless(1, ac.signal);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('ends at once when the signal aborts, or already has', async () => {
    const ac = new AbortController();
    const long = sleepUnless(60_000, ac.signal);
    ac.abort();
    expect(await settledWithin(long, 1_000)).toBe(true);
    expect(await settledWithin(sleepUnless(60_000, ac.signal), 1_000)).toBe(true);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});
