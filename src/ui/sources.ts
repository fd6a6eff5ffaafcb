import type { RedisClient } from '../redis.js';
import type { OpenCircuit } from '../guards/index.js';
import type { HistoryRecord, HistoryStore } from '../history/index.js';
import { globalKeys } from '../keys.js';
import type { StatsQuery, StatsReader, StatsReport } from '../stats/index.js';

/**
 * What the operator page reads, as one small interface: the page is drawn from these and
 * nothing else, so a feature that adds a source (issue 14's pauses and approvals) replaces
 * one function here and the page stays as it is.
 */

/** A pause or a pending approval as the page lists it. */
export interface ControlEntry {
  id: string;
  /** What it is about: a target, a remediation, a job's step, or "all". */
  what: string;
  by: string | undefined;
  /** Epoch ms it ends (a pause) or its deadline (an approval). */
  until: number | undefined;
  reason: string | undefined;
}

export interface UiSources {
  stats(q: StatsQuery): Promise<StatsReport>;
  /** The newest fire-phase episodes in the span, newest first. */
  episodes(q: StatsQuery & { limit: number }): Promise<HistoryRecord[]>;
  openCircuits(): Promise<OpenCircuit[]>;
  pauses(): Promise<ControlEntry[]>;
  approvals(): Promise<ControlEntry[]>;
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** An entry from whatever JSON a pauses/approvals hash holds (lenient: the writer is not here yet). */
export function controlEntry(id: string, json: string): ControlEntry {
  let v: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed === 'object' && parsed !== null) v = parsed as Record<string, unknown>;
  } catch {
    /* shown by its id alone */
  }
  const what =
    str(v.what) ??
    str(v.target) ??
    str(v.remediation) ??
    (str(v.jobId) && `${str(v.jobId)}${str(v.step) ? ` step ${str(v.step)}` : ''}`) ??
    str(v.scope) ??
    id;
  return {
    id,
    what,
    by: str(v.by),
    until: num(v.until) ?? num(v.untilMs) ?? num(v.deadline) ?? num(v.deadlineMs),
    reason: str(v.reason),
  };
}

/** Read-only sources from the runtime's stores (producer connection). */
export function createUiSources(deps: {
  redis: RedisClient;
  prefix: string;
  history: Pick<HistoryStore, 'query'>;
  stats: Pick<StatsReader, 'query'>;
  guards: { listOpenCircuits(): Promise<OpenCircuit[]> };
}): UiSources {
  const g = globalKeys(deps.prefix);
  const entries = async (key: string) =>
    Object.entries(await deps.redis.hgetall(key)).map(([id, json]) => controlEntry(id, json));
  return {
    stats: (q) => deps.stats.query(q),
    async episodes(q) {
      const page = await deps.history.query({ since: q.since, remediation: q.remediation, limit: 200 });
      return page.records
        .filter((r) => r.phase === 'fire' && (q.host === undefined || r.host === q.host))
        .slice(0, q.limit);
    },
    openCircuits: () => deps.guards.listOpenCircuits(),
    // Until issue 14 gives them a store of their own: whatever is in the keys it will write.
    pauses: () => entries(g.pauses),
    approvals: () => entries(g.approvals),
  };
}
