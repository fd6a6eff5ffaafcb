import { replicated, type RedisClient } from '../redis.js';
import type { JobMemo } from '../actions/types.js';
import type { JobPause, StepRecord } from './types.js';

/**
 * A job's runbook state, durable in one Redis hash per job (the job memo), so a worker that
 * dies mid-runbook is resumed by another at the step it was in, with that step's attempt count
 * and the memo its action wrote before acting (which keeps it from acting twice).
 *   cursor        the step to run next
 *   started       when a worker first took the job (epoch ms)
 *   rec:<i>       step i's record, once it ended (JSON)
 *   att:<i>       failed attempts of step i so far
 *   at:<i>        when step i first started
 *   s<i>:<key>    step i's action memo
 *   pz:<i>:<id>:<from>  a pause that held step i (JSON JobPause; the first time it did)
 * What keeps an action from running twice (its memo, written before the Docker call, and the
 * step's record) is also on a replica before the engine goes on when Redis is a Sentinel set
 * (`replicated`: WAIT), so a failover cannot take it back while the action stays done.
 */

export const MEMO_TTL_SECONDS = 7 * 24 * 3600;

/**
 * `write`, then on a Sentinel set WAIT until a replica has it. A WAIT refused means this
 * connection met the old master as it was demoted, so the write may be on the wrong side of
 * the failover: write again (the same fields: idempotent), at most three times.
 */
async function durably(redis: RedisClient, write: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await write();
    try {
      await replicated(redis);
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}

export interface JobState {
  cursor: number;
  startedAt: number | undefined;
  records: StepRecord[];
  attempts: Map<number, number>;
  stepStartedAt: Map<number, number>;
  /** Pauses that held its steps, in the order they did (history keeps them). */
  pauses: JobPause[];
}

const parsePause = (text: string): JobPause[] => {
  try {
    return [JSON.parse(text) as JobPause];
  } catch {
    return [];
  }
};

export function createJobStateStore(redis: RedisClient, key: string) {
  const write = async (fields: Record<string, string>, durable = false) => {
    const once = () => redis.multi().hset(key, fields).expire(key, MEMO_TTL_SECONDS).exec();
    await (durable ? durably(redis, once) : once());
  };
  return {
    async load(): Promise<JobState> {
      const h = await redis.hgetall(key);
      const records: StepRecord[] = [];
      const attempts = new Map<number, number>();
      const stepStartedAt = new Map<number, number>();
      const pauses: JobPause[] = [];
      for (const [field, value] of Object.entries(h)) {
        if (field.startsWith('pz:')) pauses.push(...parsePause(value));
        const m = /^(rec|att|at):(\d+)$/.exec(field);
        if (!m) continue;
        const i = Number(m[2]);
        if (m[1] === 'rec') records.push(JSON.parse(value) as StepRecord);
        else if (m[1] === 'att') attempts.set(i, Number(value));
        else stepStartedAt.set(i, Number(value));
      }
      records.sort((a, b) => a.index - b.index);
      return {
        cursor: Number(h.cursor ?? 0),
        startedAt: h.started !== undefined ? Number(h.started) : undefined,
        records,
        attempts,
        stepStartedAt,
        pauses: pauses.sort((a, b) => a.heldAt - b.heldAt),
      };
    },
    started: (at: number) => write({ started: String(at) }),
    stepStarted: (i: number, at: number) => write({ [`at:${i}`]: String(at) }),
    attemptFailed: (i: number, attempts: number) => write({ [`att:${i}`]: String(attempts) }),
    /** A step ended: its record and the cursor past it, in one write. */
    stepEnded: (rec: StepRecord) =>
      write({ [`rec:${rec.index}`]: JSON.stringify(rec), cursor: String(rec.index + 1) }, true),
    /** A pause holds step i: kept once per pause (its first hold; a recheck or re-hold adds nothing). */
    heldByPause: async (i: number, pauseId: string, p: Omit<JobPause, 'heldAt'>, at: number) => {
      const field = `pz:${i}:${pauseId}:${p.from}`;
      await redis
        .multi()
        .hsetnx(key, field, JSON.stringify({ ...p, heldAt: at }))
        .expire(key, MEMO_TTL_SECONDS)
        .exec();
    },
    /** The action memo of step i, kept across its attempts. */
    memo(i: number): JobMemo {
      return {
        get: async (field) => (await redis.hget(key, `s${i}:${field}`)) ?? undefined,
        set: (field, value) => write({ [`s${i}:${field}`]: value }, true),
      };
    },
  };
}

export type JobStateStore = ReturnType<typeof createJobStateStore>;

/** A memo in its own hash (the episode's, shared by fire and onResolved jobs). */
export function hashMemo(redis: RedisClient, key: string, ttlSeconds: number): JobMemo {
  return {
    get: async (field) => (await redis.hget(key, field)) ?? undefined,
    set: async (field, value) => {
      await durably(redis, () => redis.multi().hset(key, field, value).expire(key, ttlSeconds).exec());
    },
  };
}

/** A long-lived per-host store: one key per field (bounded by what actions write there). */
export function keyMemo(redis: RedisClient, keyOf: (field: string) => string, ttlSeconds: number): JobMemo {
  return {
    get: async (field) => (await redis.get(keyOf(field))) ?? undefined,
    set: async (field, value) => {
      await redis.set(keyOf(field), value, 'EX', ttlSeconds);
    },
  };
}
