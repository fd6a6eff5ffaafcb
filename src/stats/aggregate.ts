import { TIMING_BOUNDS_MS, parseField, type ParsedField } from './buckets.js';
import type { EffectRow, StatsReport, StepRow, Timing } from './schema.js';

/**
 * Turns rollup buckets (hashes of `<cell>|<metric>` -> number) into the report: sums cells by
 * remediation, by host, by step and in all, then derives rates and timings. Pure.
 */

type Acc = Record<string, number>;

function add(acc: Acc, metric: string, v: number): void {
  const cur = acc[metric];
  if (metric.endsWith(':lo')) acc[metric] = cur === undefined ? v : Math.min(cur, v);
  else if (metric.endsWith(':hi')) acc[metric] = cur === undefined ? v : Math.max(cur, v);
  else acc[metric] = (cur ?? 0) + v;
}

const rate = (n: number, d: number): number | null => (d > 0 ? Math.min(1, n / d) : null);

/** A timing from its count, sum, min, max and fixed buckets. */
export function timingOf(a: Acc, base: string): Timing {
  const n = a[`${base}:n`] ?? 0;
  const hi = a[`${base}:hi`];
  const buckets = [...TIMING_BOUNDS_MS, null].map((leMs, i) => ({ leMs, count: a[`${base}:b${i}`] ?? 0 }));
  const quantile = (q: number): number | null => {
    if (n === 0) return null;
    let cum = 0;
    for (const b of buckets) {
      cum += b.count;
      if (cum >= q * n) return b.leMs === null || hi === undefined ? (hi ?? null) : Math.min(b.leMs, hi);
    }
    return hi ?? null;
  };
  return {
    count: n,
    meanMs: n > 0 ? Math.round((a[`${base}:s`] ?? 0) / n) : null,
    minMs: n > 0 ? (a[`${base}:lo`] ?? null) : null,
    maxMs: n > 0 ? (hi ?? null) : null,
    p50Ms: quantile(0.5),
    p90Ms: quantile(0.9),
    buckets,
  };
}

function prefixed(a: Acc, prefix: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(a)
      .filter(([k, v]) => k.startsWith(prefix) && v > 0)
      .map(([k, v]) => [decodeURIComponent(k.slice(prefix.length)), v]),
  );
}

export function effectRow(a: Acc, extra: { remediation?: string; host?: string } = {}): EffectRow {
  const runs = a.runs ?? 0;
  const acted = a.acted ?? 0;
  const succeeded = a['o:succeeded'] ?? 0;
  const escalations = a.esc ?? 0;
  const vr = a.vr ?? 0;
  const vp = a.vp ?? 0;
  return {
    ...extra,
    runs,
    acted,
    succeeded,
    successRate: rate(succeeded, acted),
    outcomes: prefixed(a, 'o:'),
    escalations,
    escalationRate: rate(escalations, runs),
    escalationReasons: prefixed(a, 'e:'),
    cooldown: a['o:cooldown'] ?? 0,
    circuitOpen: a['o:circuit_open'] ?? 0,
    skipped: a['o:skipped'] ?? 0,
    verifications: { run: vr, passed: vp, passRate: rate(vp, vr) },
    recurrence: {
      within1h: { count: a.r1 ?? 0, rate: rate(a.r1 ?? 0, succeeded) },
      within24h: { count: a.r24 ?? 0, rate: rate(a.r24 ?? 0, succeeded) },
    },
    timeToFirstAction: timingOf(a, 'ttfa'),
    timeToVerified: timingOf(a, 'ttv'),
    timeToResolve: timingOf(a, 'mttr'),
  };
}

export function stepRow(a: Acc, remediation: string, step: string): StepRow {
  const succeeded = a['o:succeeded'] ?? 0;
  const failed = a['o:failed'] ?? 0;
  const vr = a.vr ?? 0;
  const vp = a.vp ?? 0;
  return {
    remediation,
    step,
    runs: a.runs ?? 0,
    outcomes: prefixed(a, 'o:'),
    succeeded,
    failed,
    skipped: a['o:skipped'] ?? 0,
    successRate: rate(succeeded, succeeded + failed),
    verifications: { run: vr, passed: vp, passRate: rate(vp, vr) },
    duration: timingOf(a, 'dur'),
  };
}

