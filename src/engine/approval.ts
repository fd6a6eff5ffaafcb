import type { JobMemo } from '../actions/types.js';
import type { ApprovalPrompt } from '../lifecycle/events.js';
import type { ApprovalView } from './decide.js';
import type { StepDeps, StepRun } from './step.js';

/**
 * The worker's side of a step's approval: ask once (a rerun of the step finds the same
 * request, so a human is never asked twice for one step of one episode), and say who answered
 * once, for the Slack thread. What the answer means for the step is decide()'s.
 */

/** Step memo fields: the approval asked (its id), and that its answer was announced. */
export const APPROVAL_ASKED = '__approval';
const APPROVAL_TOLD = '__approval_told';

/** Ask a human (once per step of a job: a rerun finds the same request); the prompt for Slack when new. */
export async function askApproval(
  deps: StepDeps,
  s: StepRun,
  a: ApprovalView,
  describe: string,
): Promise<ApprovalPrompt | undefined> {
  if (!a.required || a.state !== 'none') return undefined;
  const data = s.job.data;
  const stored = await deps.control.approvals.request({
    id: a.id,
    jobId: s.job.id!,
    host: data.host,
    remediation: data.remediation.id,
    alertname: data.alert.labels.alertname ?? '',
    step: { index: s.step.index, name: s.step.name, action: s.step.action.type },
    describe,
    why: a.why,
    requestedAt: Date.now(),
    deadline: a.deadline,
  });
  await s.store.memo(s.step.index).set(APPROVAL_ASKED, a.id);
  deps.log.info({ approval: a.id, why: a.why, deadline: new Date(stored.deadline).toISOString() }, 'approval asked');
  return { id: a.id, step: s.ref, describe, why: a.why, deadline: stored.deadline };
}

/** Tell the lifecycle (Slack thread) who answered, once per step. */
export async function announceAnswer(deps: StepDeps, s: StepRun, memo: JobMemo, a: ApprovalView): Promise<void> {
  if (!a.required || !a.answer || (a.state !== 'approved' && a.state !== 'denied')) return;
  if (await memo.get(APPROVAL_TOLD)) return;
  await memo.set(APPROVAL_TOLD, '1');
  deps.log.info({ approval: a.id, decision: a.state, by: a.answer.by, via: a.answer.via }, `approval ${a.state}`);
  deps.events.emit('approval.answered', {
    jobId: s.job.id!,
    data: s.job.data,
    step: s.ref,
    decision: a.state,
    by: a.answer.by,
    at: a.answer.at,
    reason: a.answer.reason,
    via: a.answer.via,
  });
}
