import { DEFAULTS, type RecurrenceGuardSpec } from './remediation.js';
import { durationMs, type RemediationFile } from './schema.js';

/**
 * `guards.recurrence`: checks beyond the schema (how long each duration may be, and that the
 * window holds the time a recurrence is looked for) and normalization. Pure; problems carry a
 * JSON-pointer path the loader turns into a line number.
 */

/** The longest `within`, `window` or `openFor`: the hourly rollups the guard reads live 8 days. */
export const RECURRENCE_MAX_MS = 7 * 86_400_000;

const safeMs = (d: string | number | undefined, fallback: number): number | undefined => {
  try {
    return durationMs(d, fallback);
  } catch {
    return undefined; // not a duration: the schema check reported it
  }
};

/** Validate `guards.recurrence` (when present) and return it normalized. */
export function recurrenceGuardOf(
  f: RemediationFile,
  push: (path: string, reason: string) => void,
): RecurrenceGuardSpec | undefined {
  const r = f.guards?.recurrence;
  if (!r || typeof r !== 'object') return undefined;
  const within = safeMs(r.within, 0);
  const windowMs = safeMs(r.window, DEFAULTS.recurrenceWindowMs);
  const openFor = safeMs(r.openFor, DEFAULTS.recurrenceOpenForMs);
  const base = '/guards/recurrence';
  const span = (ms: number | undefined, key: string) => {
    if (ms !== undefined && (ms < 1000 || ms > RECURRENCE_MAX_MS))
      push(`${base}/${key}`, 'expected a duration from 1s to 7d');
  };
  span(within, 'within');
  if (r.window !== undefined) span(windowMs, 'window');
  if (r.openFor !== undefined) span(openFor, 'openFor');
  if (within !== undefined && windowMs !== undefined && windowMs < within)
    push(`${base}/${r.window !== undefined ? 'window' : 'within'}`, 'window must be at least within (default 24h)');
  if (within === undefined || windowMs === undefined || openFor === undefined) return undefined;
  if (typeof r.maxRate !== 'number' || typeof r.minRuns !== 'number') return undefined;
  return { withinMs: within, maxRate: r.maxRate, minRuns: r.minRuns, windowMs, openForMs: openFor };
}
