import { describe, expect, it } from 'vitest';
import { escalates, escalationCode, policyOf, takes, wants } from '../../../src/notify/policy.js';
import { SINKS } from '../../../src/notify/sinks/index.js';
import { events, jobData } from './job-data.js';

const withNotify = (notify: object) =>
  jobData(undefined, { spec: { notify: { channel: undefined, mention: undefined, ...notify } } });

describe('the per-remediation notify policy', () => {
  it('a sink not listed keeps its defaults; false turns it off; on and mention override', () => {
    const notify = {
      channel: undefined,
      mention: undefined,
      sinks: { slack: { enabled: false }, pagerduty: { enabled: true, on: ['job.finished' as const], mention: 'x' } },
    };
    expect(policyOf(notify, 'webhook', 'all')).toEqual({ enabled: true, on: 'all', mention: undefined });
    expect(policyOf(notify, 'slack', 'all').enabled).toBe(false);
    expect(policyOf(notify, 'pagerduty', ['escalation'])).toEqual({
      enabled: true,
      on: ['job.finished'],
      mention: 'x',
    });
  });

  it('"escalation" takes only a finished job a human must look at', () => {
    const e = events();
    expect(takes(['escalation'], e.finished({ outcome: 'succeeded' }))).toBe(false);
    expect(takes(['escalation'], e.finished({ outcome: 'escalated', escalation: 'retries_exhausted' }))).toBe(true);
    expect(takes(['escalation'], e.finished({ outcome: 'circuit_open', escalation: 'circuit_open' }))).toBe(true);
    expect(takes(['escalation'], e.queued())).toBe(false);
    expect(takes(['job.queued'], e.queued())).toBe(true);
    expect(takes('all', e.duplicate())).toBe(true);
  });

  it('notify.escalateOn makes more outcomes escalate, with their own code; the built-in ones always do', () => {
    const plain = events();
    const strict = events(withNotify({ escalateOn: ['failed'] }));
    expect(escalates(plain.finished({ outcome: 'failed', reason: 'not found' }))).toBe(false);
    expect(escalates(strict.finished({ outcome: 'failed', reason: 'not found' }))).toBe(true);
    expect(escalationCode(strict.finished({ outcome: 'failed' }))).toBe('escalate_on');
    expect(escalationCode(strict.finished({ outcome: 'escalated', escalation: 'verification_failed' }))).toBe(
      'verification_failed',
    );
    expect(escalates(strict.finished({ outcome: 'succeeded' }))).toBe(false);
  });

  it('PagerDuty by default gets escalations and resolutions only, and nothing else is even queued for it', () => {
    const e = events();
    const got = [
      e.queued(),
      e.running(1, 3),
      e.finished({ outcome: 'succeeded' }),
      e.finished({ outcome: 'escalated', escalation: 'retries_exhausted' }),
      e.resolved(),
    ].map((x) => wants(SINKS.pagerduty, x) !== undefined);
    expect(got).toEqual([false, false, false, true, true]);
    // Even `on: all` does not queue what PagerDuty would never send.
    const all = events(withNotify({ sinks: { pagerduty: { enabled: true, on: 'all' } } }));
    expect(wants(SINKS.pagerduty, all.queued())).toBeUndefined();
  });

  it('Slack skips duplicates and the step record of a one-step runbook, as before', () => {
    const e = events();
    const ref = { index: 0, name: 'restart', action: 'restart', count: 1 };
    expect(wants(SINKS.slack, e.duplicate())).toBeUndefined();
    expect(wants(SINKS.slack, e.step(ref, {} as never))).toBeUndefined();
    expect(wants(SINKS.slack, e.step({ ...ref, count: 2 }, {} as never))).toBeDefined();
    expect(wants(SINKS.slack, events(withNotify({ sinks: { slack: { enabled: false } } })).queued())).toBeUndefined();
  });
});
