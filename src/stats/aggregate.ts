import { TIMING_BOUNDS_MS, parseField } from './buckets.js';
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

/** Sum the buckets' fields into the report's rows (filtered by remediation and host). */
export function aggregate(
  buckets: Record<string, string>[],
  q: { remediation?: string | undefined; host?: string | undefined },
  span: { since: number; until: number; coveredFrom: number },
): StatsReport {
  const total: Acc = {};
  const byRem = new Map<string, Acc>();
  const byHost = new Map<string, Acc>();
  const bySteps = new Map<string, { remediation: string; step: string; acc: Acc }>();
  const group = <K>(m: Map<K, Acc>, key: K): Acc => {
    let a = m.get(key);
    if (!a) m.set(key, (a = {}));
    return a;
  };
  // The same few thousand fields repeat in every bucket: parse each name once, and keep where
  // its value goes (filtered out: nowhere).
  const routes = new Map<string, { metric: string; into: Acc[] }>();
  const route = (field: string) => {
    const f = parseField(field);
    const r = { metric: f?.metric ?? '', into: [] as Acc[] };
    if (
      f &&
      (q.remediation === undefined || f.remediation === q.remediation) &&
      (q.host === undefined || f.host === q.host)
    ) {
      if (f.step === '') r.into.push(total, group(byRem, f.remediation), group(byHost, f.host));
      else {
        const key = `${f.remediation}|${f.step}`;
        let st = bySteps.get(key);
        if (!st) bySteps.set(key, (st = { remediation: f.remediation, step: f.step, acc: {} }));
        r.into.push(st.acc);
      }
    }
    routes.set(field, r);
    return r;
  };
  for (const hash of buckets) {
    for (const field in hash) {
      const r = routes.get(field) ?? route(field);
      if (r.into.length === 0) continue;
      const v = Number(hash[field]);
      if (!Number.isFinite(v)) continue;
      for (const acc of r.into) add(acc, r.metric, v);
    }
  }
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
    steps: sorted(bySteps).map(([, s]) => stepRow(s.acc, s.remediation, s.step)),
  };
}
