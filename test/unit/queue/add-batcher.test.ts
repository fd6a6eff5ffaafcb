import { describe, expect, it } from 'vitest';
import { createAddBatcher, type BulkJob } from '../../../src/queue/add-batcher.js';
import type { RemediationJobData } from '../../../src/queue/contract.js';

const job = (id: string): BulkJob => ({ name: 'r', data: {} as RemediationJobData, opts: { jobId: id } });

/** A queue whose addBulk calls wait until released, recording what each call carried. */
function fakeQueue(refuse: (id: string) => boolean = () => false) {
  const calls: string[][] = [];
  const pending: (() => void)[] = [];
  return {
    calls,
    release: () => pending.splice(0).forEach((f) => f()),
    queue: {
      addBulk: (jobs: BulkJob[]) => {
        const ids = jobs.map((j) => String(j.opts.jobId));
        calls.push(ids);
        return new Promise<never[]>((resolve, reject) =>
          pending.push(() => (ids.some(refuse) ? reject(new Error(`refused ${ids.join(',')}`)) : resolve([]))),
        );
      },
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('createAddBatcher', () => {
  it('sends the first delivery at once and the ones arriving meanwhile together, after it', async () => {
    const q = fakeQueue();
    const b = createAddBatcher(q.queue);
    const first = b.add([job('a')]);
    const second = b.add([job('b'), job('c')]);
    const third = b.add([job('d')]);
    expect(q.calls).toEqual([['a']]);
    q.release();
    await first;
    await tick();
    expect(q.calls).toEqual([['a'], ['b', 'c', 'd']]);
    q.release();
    await Promise.all([second, third]);
  });

  it('resolves a delivery only once its own jobs are added', async () => {
    const q = fakeQueue();
    const b = createAddBatcher(q.queue);
    let done = false;
    const p = b.add([job('a')]).then(() => (done = true));
    await tick();
    expect(done).toBe(false);
    q.release();
    await p;
    expect(done).toBe(true);
  });

  it('retries a failed shared batch per delivery: only the refused delivery fails', async () => {
    const q = fakeQueue((id) => id === 'bad');
    const b = createAddBatcher(q.queue);
    const first = b.add([job('a')]);
    const good = b.add([job('b')]);
    const bad = b.add([job('bad')]);
    q.release();
    await first;
    await tick();
    expect(q.calls.at(-1)).toEqual(['b', 'bad']);
    q.release(); // the shared batch fails
    await tick();
    expect(q.calls.slice(-2)).toEqual([['b'], ['bad']]);
    q.release();
    await expect(good).resolves.toBeUndefined();
    await expect(bad).rejects.toThrow('refused bad');
  });
});
