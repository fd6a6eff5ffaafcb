import type { RedisClient } from '../redis.js';
import type { Queue } from 'bullmq';
import { hostKeys } from '../keys.js';
import type { SimulateReads } from './plan.js';

/**
 * The planner's Redis lookups: GET, EXISTS and BullMQ's read-only job-state script. Nothing
 * here writes, so simulating leaves Redis exactly as it was (the integration test compares
 * every key's DUMP before and after).
 */
export function createSimulateReads(
  redis: RedisClient,
  prefix: string,
  queueFor: (host: string) => Pick<Queue, 'getJobState'>,
): SimulateReads {
  return {
    episode: async (host, jobId) => (await redis.get(hostKeys(prefix, host).episode(jobId))) ?? undefined,
    resolved: async (host, fireJobId) => (await redis.exists(hostKeys(prefix, host).resolved(fireJobId))) === 1,
    jobState: (host, jobId) => queueFor(host).getJobState(jobId),
  };
}
