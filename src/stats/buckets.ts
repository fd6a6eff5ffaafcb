/**
 * How the effectiveness rollups are laid out in Redis: what a bucket, a cell and a field are,
 * shared by the writer's Lua (rollup.ts) and the reader (reader.ts). Pure.
 *
 * A bucket is one hash per hour (`h:<hours since epoch>`, kept 8 days) and one per day
 * (`d:<days since epoch>`, kept the history retention), under historyKeys(prefix).stats(). A
 * record counts in the buckets of the hour and day it was received (`receivedAt`), so a query
 * reads at most ~23 hours + 2 days, or one hash per day for longer spans, whatever the number
 * of records. A field is
 * `<cell>|<metric>`; a cell is `<remediation>|<host>|<step>` (URI-encoded; step '' for the
 * remediation as a whole), so a reader can sum cells by remediation, step or host.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Hourly buckets live this long; older queries are answered by the day (rounded down). */
export const HOUR_BUCKET_TTL_S = 8 * 24 * 3600;
/** Spans up to this long start at since's hour; longer ones at its day. */
export const HOUR_PRECISION_SPAN_MS = 48 * 3_600_000;

/**
 * Upper bounds (ms) of the fixed histogram buckets every timing keeps (time to first action,
 * to verified, to resolved, step durations); one more bucket holds what is above the last.
 */
export const TIMING_BOUNDS_MS = [
  1_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000,
  86_400_000,
] as const;

export const hourBucket = (ms: number): string => `h:${Math.floor(ms / HOUR_MS)}`;
export const dayBucket = (ms: number): string => `d:${Math.floor(ms / DAY_MS)}`;

const enc = (s: string) => encodeURIComponent(s);

/** The cell of a remediation on a host (step '' = the remediation as a whole). */
export const cellOf = (remediation: string, host: string, step = ''): string =>
  `${enc(remediation)}|${enc(host)}|${enc(step)}`;

/** A field name parsed back: its cell's parts and the metric. */
export interface ParsedField {
  remediation: string;
  host: string;
  step: string;
  metric: string;
}

export function parseField(field: string): ParsedField | undefined {
  const parts = field.split('|');
  if (parts.length !== 4) return undefined;
  try {
    return {
      remediation: decodeURIComponent(parts[0]!),
      host: decodeURIComponent(parts[1]!),
      step: decodeURIComponent(parts[2]!),
      metric: parts[3]!,
    };
  } catch {
    return undefined;
  }
}

/**
 * The buckets that cover [since, until]: whole days where a whole day fits and its hours are
 * not needed, hours at the ends; hours older than the hourly horizon are answered by their
 * day. Returns the bucket names and where the covered span really starts (bucket-aligned).
 */
export function cover(sinceMs: number, untilMs: number, nowMs: number): { buckets: string[]; fromMs: number } {
  const horizon = Math.floor((nowMs - HOUR_BUCKET_TTL_S * 1000) / HOUR_MS + 1) * HOUR_MS;
  let t = Math.floor(sinceMs / HOUR_MS) * HOUR_MS;
  // Past the hourly horizon only days exist, and a span of days is read by the day (a 7-day
  // report from ~8 hashes, not ~30): start at since's day.
  if (t < horizon || untilMs - sinceMs > HOUR_PRECISION_SPAN_MS) t = Math.floor(sinceMs / DAY_MS) * DAY_MS;
  const fromMs = t;
  const end = untilMs;
  const buckets: string[] = [];
  // Bounded: at most (end - since) / 1h iterations, and days step 24 at a time.
  // Nothing is counted after now (a record counts when it was received): a day that runs past
  // now is read whole when the span runs to now, instead of hour by hour.
  const toNow = untilMs >= nowMs;
  while (t <= end) {
    const dayStart = t % DAY_MS === 0;
    if (dayStart && (t + DAY_MS - 1 <= end || t + HOUR_MS <= horizon || (toNow && t + DAY_MS > nowMs))) {
      buckets.push(dayBucket(t));
      t += DAY_MS;
    } else if (t < horizon) {
      // A partial day past the horizon: its day bucket (the hours are gone).
      buckets.push(dayBucket(t));
      t = (Math.floor(t / DAY_MS) + 1) * DAY_MS;
    } else {
      buckets.push(hourBucket(t));
      t += HOUR_MS;
    }
  }
  return { buckets, fromMs };
}
