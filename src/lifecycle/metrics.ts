import { primaryAction } from '../catalog/remediation.js';
import type { Metrics } from '../observability/metrics.js';
import type { RemediationJobData } from '../queue/contract.js';
import type { RemediationEvents } from './events.js';

/**
 * The one place job outcomes reach the metrics: a subscriber of the lifecycle. Label values
 * stay bounded (remediation id, action type, outcome, step name from the catalog).
 */
/** Holds counted in remediator_jobs_held_total (the short waits for a lock or a slot are not). */
const HELD_REASONS = new Set(['cooldown', 'paused', 'approval', 'min_healthy', 'rate']);

export function subscribeMetrics(events: RemediationEvents, metrics: Metrics): void {
  const labelsOf = (data: RemediationJobData, action?: string) => ({
    remediation: data.remediation.id,
    action: action ?? primaryAction(data.remediation, data.phase),
  });
  events.on('job.finished', (e) => {
    const l = labelsOf(e.data, e.result?.action);
    metrics.remediations.inc({ ...l, outcome: e.outcome });
    metrics.duration.observe({ ...l, outcome: e.outcome }, (e.result?.durationMs ?? 0) / 1000);
    if (e.escalation) metrics.escalations.inc({ remediation: l.remediation, reason: e.escalation });
  });
  events.on('job.cancelled', (e) => {
    metrics.remediations.inc({ ...labelsOf(e.data), outcome: 'cancelled' });
  });
  events.on('job.retrying', (e) => {
    metrics.attempts.inc(labelsOf(e.data, e.step?.action));
  });
  // Effectiveness: emitted once per episode by the rollups (src/stats/subscriber.ts).
  events.on('episode.resolved', (e) => {
    metrics.timeToResolve.observe({ remediation: e.data.remediation.id }, e.mttrMs / 1000);
  });
  events.on('episode.recurred', (e) => {
    for (const within of e.within) metrics.recurrences.inc({ remediation: e.data.remediation.id, within });
  });
  events.on('job.waiting', (e) => {
    if (HELD_REASONS.has(e.on)) metrics.jobsHeld.inc({ remediation: e.data.remediation.id, reason: e.on });
  });
  events.on('step.finished', (e) => {
    if (e.record.blastRadius) {
      metrics.blastRadiusRefusals.inc({ remediation: e.data.remediation.id, reason: e.record.blastRadius });
    }
    metrics.steps.inc({
      remediation: e.data.remediation.id,
      step: e.step.name,
      action: e.step.action,
      outcome: e.record.outcome,
    });
  });
}
