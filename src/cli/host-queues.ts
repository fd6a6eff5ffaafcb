import { Queue } from 'bullmq';
import { hostKeys } from '../keys.js';
import { REMEDIATION_QUEUE } from '../queue/contract.js';
import type { RedisClient } from '../redis.js';

/**
 * The remediation queue of each Docker host, opened on demand for a CLI command that reads
 * (or wakes) jobs. skipMetasUpdate: a Queue normally writes its meta key on connect, and a
 * read-only command (simulate) must write nothing.
 */
export function hostQueues(redis: RedisClient, prefix: string) {
  const queues = new Map<string, Queue>();
  return {
    queueFor(host: string): Queue {
      let q = queues.get(host);
      if (!q) {
        q = new Queue(REMEDIATION_QUEUE, {
          connection: redis,
          prefix: hostKeys(prefix, host).queuePrefix,
          skipMetasUpdate: true,
        });
        q.on('error', () => undefined);
        queues.set(host, q);
      }
      return q;
    },
    async close(): Promise<void> {
      for (const q of queues.values()) await q.close().catch(() => undefined);
    },
  };
}
