// RemediationJobData built from a real Alertmanager fixture, for the pure notify tests.
import { episodeOf } from '../../../src/alertmanager/episode.js';
import type { RemediationSpec } from '../../../src/catalog/remediation.js';
import type { RemediationJobData } from '../../../src/queue/contract.js';
import { fixture, type FixtureName } from '../fixtures.js';

export function spec(over: Partial<RemediationSpec> = {}): RemediationSpec {
  return {
    id: 'high-latency',
    file: 'remediations/high-latency.yaml',
    hash: '0123456789abcdef',
    description: undefined,
    match: ['alertname="HighLatency"'],
    target: { container: '{{ labels.container }}' },
    action: { type: 'restart', stopTimeoutSeconds: 10 } as RemediationSpec['action'],
    onResolved: undefined,
    delayMs: 0,
    retry: { attempts: 3, backoffMs: 5000, maxBackoffMs: 120000, jitter: 0.2 },
    verify: undefined,
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
