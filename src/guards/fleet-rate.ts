import type { RedisClient } from '../redis.js';
import { globalKeys } from '../keys.js';
import { scriptCommand } from '../redis.js';

/**
 * The fleet-wide cap of disruptive actions per minute (MAX_DISRUPTIVE_PER_MINUTE): a sliding
 * window in `{global}`, shared by every worker on every host. A step takes its slot right
 * before it acts; one member per (job, step), so a rerun after a crash does not count twice.
 * A step over the cap waits (deferred) until the oldest action leaves the window.
 */

const WINDOW_MS = 60_000;

/** What the cap says for one step now. */
export interface RateView {
  used: number;
  limit: number;
  /** The step may not act now; try again after `retryInMs`. */
  blocked: boolean;
  retryInMs: number;
}

/**
 * KEYS[1] window zset. ARGV[1] member, [2] now ms, [3] limit, [4] take (1) or only look (0).
 * Returns {blocked 0/1, used, retryInMs}.
 */
const TAKE = `
local now, limit, take = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == '1'
local used = redis.call('ZCOUNT', KEYS[1], now - ${WINDOW_MS}, '+inf')
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {0, used, 0} end
if used >= limit then
  local oldest = redis.call('ZRANGEBYSCORE', KEYS[1], now - ${WINDOW_MS}, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  local wait = ${WINDOW_MS}
  if oldest[2] then wait = tonumber(oldest[2]) + ${WINDOW_MS} - now end
  return {1, used, math.max(wait, 1)}
end
if take then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ${WINDOW_MS})
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ${WINDOW_MS})
end
return {0, used, 0}`;

export interface FleetRateDeps {
  redis: RedisClient;
  prefix: string;
  /** Disruptive actions per minute across the fleet; 0: no cap. */
  perMinute: number;
  now?: () => number;
}

export function createFleetRate(deps: FleetRateDeps) {
  const key = globalKeys(deps.prefix).disruptive;
  const now = deps.now ?? Date.now;
  const run = (member: string, take: boolean): Promise<RateView> => {
    if (deps.perMinute <= 0) return Promise.resolve({ used: 0, limit: 0, blocked: false, retryInMs: 0 });
    const script = scriptCommand(deps.redis, 'remediatorFleetRate', TAKE, 1);
    return script(key, member, String(now()), String(deps.perMinute), take ? '1' : '0').then((r) => {
      const [blocked, used, retry] = r as [number, number, number];
      return { used: Number(used), limit: deps.perMinute, blocked: Number(blocked) === 1, retryInMs: Number(retry) };
    });
  };
  return {
    limit: deps.perMinute,
    /** Take a slot for this (job, step) if the window has one. */
    take: (member: string) => run(member, true),
    /** What taking would say now, writing nothing (simulate, dry run). */
    peek: (member: string) => run(member, false),
    /** Give the slot back: the step did not act after all (a pause came in between). */
    async giveBack(member: string): Promise<void> {
      if (deps.perMinute > 0) await deps.redis.zrem(key, member);
    },
  };
}

export type FleetRate = ReturnType<typeof createFleetRate>;
