import type { Queue } from 'bullmq';

/**
 * Wake a job that waits as delayed (for a pause to end, an approval, a cooldown) so it looks
 * again now: promote it. False when it is not delayed (running, ended, gone): nothing to do.
 */
export function wakeThrough(queueFor: (host: string) => Pick<Queue, 'getJob'>) {
  return async (host: string, jobId: string): Promise<boolean> => {
    const job = await queueFor(host).getJob(jobId);
    if (!job || !(await job.isDelayed())) return false;
    await job.promote().catch(() => undefined);
    return true;
  };
}
