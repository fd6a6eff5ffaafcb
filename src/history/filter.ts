import { HISTORY_OUTCOMES, type HistoryFilter, type HistoryOutcome } from './types.js';
import { HistoryFilterError } from '../errors.js';

export const MAX_LIMIT = 500;
export const DEFAULT_LIMIT = 50;
const AGO = /^([0-9]+)(s|m|h|d|w)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/**
 * A time bound: an ISO 8601 date, epoch seconds or milliseconds, or a duration meaning "that
 * long ago" (`90m`, `2h`, `7d`), which is what an operator types at 3 a.m.
 */
export function parseTimeBound(field: string, value: string, now: number): number {
  const v = value.trim();
  const ago = AGO.exec(v);
  if (ago) return now - Number(ago[1]) * UNIT_MS[ago[2] as keyof typeof UNIT_MS];
  if (/^[0-9]{1,16}$/.test(v)) {
    const n = Number(v);
    // Ten digits are seconds until 2286; thirteen are milliseconds.
    return n < 1e11 ? n * 1000 : n;
  }
  const ms = Date.parse(v);
  if (Number.isNaN(ms))
    throw new HistoryFilterError(
      field,
      `${JSON.stringify(value)} is not a time (use an ISO date, epoch ms, or an age such as 2h or 7d)`,
    );
  return ms;
}

/** Raw filter values as they come from a query string or CLI flags. */
export interface RawHistoryFilter {
  alertname?: string | undefined;
  remediation?: string | undefined;
  target?: string | undefined;
  outcome?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  limit?: string | undefined;
  cursor?: string | undefined;
}

const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

/** Validate raw values into a filter; throws {@link HistoryFilterError} naming the field. */
export function parseHistoryFilter(raw: RawHistoryFilter, now = Date.now()): HistoryFilter {
  const outcome = nonEmpty(raw.outcome);
  if (outcome !== undefined && !(HISTORY_OUTCOMES as readonly string[]).includes(outcome)) {
    throw new HistoryFilterError('outcome', `expected one of ${HISTORY_OUTCOMES.join(', ')}`);
  }
  const limitText = nonEmpty(raw.limit);
  let limit = DEFAULT_LIMIT;
  if (limitText !== undefined) {
    if (!/^[0-9]{1,4}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_LIMIT) {
      throw new HistoryFilterError('limit', `expected a whole number from 1 to ${MAX_LIMIT}`);
    }
    limit = Number(limitText);
  }
  const since = nonEmpty(raw.since) === undefined ? undefined : parseTimeBound('since', raw.since!, now);
  const until = nonEmpty(raw.until) === undefined ? undefined : parseTimeBound('until', raw.until!, now);
  if (since !== undefined && until !== undefined && since > until)
    throw new HistoryFilterError('since', 'is after until');
  const cursor = nonEmpty(raw.cursor);
  if (cursor !== undefined) decodeCursor(cursor);
  return {
    alertname: nonEmpty(raw.alertname),
    remediation: nonEmpty(raw.remediation),
    target: nonEmpty(raw.target),
    outcome: outcome as HistoryOutcome | undefined,
    since,
    until,
    limit,
    cursor,
  };
}

/** A position in the history: the last record seen (its time and job id). */
export interface Cursor {
  at: number;
  jobId: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.at}|${c.jobId}`, 'utf8').toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  const decoded = Buffer.from(text, 'base64url').toString('utf8');
  const bar = decoded.indexOf('|');
  const at = Number(decoded.slice(0, bar));
  const jobId = decoded.slice(bar + 1);
  if (bar < 1 || !Number.isSafeInteger(at) || jobId === '')
    throw new HistoryFilterError('cursor', 'not a cursor from a previous page');
  return { at, jobId };
}
