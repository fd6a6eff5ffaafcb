import { DEFAULT_LIMIT, decodeCursor, encodeCursor } from './filter.js';
import type { HistoryFilter, HistoryPage, HistoryRecord } from './types.js';
import { historyKeys } from '../keys.js';
import { scriptCommand, scriptWithKeys, type RedisClient } from '../redis.js';
import { MARK, STORY_FIELDS, withStory } from './story.js';

/**
 * Remediation history in Redis, kept for HISTORY_RETENTION_SECONDS whatever BullMQ's job
 * retention does. Layout (one hash slot, `{history}`, so the Lua script is Redis Cluster safe):
 *   <prefix>:{history}:rec:<jobId>              hash: json, idx (the index keys it is in), and the
 *                                                story's fields (story.ts) written apart from it
 *   <prefix>:{history}:time                     zset jobId -> receivedAt ms (all records)
 *   <prefix>:{history}:idx:<field>:<value>      zset jobId -> receivedAt ms, per filter value
 * Memory is bounded: every write trims records older than the retention and beyond
 * `maxRecords` (oldest first), and every key expires after the retention if nothing writes.
 */

/**
 * KEYS[1] record, KEYS[2] timeline, KEYS[3..] index keys (all in `{history}`: one Cluster
 * slot); ARGV[1] jobId, [2] score, [3] json, [4] mode ('initial': only if absent, so a late
 * `queued` never overwrites an outcome), [5] cutoff ms, [6] ttl s, [7] max records, [8] record
 * key prefix. Records dropped for age or count are reached through the prefix: their keys are
 * in the same slot. Returns 1 written, 0 kept.
 */
const WRITE = `
local rec, timeline, id = KEYS[1], KEYS[2], ARGV[1]
if ARGV[4] == 'initial' and redis.call('HEXISTS', rec, 'json') == 1 then return 0 end
local ttl = tonumber(ARGV[6])
local function unindex(key, member)
  local ix = redis.call('HGET', key, 'idx')
  if ix then for k in string.gmatch(ix, '[^\\n]+') do redis.call('ZREM', k, member) end end
end
unindex(rec, id)
local idx = {}
for i = 3, #KEYS do
  redis.call('ZADD', KEYS[i], ARGV[2], id)
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. ARGV[5])
  redis.call('EXPIRE', KEYS[i], ttl)
  idx[#idx + 1] = KEYS[i]
end
redis.call('HSET', rec, 'json', ARGV[3], 'idx', table.concat(idx, '\\n'))
redis.call('EXPIRE', rec, ttl)
redis.call('ZADD', timeline, ARGV[2], id)
redis.call('EXPIRE', timeline, ttl)
local function drop(member)
  local key = ARGV[8] .. member
  unindex(key, member)
  redis.call('DEL', key)
  redis.call('ZREM', timeline, member)
end
for _, m in ipairs(redis.call('ZRANGEBYSCORE', timeline, '-inf', '(' .. ARGV[5], 'LIMIT', 0, 200)) do drop(m) end
local excess = redis.call('ZCARD', timeline) - tonumber(ARGV[7])
if excess > 0 then
  for _, m in ipairs(redis.call('ZRANGE', timeline, 0, math.min(excess, 200) - 1)) do drop(m) end
end
return 1`;

export interface HistoryStoreDeps {
  redis: RedisClient;
  prefix: string;
  retentionSeconds: number;
  /** Hard cap on records kept, whatever the retention (default 100,000). */
  maxRecords?: number;
  now?: () => number;
}

const BATCH = 200;
/** Records looked at per page at most; past it the page ends early with a cursor to go on. */
const SCAN_BUDGET = 5_000;

function matches(f: HistoryFilter, r: HistoryRecord): boolean {
  return (
    (f.alertname === undefined || r.alertname === f.alertname) &&
    (f.remediation === undefined || r.remediation === f.remediation) &&
    (f.outcome === undefined || r.outcome === f.outcome) &&
    (f.target === undefined || r.target === f.target || r.targets.includes(f.target))
  );
}

