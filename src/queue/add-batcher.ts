import type { JobsOptions, Queue } from 'bullmq';
import type { RemediationJobData } from './contract.js';

/**
 * Group commit for the webhook's job adds. Every BullMQ `addBulk` is one MULTI, one socket
 * write and one round trip, and on these machines a write costs more than the jobs in it: so
 * the adds of deliveries arriving while one `addBulk` is in flight wait for it and then go
 * together, as one `addBulk`. At one delivery at a time nothing waits (the first goes at once);
 * under load a handful of deliveries share each write.
 *
 * Each caller resolves only once its own jobs are in Redis (the MULTI answered), so a 202
 * still means durably enqueued. When a shared batch fails, each caller's jobs are tried again
 * on their own: a delivery whose jobs Redis refuses never costs another delivery its 202.
 */

/** One job as `Queue.addBulk` takes it. */
export interface BulkJob {
  name: string;
  data: RemediationJobData;
  opts: JobsOptions;
}

interface Waiting {
  jobs: BulkJob[];
  resolve(): void;
  reject(err: unknown): void;
}

export function createAddBatcher(queue: Pick<Queue<RemediationJobData>, 'addBulk'>) {
  let waiting: Waiting[] = [];
  let running = false;

  async function drain(): Promise<void> {
    running = true;
    try {
      while (waiting.length > 0) {
        const batch = waiting;
        waiting = [];
        try {
          await queue.addBulk(batch.flatMap((w) => w.jobs));
          for (const w of batch) w.resolve();
        } catch (err) {
          if (batch.length === 1) batch[0]!.reject(err);
          else
            await Promise.all(
              batch.map((w) =>
                queue.addBulk(w.jobs).then(
                  () => w.resolve(),
                  (e: unknown) => w.reject(e),
                ),
              ),
            );
        }
      }
    } finally {
      running = false;
    }
  }

  return {
    /** Add `jobs` (with the others waiting, if any); resolves once they are in Redis. */
    add(jobs: BulkJob[]): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ jobs, resolve, reject });
        if (!running) void drain();
      });
    },
  };
}

export type AddBatcher = ReturnType<typeof createAddBatcher>;
