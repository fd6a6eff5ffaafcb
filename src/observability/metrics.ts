import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per app instance (not prom-client's global), so two instances in one test
 * process do not share counters. Label values are bounded: remediation ids, action types,
 * outcomes, status codes; never fingerprints or container ids.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'remediator_' });
  const r = [registry];
  return {
    registry,
    webhookRequests: new Counter({
      name: 'remediator_webhook_requests_total',
      help: 'Webhook requests by HTTP status code',
      labelNames: ['code'],
      registers: r,
    }),
    alertsReceived: new Counter({
      name: 'remediator_alerts_received_total',
      help: 'Alerts received by status',
      labelNames: ['status'],
      registers: r,
    }),
    alertsRefused: new Counter({
      name: 'remediator_alerts_refused_total',
      help: 'Alerts refused alone (malformed or oversized) while the rest of their delivery was accepted',
      labelNames: ['reason'],
      registers: r,
    }),
    alertsUnmatched: new Counter({
      name: 'remediator_alerts_unmatched_total',
      help: 'Alerts that matched no remediation',
      registers: r,
    }),
    jobsEnqueued: new Counter({
      name: 'remediator_jobs_enqueued_total',
      help: 'Remediation jobs created',
      labelNames: ['remediation'],
      registers: r,
    }),
    jobsDeduplicated: new Counter({
      name: 'remediator_jobs_deduplicated_total',
      help: 'Alerts for an episode already handled or queued',
      labelNames: ['remediation'],
      registers: r,
    }),
    remediations: new Counter({
      name: 'remediator_remediations_total',
      help: 'Finished remediation jobs by outcome',
      labelNames: ['remediation', 'action', 'outcome'],
      registers: r,
    }),
    duration: new Histogram({
      name: 'remediator_remediation_duration_seconds',
      help: 'Time from job start to outcome',
      labelNames: ['remediation', 'action', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: r,
    }),
    steps: new Counter({
      name: 'remediator_steps_total',
      help: 'Runbook steps by outcome (succeeded, failed, skipped, noop, dry_run)',
      labelNames: ['remediation', 'step', 'action', 'outcome'],
      registers: r,
    }),
    attempts: new Counter({
      name: 'remediator_attempts_failed_total',
      help: 'Failed attempts that will be retried',
      labelNames: ['remediation', 'action'],
      registers: r,
    }),
    escalations: new Counter({
      name: 'remediator_escalations_total',
      help: 'Escalations to a human',
      labelNames: ['remediation', 'reason'],
      registers: r,
    }),
    timeToResolve: new Histogram({
      name: 'remediator_time_to_resolve_seconds',
      help: 'Time from an alert firing (startsAt) to resolved (endsAt), per remediation: MTTR',
      labelNames: ['remediation'],
      buckets: [10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400],
      registers: r,
    }),
    recurrences: new Counter({
      name: 'remediator_recurrences_total',
      help: 'Successes followed by a new episode of the same alert within 1h or 24h: fixes that did not hold',
      labelNames: ['remediation', 'within'],
      registers: r,
    }),
    queueJobs: new Gauge({
      name: 'remediator_queue_jobs',
      help: 'Jobs in the queue by state (remediation queues: one per Docker host)',
      labelNames: ['queue', 'state', 'host'],
      registers: r,
    }),
    hostUp: new Gauge({
      name: 'remediator_host_up',
      help: '1 while a worker serves the Docker host (its heartbeat is fresh), 0 when none does',
      labelNames: ['host'],
      registers: r,
    }),
    circuitOpen: new Gauge({
      name: 'remediator_circuit_open',
      help: '1 while a remediation circuit is open',
      labelNames: ['remediation'],
      registers: r,
    }),
    episodesUnhandled: new Gauge({
      name: 'remediator_episodes_unhandled',
      help: 'Firing alert episodes no job is acting on, by why (cooldown, paused, awaiting_approval, circuit_open, ...)',
      labelNames: ['remediation', 'reason'],
      registers: r,
    }),
    pauses: new Gauge({
      name: 'remediator_pauses',
      help: 'Pauses in force by scope (all is the kill switch)',
      labelNames: ['scope'],
      registers: r,
    }),
    approvalsPending: new Gauge({
      name: 'remediator_approvals_pending',
      help: 'Steps waiting for a human to approve or deny them',
      registers: r,
    }),
    operatorActions: new Counter({
      name: 'remediator_operator_actions_total',
      help: 'Operator actions (pause, resume, approve, deny, reset_cooldown, reset_circuit), kept in Redis',
      labelNames: ['action'],
      registers: r,
    }),
    jobsHeld: new Counter({
      name: 'remediator_jobs_held_total',
      help: 'Times a job was held back instead of acting (cooldown, paused, approval, min_healthy, rate)',
      labelNames: ['remediation', 'reason'],
      registers: r,
    }),
    blastRadiusRefusals: new Counter({
      name: 'remediator_blast_radius_refusals_total',
      help: 'Steps refused for their target set: empty where targets are expected, or more than maxContainers',
      labelNames: ['remediation', 'reason'],
      registers: r,
    }),
    catalogRemediations: new Gauge({
      name: 'remediator_catalog_remediations',
      help: 'Remediations loaded',
      registers: r,
    }),
    catalogReloadFailures: new Counter({
      name: 'remediator_catalog_reload_failures_total',
      help: 'Reloads of remediations/ rejected as invalid; the previous catalog stayed in force',
      registers: r,
    }),
    catalogLoadedAt: new Gauge({
      name: 'remediator_catalog_loaded_timestamp_seconds',
      help: 'When the catalog in force was loaded',
      registers: r,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
