// RemediationJobData built from a real Alertmanager fixture, and the lifecycle events of its job,
// for the pure notify tests.
import { episodeJobId, episodeOf } from '../../../src/alertmanager/episode.js';
import type { RemediationSpec } from '../../../src/catalog/remediation.js';
import type { StepRecord } from '../../../src/engine/types.js';
import type { LifecycleEvent, LifecycleEventOf, StepRef } from '../../../src/lifecycle/events.js';
import type { RemediationJobData } from '../../../src/queue/contract.js';
import { fixture, type FixtureName } from '../fixtures.js';
import { step } from '../../support/job-data.js';

export { step };

export function spec(over: Partial<RemediationSpec> = {}): RemediationSpec {
  return {
    id: 'high-latency',
    file: 'remediations/high-latency.yaml',
    hash: '0123456789abcdef',
    description: undefined,
    match: ['alertname="HighLatency"'],
    target: { container: '{{ labels.container }}' },
    steps: [step()],
    onResolved: undefined,
    delayMs: 0,
    guards: { cooldownMs: 0, budget: undefined },
    notify: { channel: '#oncall', mention: '<!subteam^S0ONCALL>' },
    dryRun: false,
    ...over,
  };
}

export function jobData(
  name: FixtureName = 'firing-high-latency',
  over: { spec?: Partial<RemediationSpec>; phase?: 'fire' | 'resolve' } = {},
): RemediationJobData {
  const payload = fixture(name);
  const a = payload.alerts[0]!;
  return {
    phase: over.phase ?? 'fire',
    host: 'local',
    remediation: spec(over.spec),
    alert: {
      status: a.status,
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    },
    episode: episodeOf(a),
    group: { receiver: payload.receiver, externalURL: payload.externalURL, groupKey: payload.groupKey },
    receivedAt: 1_800_000_000_000,
  };
}

/** The time every built event happened (a fixed instant: renderings are deterministic). */
export const AT = 1_800_000_100_000;

type Finished = LifecycleEventOf<'job.finished'>;

/** Lifecycle events of one job, as the bus emits them and the sinks get them. */
export function events(
  data: RemediationJobData = jobData(),
  jobId = episodeJobId(data.remediation.id, data.episode, data.phase),
) {
  const base = { jobId, data, at: AT };
  return {
    queued: (): LifecycleEvent => ({ ...base, type: 'job.queued' }),
    duplicate: (): LifecycleEvent => ({ ...base, type: 'job.duplicate' }),
    running: (attempt: number, attempts: number, step?: StepRef): LifecycleEvent => ({
      ...base,
      type: 'job.running',
      attempt,
      attempts,
      ...(step && { step }),
    }),
    acting: (action: string, targets: string[], step?: StepRef): LifecycleEvent => ({
      ...base,
      type: 'job.acting',
      action,
      targets,
      ...(step && { step }),
    }),
    retrying: (attempt: number, attempts: number, reason: string, step?: StepRef): LifecycleEvent => ({
      ...base,
      type: 'job.retrying',
      attempt,
      attempts,
      reason,
      ...(step && { step }),
    }),
    waiting: (on: string, detail: string): LifecycleEvent => ({
      ...base,
      type: 'job.waiting',
      on,
      detail,
      untilMs: undefined,
    }),
    step: (step: StepRef, record: StepRecord): LifecycleEvent => ({ ...base, type: 'step.finished', step, record }),
    finished: (over: Partial<Omit<Finished, 'type' | 'jobId' | 'data' | 'at'>> = {}): Finished => ({
      ...base,
      type: 'job.finished',
      outcome: 'succeeded',
      result: undefined,
      reason: undefined,
      escalation: undefined,
      attempts: 1,
      ...over,
    }),
    cancelled: (reason: string): LifecycleEvent => ({ ...base, type: 'job.cancelled', reason }),
    resolved: (): LifecycleEvent => ({ ...base, type: 'alert.resolved' }),
  };
}
