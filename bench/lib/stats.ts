// Small statistics and formatting helpers for the benchmark table. Timings are taken with the
// monotonic clock (process.hrtime), never Date.now(), so sub-millisecond steps are visible.

/** Milliseconds on the monotonic clock; comparable across calls within this process. */
export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an already sorted list (p in 0..100). */
function rank(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(values: number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return {
    n: s.length,
    min: s[0] ?? Number.NaN,
    p50: rank(s, 50),
    p90: rank(s, 90),
    p99: rank(s, 99),
    max: s[s.length - 1] ?? Number.NaN,
    mean,
  };
}

export const median = (values: number[]): number =>
  rank(
    [...values].sort((a, b) => a - b),
    50,
  );

/** 3 significant-ish digits: 0.412, 4.12, 41.2, 4,120. */
export function num(v: number, unit = ''): string {
  if (!Number.isFinite(v)) return 'n/a';
  const abs = Math.abs(v);
  const text =
    abs >= 1000
      ? Math.round(v).toLocaleString('en-US')
      : abs >= 100
        ? v.toFixed(0)
        : abs >= 10
          ? v.toFixed(1)
          : abs >= 1
            ? v.toFixed(2)
            : v.toFixed(3);
  return unit ? `${text} ${unit}` : text;
}

/** `cmdstat_get:calls=3,usec=...` lines of Redis' INFO commandstats, as { get: 3 }. */
export function parseCommandStats(info: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/** Counts divided by n, rounded to 2 decimals, zeros dropped. */
export function perUnit(counts: Record<string, number>, n: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts)
      .map(([k, v]) => [k, Math.round((v / Math.max(1, n)) * 100) / 100])
      .filter(([, v]) => Number(v) > 0),
  );
}

export const ratio = (a: number, b: number): string =>
  Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : 'n/a';

/** One line of the result table: what was measured, against which baseline, and the verdict. */
export interface Row {
  scenario: string;
  figure: string;
  baseline: string;
  ratio: string;
  target: string;
  /** true/false when the issue sets a target, undefined for reference rows. */
  met: boolean | undefined;
  /** How much a missed target is missed by, and what bounds it. */
  note?: string | undefined;
}

export function renderTable(rows: Row[]): string {
  const head = ['scenario', 'remediator', 'baseline (same run)', 'ratio', 'target', 'met?'];
  const cells = rows.map((r) => [
    r.scenario,
    r.figure,
    r.baseline,
    r.ratio,
    r.target,
    r.met === undefined ? '-' : r.met ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => v.padEnd(widths[i]!))
      .join(' | ')
      .trimEnd();
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)];
  const notes = rows.filter((r) => r.note).map((r) => `  * ${r.scenario}: ${r.note}`);
  return [...out, ...(notes.length ? ['', 'notes:', ...notes] : [])].join('\n');
}
