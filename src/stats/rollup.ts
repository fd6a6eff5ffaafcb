import type { RemediationSpec } from '../catalog/remediation.js';
import type { HistoryRecord } from '../history/types.js';
import { endMs } from '../history/story.js';
import { historyKeys } from '../keys.js';
import { scriptCommand, scriptWithKeys, type RedisClient } from '../redis.js';
import { DAY_MS, HOUR_BUCKET_TTL_S, HOUR_MS, TIMING_BOUNDS_MS, cellOf, dayBucket, hourBucket } from './buckets.js';
import { finishIncrements } from './increments.js';

/**
 * The effectiveness rollups, kept up to date as history is written: each call adds what a
 * record newly says, exactly once (the record's hash remembers what was counted, so a job
 * finished twice by at-least-once delivery, or a resolved notification sent again, counts
 * once). All keys are in `{history}`'s slot, so each call is one atomic script (Cluster safe).
 */

/** Lua shared by both scripts: a timing adds count, sum, min, max and its histogram bucket. */
const TIMING_LUA = `
local bounds = {${TIMING_BOUNDS_MS.join(', ')}}
local function bucketOf(v)
  for i, b in ipairs(bounds) do if v <= b then return i - 1 end end
  return #bounds
end
local function timing(keys, base, v)
  if v < 0 then v = 0 end
  v = math.floor(v + 0.5)
  for _, k in ipairs(keys) do
    redis.call('HINCRBY', k, base .. ':n', 1)
    redis.call('HINCRBY', k, base .. ':s', v)
    local lo = redis.call('HGET', k, base .. ':lo')
    if not lo or v < tonumber(lo) then redis.call('HSET', k, base .. ':lo', v) end
    local hi = redis.call('HGET', k, base .. ':hi')
    if not hi or v > tonumber(hi) then redis.call('HSET', k, base .. ':hi', v) end
    redis.call('HINCRBY', k, base .. ':b' .. bucketOf(v), 1)
  end
end
local function existing(list)
  local out = {}
  for _, k in ipairs(list) do if k and redis.call('EXISTS', k) == 1 then out[#out + 1] = k end end
  return out
end`;

/**
 * KEYS: [1] record hash, [2] its hour bucket, [3] its day bucket, [4] the last success of
 * (remediation, fingerprint), [5..] hour buckets of the recurrence guard's window.
 * ARGV[1]: JSON {job, cell, fired, hourTtl, dayTtl, recTtl, recur?: {guardWithin, lastTtlMs},
 * fin?: {counts, timings, actedFallback, successAt}, guard?: 1}; -1 stands for "none".
 * Record hash bookkeeping: s:c cell, s:f fired ms, s:h/s:y its buckets, s:q re-fire checked,
 * s:x outcome counted, s:e resolved (end ms, from RESOLVE), s:r time to resolve counted.
 * Returns JSON {recurred?: {prev, afterMs, within[]}, mttr?, finished?, guard?: {succeeded, recurred}}.
 */
