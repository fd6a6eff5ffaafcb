import { describe, expect, it } from 'vitest';
import type { LifecycleEvent } from '../../../../src/lifecycle/events.js';
import { dedupKey, severityOf, triggerBody } from '../../../../src/notify/sinks/pagerduty/event.js';
import { pagerduty } from '../../../../src/notify/sinks/pagerduty/index.js';
import { createPagerDutySink } from '../../../../src/notify/sinks/pagerduty/sink.js';
import { invalidEvent } from '../../../support/fake-pagerduty.js';
import { events, jobData } from '../job-data.js';
import { runSink } from '../io.js';

const KEY = 'R0UT1NGKEY0123456789abcdefabcdef';
const sink = createPagerDutySink({ routingKey: KEY, eventsUrl: 'http://127.0.0.1:1/v2/enqueue' });
const run = (list: LifecycleEvent[]) => runSink(sink, pagerduty, list);
const e = events();
const escalated = e.finished({ outcome: 'escalated', escalation: 'retries_exhausted', reason: 'exit 3', attempts: 3 });

describe('PagerDuty Events API v2', () => {
  it('an episode that escalates: trigger with the episode as dedup_key, then resolve when the alert resolves', async () => {
    const { sent } = await run([e.queued(), e.running(1, 3), escalated, e.resolved()]);
    expect(sent.map((s) => (s.req.body as any).event_action)).toEqual(['trigger', 'resolve']);
    const episode = 'high-latency.3e03c1ad0d5013c4.1795780469137';
    expect(sent.map((s) => (s.req.body as any).dedup_key)).toEqual([episode, episode]);
    expect(sent.every((s) => (s.req.body as any).routing_key === KEY)).toBe(true);
    // As the documented API takes them (the fake's checks).
    for (const s of sent) expect(invalidEvent(s.req.body, KEY)).toEqual([]);
  });

  it('a remediation that succeeded pages nobody, and its resolution sends nothing', async () => {
    expect((await run([e.queued(), e.finished({ outcome: 'succeeded' }), e.resolved()])).sent).toEqual([]);
  });

  it('an escalation after its alert already resolved does not page; one of the onResolved action does', async () => {
    expect((await run([e.resolved(), escalated])).sent).toEqual([]);
    const resolvePhase = events(jobData(undefined, { phase: 'resolve' }));
    const { sent } = await run([
      e.resolved(),
      resolvePhase.finished({ outcome: 'escalated', escalation: 'retries_exhausted' }),
    ]);
    expect(sent.map((s) => (s.req.body as any).event_action)).toEqual(['trigger']);
  });

  it('the trigger says why a human is needed, bounded as PagerDuty requires', () => {
    const d = jobData();
    d.alert.labels.alertname = 'X'.repeat(2000);
    d.alert.labels.severity = 'warning';
    const body = triggerBody(
      KEY,
      'ep',
      events(d).finished({ outcome: 'circuit_open', escalation: 'circuit_open' }),
    ) as any;
    expect(body.payload.summary.length).toBeLessThanOrEqual(1024);
    expect(body.payload.severity).toBe('warning');
    expect(body.payload.class).toBe('circuit_open');
    expect(invalidEvent(body, KEY)).toEqual([]);
    expect(JSON.stringify(body)).toContain('circuit breaker is open');
  });

  it('maps alert severities onto its four, and keeps dedup keys within 255 characters', () => {
    expect(['critical', 'page', 'error', 'high', 'warning', 'info', 'low', ''].map(severityOf)).toEqual([
      'critical',
      'critical',
      'error',
      'error',
      'warning',
      'info',
      'info',
      'critical',
    ]);
    expect(dedupKey('a.b.1')).toBe('a.b.1');
    const long = dedupKey('r'.repeat(300));
    expect(long.length).toBeLessThanOrEqual(255);
    expect(long).toBe(dedupKey('r'.repeat(300)));
  });
});
