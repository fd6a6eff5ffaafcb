import { historyKeys } from '../keys.js';
import { scriptWithKeys, type RedisClient } from '../redis.js';
import { aggregate } from './aggregate.js';
import { cover } from './buckets.js';
import type { StatsReport } from './schema.js';

/**
 * Reads the effectiveness rollups for a span: the HGETALL of every bucket that covers it (hours
 * at the start, days after), in one script call, so the cost follows the span and the number of
 * remediations, never the number of history records.
 */

/** Every bucket's fields as they are: no work in Redis beyond HGETALL's own. */
const READ = `
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('HGETALL', key) end
return out`;

export interface StatsQuery {
  /** Epoch ms. */
  since: number;
  /** Epoch ms; default now. */
  until?: number | undefined;
  remediation?: string | undefined;
  host?: string | undefined;
}

export function createStatsReader(deps: { redis: RedisClient; prefix: string; now?: () => number }) {
  const k = historyKeys(deps.prefix);
  const now = deps.now ?? Date.now;
  return {
    async query(q: StatsQuery): Promise<StatsReport> {
      const t = now();
      const until = q.until ?? t;
      const { buckets, fromMs } = cover(q.since, until, t);
      // One round trip; flat field/value lists (no object per bucket to build and walk).
      const hashes = (await scriptWithKeys(
        deps.redis,
        'remediatorStatsRead',
        READ,
      )(
        buckets.map((b) => k.stats(b)),
        [],
      )) as string[][];
      return aggregate(hashes, q, { since: q.since, until, coveredFrom: fromMs });
    },
  };
}

export type StatsReader = ReturnType<typeof createStatsReader>;
