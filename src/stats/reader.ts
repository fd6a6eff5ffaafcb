import type { Redis } from 'ioredis';
import { historyKeys } from '../keys.js';
import { aggregate } from './aggregate.js';
import { cover } from './buckets.js';
import type { StatsReport } from './schema.js';

/**
 * Reads the effectiveness rollups for a span: one pipelined HGETALL per bucket that covers
 * it (hours at the ends, days between), so the cost follows the span and the number of
 * remediations, never the number of history records.
 */

export interface StatsQuery {
  /** Epoch ms. */
  since: number;
  /** Epoch ms; default now. */
  until?: number | undefined;
  remediation?: string | undefined;
  host?: string | undefined;
}

export function createStatsReader(deps: { redis: Redis; prefix: string; now?: () => number }) {
  const k = historyKeys(deps.prefix);
  const now = deps.now ?? Date.now;
  return {
    async query(q: StatsQuery): Promise<StatsReport> {
      const t = now();
      const until = q.until ?? t;
      const { buckets, fromMs } = cover(q.since, until, t);
      const replies = (await deps.redis.pipeline(buckets.map((b) => ['hgetall', k.stats(b)])).exec()) ?? [];
      const hashes: Record<string, string>[] = [];
      for (const [err, hash] of replies) {
        if (err) throw err;
        hashes.push((hash ?? {}) as Record<string, string>);
      }
      return aggregate(hashes, q, { since: q.since, until, coveredFrom: fromMs });
    },
  };
}

export type StatsReader = ReturnType<typeof createStatsReader>;
