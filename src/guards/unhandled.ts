import type { RedisClient } from '../redis.js';
import { globalKeys } from '../keys.js';

/**
 * Firing episodes no job is acting on, and why: the answer to "is anything firing that
 * remediator silently left alone?". The worker marks an episode when its job is held (a
 * cooldown, a pause, an approval, a blast-radius limit) or ends without a fix while the alert
 * still fires; acting, fixing or the alert's resolve clears it. Kept in Redis (every process
 * exposes the same numbers) with an expiry, so a dead worker's marks do not linger.
 */

/** The reasons, a bounded set (the `reason` label of remediator_episodes_unhandled). */
export const UNHANDLED_REASONS = [
  'cooldown',
  'paused',
  'awaiting_approval',
  'min_healthy',
  'rate_limited',
  'circuit_open',
  'refused',
  'approval_expired',
  'escalated',
  'failed',
] as const;
export type UnhandledReason = (typeof UNHANDLED_REASONS)[number];

interface Entry {
  remediation: string;
  reason: UnhandledReason;
  since: number;
  expiresAt: number;
}

/** How long a mark for an episode that ended unfixed lasts without a resolve (Alertmanager may never send one). */
export const UNHANDLED_END_TTL_MS = 24 * 3_600_000;

export function createUnhandled(deps: { redis: RedisClient; prefix: string; now?: () => number }) {
  const key = globalKeys(deps.prefix).unhandled;
  const now = deps.now ?? Date.now;
  const field = (host: string, fireJobId: string) => `${host}|${fireJobId}`;
  return {
    async mark(host: string, fireJobId: string, remediation: string, reason: UnhandledReason, untilMs: number) {
      const t = now();
      const entry: Entry = { remediation, reason, since: t, expiresAt: Math.max(untilMs, t + 1_000) };
      await deps.redis.hset(key, field(host, fireJobId), JSON.stringify(entry));
    },
    async clear(host: string, fireJobId: string): Promise<void> {
      await deps.redis.hdel(key, field(host, fireJobId));
    },
    /** The marks now, one per episode (for waking the jobs a reset concerns). */
    async entries(): Promise<{ host: string; jobId: string; remediation: string; reason: UnhandledReason }[]> {
      const h = await deps.redis.hgetall(key);
      const t = now();
      return Object.entries(h)
        .map(([f, v]) => ({ f, e: JSON.parse(v) as Entry }))
        .filter(({ e }) => e.expiresAt > t)
        .map(({ f, e }) => {
          const bar = f.indexOf('|');
          return { host: f.slice(0, bar), jobId: f.slice(bar + 1), remediation: e.remediation, reason: e.reason };
        });
    },
    /** Episodes per (remediation, reason) now; expired marks are dropped on the way. */
    async counts(): Promise<Map<string, { remediation: string; reason: UnhandledReason; n: number }>> {
      const h = await deps.redis.hgetall(key);
      const t = now();
      const out = new Map<string, { remediation: string; reason: UnhandledReason; n: number }>();
      const stale: string[] = [];
      for (const [f, v] of Object.entries(h)) {
        const e = JSON.parse(v) as Entry;
        if (e.expiresAt <= t) {
          stale.push(f);
          continue;
        }
        const id = `${e.remediation}|${e.reason}`;
        const cur = out.get(id) ?? { remediation: e.remediation, reason: e.reason, n: 0 };
        cur.n++;
        out.set(id, cur);
      }
      if (stale.length > 0) await deps.redis.hdel(key, ...stale);
      return out;
    },
  };
}

export type Unhandled = ReturnType<typeof createUnhandled>;
