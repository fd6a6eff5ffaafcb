import type { RedisClient } from '../redis.js';
import type { OpenCircuit } from '../guards/index.js';
import type { HistoryRecord, HistoryStore } from '../history/index.js';
import { createApprovals, type Approval } from '../guards/approvals.js';
import { createPauses, type Pause } from '../guards/pauses.js';
import type { StatsQuery, StatsReader, StatsReport } from '../stats/index.js';

/**
 * What the operator page reads, as one small interface: the page is drawn from these and
 * nothing else: the pauses and pending approvals are the operator stores' own lists.
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

/** A pause as the page lists it. */
export function pauseEntry(p: Pause): ControlEntry {
  const what =
    p.scope.kind === 'all'
      ? 'everything (kill switch)'
      : p.scope.kind === 'target'
        ? `${p.scope.host}/${p.scope.name}`
        : `remediation ${p.scope.id}`;
  return { id: p.id, what, by: p.by, until: p.until, reason: p.reason };
}

/** A pending approval as the page lists it. */
export function approvalEntry(a: Approval): ControlEntry {
  return {
    id: a.id,
    what: `${a.remediation} step ${a.step.name} on ${a.host}: ${a.describe}`,
    by: undefined,
    until: a.deadline,
    reason: a.why,
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
  const pauses = createPauses({ redis: deps.redis, prefix: deps.prefix });
  const approvals = createApprovals({ redis: deps.redis, prefix: deps.prefix });
  return {
    stats: (q) => deps.stats.query(q),
    async episodes(q) {
      const page = await deps.history.query({ since: q.since, remediation: q.remediation, limit: 200 });
      return page.records
        .filter((r) => r.phase === 'fire' && (q.host === undefined || r.host === q.host))
        .slice(0, q.limit);
    },
    openCircuits: () => deps.guards.listOpenCircuits(),
    pauses: async () => (await pauses.list()).map(pauseEntry),
    approvals: async () => (await approvals.list({ limit: 50 })).map(approvalEntry),
  };
}
