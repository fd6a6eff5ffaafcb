/**
 * Words for the report's figures, shared by `remediator report` and the /ui page, so both say
 * the same thing the same way. Pure.
 */

/** `850ms`, `4.2s`, `3m 05s`, `2h 10m`, `3d 4h`; '-' when there is nothing. */
export function msText(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(s / 60);
  if (m < 48 * 60) return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
  const h = Math.round(m / 60);
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** `67%`; '-' when there is nothing to divide by. */
export function pctText(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '-' : `${Math.round(rate * 100)}%`;
}

/** `2/3 (67%)`: a count of a whole and its share. */
export function ofText(n: number, whole: number): string {
  return whole === 0 ? '-' : `${n}/${whole} (${pctText(n / whole)})`;
}
