import type { JobMemo } from '../actions/types.js';
import { hostKeys } from '../keys.js';
import type { Decision } from './decide.js';
import type { StepDeps, StepEnd, StepRun } from './step.js';
import type { GuardView } from '../guards/index.js';
import type { ApprovalPrompt } from '../lifecycle/events.js';

/**
 * What the worker does with a decision that holds a step back: the job goes back to the queue
 * as delayed (no worker slot, no attempt spent) until what holds it can have changed, and
 * whoever can end the hold early wakes it (a lock's releaser, a resume, an answer). Nothing is
 * skipped: a step held by a cooldown, a pause, an approval or a blast-radius limit comes back,
 * checks that its alert still fires (step.ts), and acts or escalates.
 */

/** The step memo field saying the step is held, and by what (cleared once it acts). */
export const HELD = '__held';

/** How long a paused job sleeps before it looks again by itself (a resume wakes it earlier). */
const PAUSE_RECHECK_MS = 10 * 60_000;

type Holding = Extract<Decision, { kind: 'wait' | 'deferred' | 'paused' | 'awaiting_approval' }>;

export function isHold(d: Decision): d is Holding {
  return d.kind === 'wait' || d.kind === 'deferred' || d.kind === 'paused' || d.kind === 'awaiting_approval';
}

/** How long to sleep for a hold, and which event reason it is. */
function holdOf(d: Holding, deps: StepDeps): { on: string; delayMs: number } {
  switch (d.kind) {
    case 'wait':
      return {
        on: d.on,
        delayMs: d.on === 'lock' ? (d.retryInMs ?? deps.waitMs) + 50 : deps.waitMs * (0.5 + Math.random()),
      };
    case 'deferred':
      // A cooldown ends at a known time; the limits are polled with jitter.
      return { on: d.on, delayMs: d.on === 'cooldown' ? d.retryInMs + 100 : d.retryInMs * (0.75 + Math.random() / 2) };
    case 'paused':
      return { on: 'paused', delayMs: Math.max(50, Math.min(d.untilMs - Date.now() + 50, PAUSE_RECHECK_MS)) };
    case 'awaiting_approval':
      return { on: 'approval', delayMs: Math.max(50, d.deadline - Date.now() + 100) };
  }
}

/**
 * Hold the step: note it (memo, pause waiters), tell the lifecycle (Slack shows why, the
 * unhandled-episodes metric counts it), and hand the job back. Never returns.
 */
export async function holdStep(
  deps: StepDeps,
  s: StepRun,
  d: Holding,
  memo: JobMemo,
  view: GuardView | undefined,
  approval?: ApprovalPrompt,
): Promise<StepEnd> {
  const data = s.job.data;
  const jobId = s.job.id!;
  const { on, delayMs } = holdOf(d, deps);
  // Lock waits are the short, busy kind: they do not mark the step held (it shows as running).
  if (d.kind !== 'wait') await memo.set(HELD, on);
  if (d.kind === 'paused') {
    await deps.control.pauses.hold(data.host, jobId);
    const { scope, by, reason, from, until } = d.pause;
    await s.store.heldByPause(
      s.step.index,
      d.pauseId,
      { step: s.step.name, scope, by, reason, from, until },
      Date.now(),
    );
  }
  deps.log.info({ on, waitMs: Math.round(delayMs), why: d.detail }, 'job waiting');
  if (d.kind !== 'wait') {
    // What the queue UI shows on the delayed job: why it waits, not only that it is delayed.
    await s.job.updateProgress({ outcome: `waiting (${on})`, summary: d.detail }).catch(() => undefined);
    await s.job.log(`waiting (${on}): ${d.detail}`).catch(() => undefined);
  }
  deps.events.emit('job.waiting', {
    jobId,
    data,
    on,
    detail: d.detail,
    untilMs: Date.now() + delayMs,
    ...(approval && { approval }),
  });
  const lockKey =
    d.kind === 'wait' && d.on === 'lock' && view?.lock.identity
      ? hostKeys(deps.prefix, data.host).lock(view.lock.identity)
      : undefined;
  return await deps.waitFor(delayMs, lockKey);
}
