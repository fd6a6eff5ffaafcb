import type { RedisClient } from '../redis.js';
import { globalKeys } from '../keys.js';
import { scriptWithKeys } from '../redis.js';

/**
 * The fleet-wide in-flight cap (MAX_IN_FLIGHT_GLOBAL): at most N actions at once across every
 * host. The per-host guards live in each host's hash slot and are taken by one script; this
 * semaphore spans hosts, so it has its own key in `{global}` and its own call, made after the
 * host's guards are held (and given back with them). Slots expire like the per-host ones, so a
 * worker that dies holding one frees it after TARGET_LOCK_SECONDS.
 */

/**
 * KEYS[1] the global in-flight zset (member job id, score = when the slot expires).
 * ARGV[1] job id, [2] now ms, [3] ttl ms, [4] max. A job that already holds a slot keeps it
 * (its rerun after a crash). Returns {taken (1/0), slots used after the call}.
 */
const TAKE = `
local key, job, now, ttl, max = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
local used = redis.call('ZCARD', key)
if not redis.call('ZSCORE', key, job) then
  if used >= max then return {0, used} end
  used = used + 1
end
redis.call('ZADD', key, now + ttl, job)
redis.call('PEXPIRE', key, ttl)
return {1, used}`;

export interface GlobalCapDeps {
  redis: RedisClient;
  prefix: string;
  /** Actions in flight at once across every host. */
  max: number;
  /** How long a slot outlives a dead worker. */
  ttlMs: number;
  now?: () => number;
}

export interface GlobalSlot {
  taken: boolean;
  used: number;
  max: number;
}

export function createGlobalCap(deps: GlobalCapDeps) {
  const key = globalKeys(deps.prefix).inFlight;
  const now = deps.now ?? Date.now;
  return {
    max: deps.max,
    /** Take a slot for `jobId`, or say how full the fleet is. */
    async take(jobId: string): Promise<GlobalSlot> {
      const [taken, used] = (await scriptWithKeys(
        deps.redis,
        'remediatorGlobalCapTake',
        TAKE,
      )([key], [jobId, String(now()), String(deps.ttlMs), String(deps.max)])) as [number, number];
      return { taken: taken === 1, used, max: deps.max };
    },
    /** Give the slot back (idempotent). */
    async give(jobId: string): Promise<void> {
      await deps.redis.zrem(key, jobId);
    },
    /** Slots in use now (metrics, simulate). */
    async used(): Promise<number> {
      return deps.redis.zcount(key, now(), '+inf');
    },
  };
}

export type GlobalCap = ReturnType<typeof createGlobalCap>;
