import { describe, expect, it } from 'vitest';
import type { LifecycleEvent } from '../../../src/lifecycle/events.js';
import { threadOf } from '../../../src/notify/contract.js';
import { applyEvent, initialView, stateMoved, type ThreadView } from '../../../src/notify/view.js';
import { events, jobData } from './job-data.js';

const fire = jobData();
const e = events(fire);
const fold = (list: LifecycleEvent[]): ThreadView =>
  list.reduce((v, event) => applyEvent(v, event).view, initialView());
const finished = e.finished;

describe('the thread view', () => {
  it('moves queued -> running -> acting -> retrying -> running -> succeeded', () => {
    const states: string[] = [];
    let v = initialView();
    for (const event of [
      e.queued(),
      e.running(1, 3),
      e.acting('restart', ['api']),
      e.retrying(1, 3, 'engine 500'),
      e.running(2, 3),
      finished({ attempts: 2 }),
    ]) {
      const r = applyEvent(v, event);
      expect(r.changed).toBe(true);
      v = r.view;
      states.push(v.state);
    }
    expect(states).toEqual(['queued', 'running', 'acting', 'retrying', 'running', 'succeeded']);
    expect(v.attempt).toBe(2);
    expect(v.lastError).toBeUndefined();
  });

  it('keeps the last error visible while the next attempt runs', () => {
    const v = fold([e.retrying(1, 3, 'engine 500'), e.running(2, 3)]);
    expect(v.state).toBe('running');
    expect(v.lastError).toBe('engine 500');
  });

  it('ignores a "queued" numbered after the worker already started (two processes, one thread)', () => {
    const v = fold([e.running(1, 3), e.acting('restart', ['api'])]);
    const r = applyEvent(v, e.queued());
    expect(r.changed).toBe(false);
    expect(r.view.state).toBe('acting');
  });

  it('never leaves a final state, except to add that the alert resolved', () => {
    const done = fold([finished({ outcome: 'failed', reason: 'not found' })]);
    expect(applyEvent(done, e.running(2, 3)).changed).toBe(false);
    const resolved = applyEvent(done, events(jobData('resolved-high-latency')).resolved());
    expect(resolved.changed).toBe(true);
    expect(resolved.view.state).toBe('failed');
    expect(resolved.view.resolved).toEqual({ endsAt: '2026-11-27T11:54:39Z' });
    // A second resolved (the other Alertmanager of an HA pair) changes nothing.
    expect(applyEvent(resolved.view, events(jobData('resolved-high-latency')).resolved()).changed).toBe(false);
  });

  it('marks escalations with why a human is needed', () => {
    expect(fold([finished({ outcome: 'escalated', escalation: 'retries_exhausted' })]).escalation).toMatch(
      /every attempt failed/,
    );
    expect(fold([finished({ outcome: 'escalated', escalation: 'verification_failed' })]).escalation).toMatch(/healthy/);
    expect(fold([finished({ outcome: 'circuit_open', escalation: 'circuit_open' })]).escalation).toMatch(
      /circuit breaker/,
    );
    expect(fold([finished({ outcome: 'refused', reason: 'no opt-in label' })]).escalation).toBeUndefined();
  });

  it('puts the onResolved action on its own line without touching the fire outcome', () => {
    const resolvePhase = jobData('firing-high-latency', { phase: 'resolve' });
    const v = fold([finished()]);
    const r = applyEvent(
      v,
      events(resolvePhase).finished({
        result: {
          outcome: 'succeeded',
          summary: 'scaled worker from 2 to 1 replicas',
          action: 'scale',
          targets: [],
          dryRun: false,
          durationMs: 5,
          steps: [],
          details: {},
        },
      }),
    );
    expect(r.changed).toBe(true);
    expect(r.view.state).toBe('succeeded');
    expect(r.view.afterResolve).toEqual({ state: 'succeeded', summary: 'scaled worker from 2 to 1 replicas' });
    expect(threadOf(resolvePhase)).toBe(threadOf(fire));
    expect(threadOf(fire)).toBe('high-latency.3e03c1ad0d5013c4.1795780469137');
  });

  it('records a cancellation with its reason', () => {
    const v = fold([e.queued(), e.cancelled('alert resolved while the job was delayed')]);
    expect(v.state).toBe('cancelled');
    expect(v.summary).toBe('alert resolved while the job was delayed');
  });

  it('an outcome the remediation escalates (notify.escalateOn) says so; without it the same outcome does not', () => {
    const strict = events(
      jobData(undefined, { spec: { notify: { channel: undefined, mention: undefined, escalateOn: ['failed'] } } }),
    );
    const failed = { outcome: 'failed' as const, reason: 'container api not found' };
    expect(fold([strict.finished(failed)]).escalation).toMatch(
      /an outcome this remediation escalates \(notify\.escalateOn\)/,
    );
    expect(fold([finished(failed)]).escalation).toBeUndefined();
  });

  it('tells a reader of new messages when the state moved on: a new state, another attempt, the resolution', () => {
    const running = fold([e.queued(), e.running(1, 3)]);
    const acting = applyEvent(running, e.acting('restart', ['api'])).view;
    const retry1 = applyEvent(acting, e.retrying(1, 3, 'x')).view;
    const retry2 = applyEvent(applyEvent(retry1, e.running(2, 3)).view, e.retrying(2, 3, 'y')).view;
    expect(stateMoved(running, acting)).toBe(true);
    expect(stateMoved(running, running)).toBe(false);
    expect(stateMoved(retry1, retry2)).toBe(true);
    const done = applyEvent(retry2, finished()).view;
    expect(stateMoved(done, applyEvent(done, e.resolved()).view)).toBe(true);
  });
});
