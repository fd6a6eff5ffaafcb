import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { keys } from '../queue/contract.js';
import type { SimulateReads } from './plan.js';

/**
 * The planner's Redis lookups: GET, EXISTS and BullMQ's read-only job-state script. Nothing
 * here writes, so simulating leaves Redis exactly as it was (the integration test compares
 * every key's DUMP before and after).
 */
export function createSimulateReads(redis: Redis, prefix: string, queue: Pick<Queue, 'getJobState'>): SimulateReads {
  return {
    episode: async (jobId) => (await redis.get(keys.episode(prefix, jobId))) ?? undefined,
    resolved: async (fireJobId) => (await redis.exists(keys.resolved(prefix, fireJobId))) === 1,
    jobState: (jobId) => queue.getJobState(jobId),
  };
}
