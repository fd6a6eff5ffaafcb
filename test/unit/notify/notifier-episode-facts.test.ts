// The effectiveness rollups emit facts about an episode (its time to resolve, a re-fire after a
// success) on the same bus as the job's transitions. They are for the metrics only: were they
// routed to a sink, a thread would get an event its view cannot place (ranked terminal, it would
// freeze the new episode's thread before the job ran). The notifier must queue transitions only.
import type { Queue } from 'bullmq';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createEvents } from '../../../src/lifecycle/events.js';
import { TRANSITIONS } from '../../../src/lifecycle/outcome.js';
import { notifyKeys } from '../../../src/keys.js';
import type { DeliveryJobData } from '../../../src/notify/contract.js';
import { createNotifier } from '../../../src/notify/notifier.js';
import type { RedisClient } from '../../../src/redis.js';
import { jobData } from './job-data.js';

/** A counter as Redis' INCR is, through the MULTI the notifier sends. */
function fakeRedis(): RedisClient {
  const counts = new Map<string, number>();
  return {
    multi() {
      let key = '';
      const chain = {
        incr: (k: string) => ((key = k), chain),
        expire: () => chain,
        exec: async () => {
          const n = (counts.get(key) ?? 0) + 1;
          counts.set(key, n);
          return [
            [null, n],
            [null, 1],
          ];
        },
      };
      return chain;
    },
  } as unknown as RedisClient;
}

describe('the notifier and the effectiveness facts', () => {
  it('queues every transition for an "all" sink, and never episode.resolved or episode.recurred', async () => {
    const added: string[] = [];
    const queue = { add: async (name: string) => void added.push(name) } as unknown as Queue<DeliveryJobData>;
    const events = createEvents((name, err) => {
      throw new Error(`${name}: ${String(err)}`);
    });
    const notifier = createNotifier({
      events,
      redis: fakeRedis(),
      keys: notifyKeys('t'),
      sinks: [{ filter: { name: 'webhook', defaults: 'all' }, queue }],
      ttlSeconds: 60,
      log: pino({ level: 'silent' }),
    });
    const data = jobData();
    events.emit('job.queued', { jobId: 'j2', data });
    events.emit('episode.recurred', { jobId: 'j2', data, previousJobId: 'j1', afterMs: 60_000, within: ['1h'] });
    events.emit('episode.resolved', { jobId: 'j1', data, mttrMs: 90_000 });
    events.emit('alert.resolved', { jobId: 'j2', data });
    await notifier.flush(1_000);
    expect(added).toEqual(['job.queued', 'alert.resolved']);
    expect(TRANSITIONS).not.toContain('episode.resolved');
    expect(TRANSITIONS).not.toContain('episode.recurred');
  });
});
