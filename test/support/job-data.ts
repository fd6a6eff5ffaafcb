// A remediation job's payload built by hand, for tests that drive the engine or the watchdog
// directly against real Redis (no catalog, no webhook).
import type { StepSpec } from '../../src/catalog/remediation.js';
import type { RemediationJobData } from '../../src/queue/contract.js';

/** One runbook step, defaults as the one-step `action:` form gives them. */
export function step(over: Partial<StepSpec> = {}): StepSpec {
  return {
    index: 0,
    name: 'restart',
    action: { type: 'restart', stopTimeoutSeconds: 10 },
    target: { container: '{{ labels.container }}' },
    verify: undefined,
    when: { kind: 'always' },
    timeoutMs: undefined,
    retry: { attempts: 3, backoffMs: 5000, maxBackoffMs: 120000, jitter: 0.2 },
    onFailure: 'abort',
    onSuccess: 'stop',
    ...over,
  };
}

/** A one-step restart tried once. */
export const restartStep: StepSpec = step({ retry: { attempts: 1, backoffMs: 1000, maxBackoffMs: 1000, jitter: 0 } });

export function jobData(host: string, fingerprint: string, steps: StepSpec[] = [restartStep]): RemediationJobData {
  return {
    phase: 'fire',
    host,
    remediation: {
      id: 'restart-api',
      file: 'restart-api.yaml',
      hash: '0123456789abcdef',
      description: undefined,
      match: ['alertname="HighLatency"'],
      target: { container: '{{ labels.container }}' },
      steps,
      onResolved: undefined,
      delayMs: 0,
      guards: { cooldownMs: 0, budget: undefined },
      notify: { channel: undefined, mention: undefined },
      dryRun: false,
    },
    alert: {
      status: 'firing',
      labels: { alertname: 'HighLatency', container: 'api' },
      annotations: {},
      startsAt: '2026-01-01T00:00:00Z',
      endsAt: undefined,
      generatorURL: undefined,
      fingerprint,
    },
    episode: { fingerprint, startsAt: '2026-01-01T00:00:00Z', startsAtMs: 1_767_225_600_000 },
    group: { receiver: 'remediator', externalURL: undefined, groupKey: undefined },
    receivedAt: Date.now(),
  };
}