const APPLY = `${TIMING_LUA}
local rec, hour, day, last = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local op = cjson.decode(ARGV[1])
local out = {}
local own = {hour, day}
local function incr(keys, field, n) for _, k in ipairs(keys) do redis.call('HINCRBY', k, field, n) end end
if redis.call('HSETNX', rec, 's:c', op.cell) == 1 then
  redis.call('HSET', rec, 's:f', op.fired, 's:h', hour, 's:y', day)
end
local fired = tonumber(redis.call('HGET', rec, 's:f'))
if op.recur and redis.call('HSETNX', rec, 's:q', 1) == 1 then
  local l = redis.call('HMGET', last, 'job', 'at', 'hour', 'day', 'rec', 'cell', 'f1', 'f24', 'fg')
  if l[1] and l[1] ~= op.job then
    local after = math.max(0, fired - tonumber(l[2]))
    local keys = existing({l[3], l[4]})
    local within = {}
    local function mark(limit, flag, metric, label)
      if limit > 0 and after <= limit and not l[flag] then
        incr(keys, l[6] .. '|' .. metric, 1)
        redis.call('HSET', last, ({'f1', 'f24', 'fg'})[flag - 6], 1)
        within[#within + 1] = label
      end
    end
    mark(${HOUR_MS}, 7, 'r1', '1h')
    mark(${DAY_MS}, 8, 'r24', '24h')
    mark(op.recur.guardWithin, 9, 'rg', 'guard')
    if #within > 0 then
      if redis.call('EXISTS', l[5]) == 1 then
        redis.call('HSETNX', l[5], 'refired', cjson.encode({jobId = op.job, afterMs = after}))
      end
      redis.call('HSET', rec, 'recof', cjson.encode({jobId = l[1], afterMs = after}))
      out.recurred = {prev = l[1], afterMs = after, within = within}
    end
  end
end
if op.fin and redis.call('HSETNX', rec, 's:x', 1) == 1 then
  for _, c in ipairs(op.fin.counts) do incr(own, c[1], c[2]) end
  for _, t in ipairs(op.fin.timings) do timing(own, t[1], t[2]) end
  local acted = tonumber(redis.call('HGET', rec, 'acted') or op.fin.actedFallback)
  if acted >= 0 then
    incr(own, op.cell .. '|acted', 1)
    timing(own, op.cell .. '|ttfa', acted - fired)
  end
  if op.fin.successAt >= 0 then
    local prev = tonumber(redis.call('HGET', last, 'at') or -1)
    if op.fin.successAt >= prev then
      redis.call('DEL', last)
      redis.call('HSET', last, 'job', op.job, 'at', op.fin.successAt, 'hour', hour, 'day', day, 'rec', rec, 'cell', op.cell)
      redis.call('PEXPIRE', last, op.recur.lastTtlMs)
    end
  end
  out.finished = 1
end
local ends = redis.call('HGET', rec, 's:e')
if ends and redis.call('HSETNX', rec, 's:r', 1) == 1 then
  out.mttr = math.max(0, tonumber(ends) - fired)
  timing(own, op.cell .. '|mttr', out.mttr)
end
if op.guard then
  local ok, rg = 0, 0
  for i = 5, #KEYS do
    local v = redis.call('HMGET', KEYS[i], op.cell .. '|o:succeeded', op.cell .. '|rg')
    ok = ok + (tonumber(v[1]) or 0)
    rg = rg + (tonumber(v[2]) or 0)
  end
  out.guard = {succeeded = ok, recurred = rg}
end
for i, k in ipairs(own) do
  if redis.call('TTL', k) == -1 then redis.call('EXPIRE', k, ({op.hourTtl, op.dayTtl})[i]) end
end
if redis.call('TTL', rec) < 0 then redis.call('EXPIRE', rec, op.recTtl) end
return cjson.encode(out)`;

/**
 * KEYS[1] the fire job's record hash; ARGV [1] the story's JSON {resolvedAt, endsAt}, [2] end
 * ms, [3] ttl s for a hash not written yet. The first notification is kept; the time to
 * resolve is counted here when the record is known, else by APPLY when it is written.
 * Returns {1 if first notification else 0, time to resolve ms or -1}.
 */
const RESOLVE = `${TIMING_LUA}
local rec = KEYS[1]
local first = redis.call('HSETNX', rec, 'resolved', ARGV[1])
if first == 1 then redis.call('HSET', rec, 's:e', ARGV[2]) end
if redis.call('TTL', rec) < 0 then redis.call('EXPIRE', rec, tonumber(ARGV[3])) end
local v = redis.call('HMGET', rec, 's:c', 's:f', 's:h', 's:y', 's:e')
if v[1] and v[5] and redis.call('HSETNX', rec, 's:r', 1) == 1 then
  local m = math.max(0, tonumber(v[5]) - tonumber(v[2]))
  timing(existing({v[3], v[4]}), v[1] .. '|mttr', m)
  return {first, m}
end
return {first, -1}`;

export interface StatsWriterDeps {
  redis: RedisClient;
  prefix: string;
  retentionSeconds: number;
  now?: () => number;
}

