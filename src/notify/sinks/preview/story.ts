import { stepsOf } from '../../../catalog/remediation.js';
import type { StepRecord } from '../../../engine/types.js';
import type { LifecycleEvent, StepRef } from '../../../lifecycle/events.js';
import type { Outcome } from '../../../lifecycle/outcome.js';
import type { RemediationJobData } from '../../../queue/contract.js';
import type { JobPlan } from '../../../simulate/types.js';

/**
 * The lifecycle a job would go through, made up from simulate's plan, so `simulate --notify`
 * can show what each sink would send for it. The plan says what a worker would decide now; what
 * an action then does is not known, so a job that would act gets two stories: its action
 * succeeds, or every attempt fails and it escalates. Pure.
 */
export interface Story {
  /** What is assumed: `succeeded`, `escalated`, or the decision that ends it (`cooldown`, ...). */
  scenario: string;
  events: LifecycleEvent[];
}

type Ev = {
  [K in LifecycleEvent['type']]: Omit<Extract<LifecycleEvent, { type: K }>, 'jobId' | 'data' | 'at'>;
}[LifecycleEvent['type']];

function record(ref: StepRef, outcome: StepRecord['outcome'], summary: string, targets: string[]): StepRecord {
  return {
    index: ref.index,
    name: ref.name,
    action: ref.action,
    outcome,
    decision: outcome === 'dry_run' ? 'dry_run' : 'act',
    summary,
    when: 'always',
    targets,
    attempts: 1,
    startedAt: undefined,
    finishedAt: undefined,
    durationMs: undefined,
    details: undefined,
  };
}

/** The stories of one job of the plan; `at` is when the first event happens (epoch ms). */
export function storiesOf(job: JobPlan, data: RemediationJobData, at: number): Story[] {
  const make = (scenario: string, evs: Ev[]): Story => ({
    scenario,
    events: evs.map((e, i) => ({ ...e, jobId: job.jobId, data, at: at + i * 1000 }) as LifecycleEvent),
  });
  switch (job.webhook.decision) {
    case 'duplicate':
      return [make('duplicate', [{ type: 'job.duplicate' }])];
    case 'cancel':
      return [
        make('cancelled', [
          { type: 'alert.resolved' },
          { type: 'job.cancelled', reason: 'alert resolved while the job was waiting' },
        ]),
      ];
    case 'leave':
      return [make('resolved', [{ type: 'alert.resolved' }])];
  }
  const specs = stepsOf(data.remediation, data.phase);
  const first = job.steps[0];
  const ref: StepRef = {
    index: 0,
    name: first?.name ?? specs[0]?.name ?? 'step-1',
    action: first?.action ?? job.action,
    count: Math.max(1, specs.length),
  };
  const attempts = specs[0]?.retry.attempts ?? 1;
  const targets = (job.target?.containers ?? []).map((c) => c.name);
  const describe = first?.describe ?? job.action;
  const queued: Ev = { type: 'job.queued' };
  const running = (attempt: number): Ev => ({ type: 'job.running', attempt, attempts, step: ref });
  const finished = (outcome: Outcome, over: { reason?: string; escalation?: string; summary?: string } = {}): Ev => ({
    type: 'job.finished',
    outcome,
    reason: over.reason,
    escalation: over.escalation,
    attempts: 1,
    result: over.summary
      ? {
          outcome,
          summary: over.summary,
          action: ref.action,
          targets,
          dryRun: outcome === 'dry_run',
          durationMs: 0,
          details: {},
          steps: [record(ref, outcome === 'dry_run' ? 'dry_run' : 'succeeded', over.summary, targets)],
        }
      : undefined,
  });
  const decision = job.worker?.decision;
  const detail = job.worker?.detail ?? '';
  switch (decision) {
    case 'act':
    case 'conditional': {
      const acting: Ev = { type: 'job.acting', action: ref.action, targets, step: ref };
      const failing: Ev[] = [];
      for (let a = 1; a <= attempts; a++) {
        failing.push(running(a), acting);
        if (a < attempts)
          failing.push({
            type: 'job.retrying',
            attempt: a,
            attempts,
            reason: 'simulated: the attempt failed',
            step: ref,
          });
      }
      return [
        make('succeeded', [queued, running(1), acting, finished('succeeded', { summary: `simulated: ${describe}` })]),
        make('escalated', [
          queued,
          ...failing,
          finished('escalated', { reason: 'simulated: every attempt failed', escalation: 'retries_exhausted' }),
        ]),
      ];
    }
    case 'dry_run':
      return [make('dry_run', [queued, running(1), finished('dry_run', { summary: `dry run: would ${describe}` })])];
    case 'skip':
      return [make('skipped', [queued, running(1), finished('skipped', { reason: detail })])];
    case 'resolved':
      return [make('resolved', [queued, running(1), finished('resolved', { reason: detail })])];
    case 'wait':
      return [make('waiting', [queued, running(1), { type: 'job.waiting', on: 'lock', detail, untilMs: undefined }])];
    case 'deferred':
    case 'paused':
    case 'awaiting_approval': {
      // A hold: the job waits (a cooldown to wait out, a pause, a human's answer), then acts.
      const on = decision === 'deferred' ? 'cooldown' : decision === 'paused' ? 'paused' : 'approval';
      return [make('waiting', [queued, running(1), { type: 'job.waiting', on, detail, untilMs: undefined }])];
    }
    case 'denied':
    case 'approval_expired':
      return [
        make('escalated', [
          queued,
          running(1),
          finished('escalated', { reason: detail, escalation: 'approval_expired' }),
        ]),
      ];
    case 'circuit_open':
      return [
        make('circuit_open', [
          queued,
          running(1),
          finished('circuit_open', { reason: detail, escalation: 'circuit_open' }),
        ]),
      ];
    case 'refused':
      return [make('refused', [queued, running(1), finished('refused', { reason: detail })])];
    case 'not_found':
      return [make('failed', [queued, running(1), finished('failed', { reason: detail })])];
    default:
      return [make('queued', [queued])];
  }
}
