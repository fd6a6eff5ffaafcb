import type { Approvals } from '../guards/approvals.js';
import type { Operator } from '../guards/operator.js';
import type { Pauses } from '../guards/pauses.js';
import type { Unhandled } from '../guards/unhandled.js';
import type { Metrics } from './metrics.js';

/**
 * The operator-control gauges, read from Redis at each scrape (every process shows the same
 * numbers, as for the queue and circuit gauges: combine them with max, never sum): firing
 * episodes nothing handles, pauses in force, approvals waiting, operator actions so far.
 */
export interface ControlReads {
  unhandled: Pick<Unhandled, 'counts'>;
  pauses: Pick<Pauses, 'list'>;
  approvals: Pick<Approvals, 'list'>;
  operator: Pick<Operator, 'counts'>;
}

export async function refreshControlMetrics(metrics: Metrics, reads: ControlReads): Promise<void> {
  const [unhandled, pauses, pending, counts] = await Promise.all([
    reads.unhandled.counts(),
    reads.pauses.list(),
    reads.approvals.list(),
    reads.operator.counts(),
  ]);
  metrics.episodesUnhandled.reset();
  for (const u of unhandled.values())
    metrics.episodesUnhandled.set({ remediation: u.remediation, reason: u.reason }, u.n);
  for (const scope of ['all', 'target', 'remediation'] as const) {
    metrics.pauses.set({ scope }, pauses.filter((p) => p.scope.kind === scope).length);
  }
  metrics.approvalsPending.set(pending.length);
  // A counter kept in Redis: this process shows the fleet's total.
  metrics.operatorActions.reset();
  for (const [action, n] of Object.entries(counts)) if (n > 0) metrics.operatorActions.inc({ action }, n);
}