/** What a write newly counted, for metrics and the feedback guard. */
export interface ApplyResult {
  recurred?: { prev: string; afterMs: number; within: string[] };
  mttr?: number;
  finished?: number;
  guard?: { succeeded: number; recurred: number };
}

/** How long a pending story (a resolved notification before its record) is kept at most. */
const PENDING_TTL_S = 7 * 24 * 3600;

export function createStatsWriter(deps: StatsWriterDeps) {
  const { redis } = deps;
  const k = historyKeys(deps.prefix);
  const now = deps.now ?? Date.now;
  const dayTtl = Math.max(deps.retentionSeconds, 1);
  const hourTtl = Math.min(HOUR_BUCKET_TTL_S, dayTtl);

  return {
    /**
     * Count what a fire-phase record newly says: `opened` (queued: is it a re-fire after a
     * success?) or `finished` (its outcome, steps and timings; then the re-fire check too if
     * it was not done). Records of other phases count nothing.
     */
    async apply(
      r: HistoryRecord,
      spec: Pick<RemediationSpec, 'guards'> | undefined,
      mode: 'opened' | 'finished',
    ): Promise<ApplyResult> {
      if (r.phase !== 'fire') return {};
      const fin = mode === 'finished' ? finishIncrements(r) : undefined;
      const guard = spec?.guards.recurrence;
      const windowKeys: string[] = [];
      if (fin && guard) {
        const t = now();
        for (let h = Math.floor((t - guard.windowMs) / HOUR_MS); h <= Math.floor(t / HOUR_MS); h++)
          windowKeys.push(k.stats(`h:${h}`));
      }
      const fired = r.firedAt ?? Date.parse(r.startsAt);
      const op = {
        job: r.jobId,
        cell: cellOf(r.remediation, r.host),
        fired: Number.isFinite(fired) ? fired : r.receivedAt,
        hourTtl,
        dayTtl,
        recTtl: Math.min(deps.retentionSeconds, PENDING_TTL_S),
        recur: {
          guardWithin: guard?.withinMs ?? 0,
          // The last success is remembered as long as a re-fire after it can still count.
          lastTtlMs: Math.max(DAY_MS, guard?.withinMs ?? 0) + HOUR_MS,
        },
        ...(fin && {
          fin: {
            counts: fin.counts,
            timings: fin.timings,
            actedFallback: fin.actedFallback ?? -1,
            successAt: fin.successAt ?? -1,
          },
        }),
        ...(fin && guard && { guard: 1 }),
      };
      const reply = await scriptWithKeys(
        redis,
        'remediatorStatsApply',
        APPLY,
      )(
        [
          k.rec(r.jobId),
          k.stats(hourBucket(r.receivedAt)),
          k.stats(dayBucket(r.receivedAt)),
          k.lastSuccess(r.remediation, r.fingerprint),
          ...windowKeys,
        ],
        [JSON.stringify(op)],
      );
      const out = JSON.parse(String(reply)) as ApplyResult;
      // cjson encodes an empty array as an object.
      if (out.recurred && !Array.isArray(out.recurred.within)) out.recurred.within = [];
      return out;
    },

    /**
     * Alertmanager said the episode of `fireJobId` resolved: keep when (the first notification
     * only) and count its time to resolve once its record is known.
     */
    async resolved(
      fireJobId: string,
      resolvedAt: number,
      endsAt: string | undefined,
    ): Promise<{ first: boolean; mttrMs: number | undefined }> {
      const story = JSON.stringify({ resolvedAt, ...(endsAt && { endsAt }) });
      const [first, mttr] = (await scriptCommand(redis, 'remediatorStatsResolve', RESOLVE, 1)(
        k.rec(fireJobId),
        story,
        String(endMs(resolvedAt, endsAt)),
        String(Math.min(deps.retentionSeconds, PENDING_TTL_S)),
      )) as [number, number];
      return { first: first === 1, mttrMs: mttr >= 0 ? mttr : undefined };
    },
  };
}

export type StatsWriter = ReturnType<typeof createStatsWriter>;