export function createHistoryStore(deps: HistoryStoreDeps) {
  const { redis } = deps;
  const k = historyKeys(deps.prefix);
  const now = deps.now ?? Date.now;
  const indexKeys = (r: HistoryRecord) => [
    k.idx('alertname', r.alertname),
    k.idx('remediation', r.remediation),
    k.idx('outcome', r.outcome),
    ...[...new Set([r.target, ...r.targets].filter((t) => t !== ''))].map((t) => k.idx('target', t)),
  ];

  return {
    keys: k,

    /** Write a record: 'initial' only if none exists yet (a queued row), 'final' always. */
    async record(r: HistoryRecord, mode: 'initial' | 'final'): Promise<boolean> {
      const cutoff = now() - deps.retentionSeconds * 1000;
      const reply = await scriptWithKeys(
        redis,
        'remediatorHistoryWriteKeys',
        WRITE,
      )(
        [k.rec(r.jobId), k.time, ...indexKeys(r)],
        [
          r.jobId,
          String(r.receivedAt),
          JSON.stringify(r),
          mode,
          String(cutoff),
          String(deps.retentionSeconds),
          String(deps.maxRecords ?? 100_000),
          k.recPrefix,
        ],
      );
      return Number(reply) === 1;
    },

    async get(jobId: string): Promise<HistoryRecord | undefined> {
      const [json, ...story] = await redis.hmget(k.rec(jobId), 'json', ...STORY_FIELDS);
      return json ? withStory(JSON.parse(json) as HistoryRecord, story) : undefined;
    },

    /** When the job first acted (the first call wins): part of the episode's story. */
    async markActed(jobId: string, at: number): Promise<void> {
      await scriptCommand(redis, 'remediatorHistoryMark', MARK, 1)(
        k.rec(jobId),
        'acted',
        String(at),
        String(deps.retentionSeconds),
      );
    },

    /** Newest first. Read-only: walks the smallest index that applies and filters the rest. */
    async query(f: HistoryFilter): Promise<HistoryPage> {
      const limit = f.limit ?? DEFAULT_LIMIT;
      const candidates = [
        f.alertname !== undefined ? k.idx('alertname', f.alertname) : undefined,
        f.remediation !== undefined ? k.idx('remediation', f.remediation) : undefined,
        f.outcome !== undefined ? k.idx('outcome', f.outcome) : undefined,
        f.target !== undefined ? k.idx('target', f.target) : undefined,
      ].filter((x): x is string => x !== undefined);
      let key = k.time;
      if (candidates.length > 0) {
        const sizes = await Promise.all(candidates.map((c) => redis.zcard(c)));
        key = candidates[sizes.indexOf(Math.min(...sizes))]!;
      }
      const cursor = f.cursor !== undefined ? decodeCursor(f.cursor) : undefined;
      const max = Math.min(f.until ?? Infinity, cursor?.at ?? Infinity);
      const min = f.since ?? -Infinity;
      const bound = (n: number) => (n === Infinity ? '+inf' : n === -Infinity ? '-inf' : String(n));
      const records: HistoryRecord[] = [];
      let offset = 0;
      let scanned = 0;
      let last: { at: number; jobId: string } | undefined;
      for (;;) {
        const flat = await redis.zrevrangebyscore(key, bound(max), bound(min), 'WITHSCORES', 'LIMIT', offset, BATCH);
        if (flat.length === 0) return { records, nextCursor: undefined };
        offset += flat.length / 2;
        const ids = flat.filter((_, i) => i % 2 === 0);
        const replies =
          (await redis.pipeline(ids.map((id) => ['hmget', k.rec(id), 'json', ...STORY_FIELDS])).exec()) ?? [];
        for (const [i, jobId] of ids.entries()) {
          const at = Number(flat[i * 2 + 1]);
          // Equal times come in descending id order: those up to the cursor were on earlier pages.
          if (cursor && at === cursor.at && jobId >= cursor.jobId) continue;
          const [err, fields] = replies[i] ?? [];
          if (err) throw err;
          scanned++;
          const [json, ...story] = (fields as (string | null)[] | undefined) ?? [];
          if (typeof json === 'string') {
            const r = withStory(JSON.parse(json) as HistoryRecord, story);
            if (matches(f, r)) {
              if (records.length === limit) return { records, nextCursor: encodeCursor(last!) };
              records.push(r);
            }
          }
          if (records.length < limit || records.at(-1)?.jobId === jobId) last = { at, jobId };
          if (scanned >= SCAN_BUDGET && last) return { records, nextCursor: encodeCursor(last) };
        }
        if (flat.length / 2 < BATCH) return { records, nextCursor: undefined };
      }
    },
  };
}

export type HistoryStore = ReturnType<typeof createHistoryStore>;