/** A bucket as Redis returns it: a flat [field, value, field, value, ...] list, or a map. */
export type BucketFields = string[] | Record<string, string>;

const SUM = 0;
const MIN = 1;
const MAX = 2;

/**
 * Sum the buckets' fields into the report's rows (filtered by remediation and host). Each
 * distinct field name is parsed once and given a slot; the buckets then only add numbers into
 * slots (a 7-day query reads ~30 buckets of the same few hundred fields), and the slots are
 * summed into the rows at the end.
 */
export function aggregate(
  buckets: BucketFields[],
  q: { remediation?: string | undefined; host?: string | undefined },
  span: { since: number; until: number; coveredFrom: number },
): StatsReport {
  const slotOf = new Map<string, number>();
  const values: number[] = [];
  const kinds: number[] = [];
  const owners: { f: ParsedField }[] = [];
  const slot = (field: string): number => {
    const f = parseField(field);
    const keep =
      f !== undefined &&
      (q.remediation === undefined || f.remediation === q.remediation) &&
      (q.host === undefined || f.host === q.host);
    const i = keep ? values.length : -1;
    if (keep) {
      const kind = f.metric.endsWith(':lo') ? MIN : f.metric.endsWith(':hi') ? MAX : SUM;
      values.push(kind === MIN ? Infinity : kind === MAX ? -Infinity : 0);
      kinds.push(kind);
      owners.push({ f });
    }
    slotOf.set(field, i);
    return i;
  };
  const take = (field: string, text: string) => {
    const i = slotOf.get(field) ?? slot(field);
    if (i < 0) return;
    const v = Number(text);
    if (!Number.isFinite(v)) return;
    const k = kinds[i];
    values[i] = k === SUM ? values[i]! + v : k === MIN ? Math.min(values[i]!, v) : Math.max(values[i]!, v);
  };
  for (const b of buckets) {
    if (Array.isArray(b)) for (let j = 0; j + 1 < b.length; j += 2) take(b[j]!, b[j + 1]!);
    else for (const field in b) take(field, b[field]!);
  }

  const total: Acc = {};
  const byRem = new Map<string, Acc>();
  const byHost = new Map<string, Acc>();
  const bySteps = new Map<string, { remediation: string; step: string; acc: Acc }>();
  const group = <K>(m: Map<K, Acc>, key: K): Acc => {
    let a = m.get(key);
    if (!a) m.set(key, (a = {}));
    return a;
  };
  owners.forEach(({ f }, i) => {
    const v = values[i]!;
    if (!Number.isFinite(v)) return;
    if (f.step === '') {
      for (const acc of [total, group(byRem, f.remediation), group(byHost, f.host)]) add(acc, f.metric, v);
    } else {
      const key = `${f.remediation}|${f.step}`;
      let st = bySteps.get(key);
      if (!st) bySteps.set(key, (st = { remediation: f.remediation, step: f.step, acc: {} }));
      add(st.acc, f.metric, v);
    }
  });
  const sorted = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
  return {
    since: new Date(span.since).toISOString(),
    until: new Date(span.until).toISOString(),
    coveredFrom: new Date(span.coveredFrom).toISOString(),
    filter: {
      ...(q.remediation !== undefined && { remediation: q.remediation }),
      ...(q.host !== undefined && { host: q.host }),
    },
    total: effectRow(total),
    remediations: sorted(byRem).map(([remediation, a]) => effectRow(a, { remediation })),
    hosts: sorted(byHost).map(([host, a]) => effectRow(a, { host })),
    steps: sorted(bySteps).map(([, st]) => stepRow(st.acc, st.remediation, st.step)),
  };
}
