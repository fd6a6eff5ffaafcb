import type { HistoryRecord } from './types.js';

/**
 * The episode's story beyond what the job's outcome says: facts that arrive apart from it (the
 * first Docker action, Alertmanager's resolved notification, a re-fire after a success) are
 * kept as extra fields of the record's hash, each written once, and merged into the record on
 * every read. The outcome write (store.ts) replaces only `json` and `idx`, so a resolved
 * notification that came while the job still ran is never overwritten by its outcome.
 *
 * Fields of `<prefix>:{history}:rec:<jobId>` besides json/idx:
 *   acted     epoch ms of the first `job.acting` (history recorder, worker connection)
 *   resolved  {"resolvedAt": ms, "endsAt": "..."} (the resolved webhook, src/stats/rollup.ts)
 *   recof     {"jobId", "afterMs"}: this episode re-fired after that success (rollup.ts)
 *   refired   {"jobId", "afterMs"}: this success was followed by that episode (rollup.ts)
 *   s:*       the effectiveness rollup's own bookkeeping (what it has counted), never shown
 */
export const STORY_FIELDS = ['acted', 'resolved', 'recof', 'refired'] as const;

const parse = <T>(text: string | null | undefined): T | undefined => {
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
};

/** The record with its story fields (HMGET values in STORY_FIELDS order) merged in. */
export function withStory(r: HistoryRecord, values: (string | null | undefined)[]): HistoryRecord {
  const [acted, resolved, recof, refired] = values;
  const res = parse<{ resolvedAt?: number; endsAt?: string }>(resolved);
  const out: HistoryRecord = { ...r };
  if (acted && Number.isFinite(Number(acted))) out.firstActionAt = Number(acted);
  if (res?.resolvedAt !== undefined) out.resolvedAt = res.resolvedAt;
  if (res?.endsAt) out.endsAt = res.endsAt;
  const of = parse<{ jobId: string; afterMs: number }>(recof);
  if (of) out.recurrenceOf = of;
  const by = parse<{ jobId: string; afterMs: number }>(refired);
  if (by) out.refiredBy = by;
  // Who approved or denied a step, from the step records the engine wrote.
  const approvals = (r.steps ?? []).flatMap((st) =>
    st.approval
      ? [
          {
            step: st.name,
            decision: st.approval.state,
            by: st.approval.by,
            at: st.approval.at ?? st.approval.requestedAt,
            reason: st.approval.reason,
          },
        ]
      : [],
  );
  if (approvals.length > 0) out.approvals = approvals;
  return out;
}

/**
 * KEYS[1] record hash; ARGV[1] field, [2] value, [3] ttl s for a hash that has none yet (the
 * record itself may not be written yet). Sets the field only if absent: the first one stays.
 */
export const MARK = `
local set = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3])) end
return set`;

/** When it ended as Alertmanager says it (endsAt), else when remediator heard it resolved. */
export function endMs(resolvedAt: number, endsAt: string | undefined): number {
  const t = endsAt ? Date.parse(endsAt) : Number.NaN;
  // A zero endsAt ("0001-01-01…") or one that cannot be read: the notification's time.
  return Number.isFinite(t) && t > 0 ? t : resolvedAt;
}
