import { describe, expect, it } from 'vitest';
import type { LifecycleEvent } from '../../../../../src/lifecycle/events.js';
import { APPROVE_ACTION, DENY_ACTION } from '../../../../../src/notify/sinks/slack/approval-blocks.js';
import { renderParent } from '../../../../../src/notify/sinks/slack/blocks.js';
import { renderReply } from '../../../../../src/notify/sinks/slack/details.js';
import { applyEvent, initialView, type ThreadView } from '../../../../../src/notify/view.js';
import { events, jobData } from '../../job-data.js';

// The approval part of a thread: buttons while a step waits for a human, who answered once one
// did, and "paused by" while a pause holds the job.

const fire = jobData();
const e = events(fire);
const fold = (list: LifecycleEvent[]): ThreadView =>
  list.reduce((v, event) => applyEvent(v, event).view, initialView());
const step = { index: 0, name: 'recreate', action: 'recreate', count: 1 };
const prompt = {
  id: '0123456789ab',
  step,
  describe: 'recreate api <https://evil|x>',
  why: 'policy: recreate replaces the container with a new one',
  deadline: Date.UTC(2030, 0, 1, 12, 15),
};
const asked: LifecycleEvent = { ...e.waiting('approval', 'needs an approval ...'), approval: prompt } as LifecycleEvent;
const answered: LifecycleEvent = {
  type: 'approval.answered',
  jobId: 'job-1',
  data: fire,
  at: Date.UTC(2030, 0, 1, 12, 3),
  step,
  decision: 'approved',
  by: 'alice (Slack U0ALICE)',
  reason: 'approved in Slack',
  via: 'slack',
};
const actionsOf = (v: ThreadView) => renderParent(v, fire, 'job-1').blocks.filter((b) => b.type === 'actions');

describe('approvals in the Slack thread', () => {
  it('shows Approve / Deny buttons carrying the approval id while the step waits, escaped text above them', () => {
    const v = fold([e.queued(), e.running(1, 1), asked]);
    const [buttons] = actionsOf(v) as any[];
    expect(buttons.elements.map((x: any) => [x.action_id, x.value, x.style])).toEqual([
      [APPROVE_ACTION, '0123456789ab', 'primary'],
      [DENY_ACTION, '0123456789ab', 'danger'],
    ]);
    const text = JSON.stringify(renderParent(v, fire, 'job-1').blocks);
    expect(text).toContain('Approval needed');
    expect(text).toContain('&lt;https://evil|x&gt;');
    expect(text).toContain('2030-01-01T12:15:00Z');
  });

  it('once answered the buttons go, the parent says who, and the reply in the thread too', () => {
    const v = fold([e.running(1, 1), asked, answered]);
    expect(actionsOf(v)).toEqual([]);
    expect(JSON.stringify(renderParent(v, fire, 'job-1').blocks)).toContain(
      'Approved* by alice (Slack U0ALICE) (slack) at 2030-01-01T12:03:00Z: approved in Slack',
    );
    expect(renderReply(answered)?.text).toMatch(/Approved\* by alice/);
  });

  it('the buttons also go once the job acts, ends or is cancelled (an answer from elsewhere)', () => {
    const running = e.running(1, 1, step);
    for (const next of [e.acting('recreate', ['api'], step), e.cancelled('alert resolved')]) {
      expect(actionsOf(fold([running, asked]))).toHaveLength(1);
      expect(actionsOf(fold([running, asked, next]))).toEqual([]);
    }
  });

  it('a pause shows as waiting, paused by whom', () => {
    const v = fold([
      e.running(1, 1),
      e.waiting('paused', 'paused by erin until 2030-01-01T13:00:00Z (everything (kill switch)): storm'),
    ]);
    expect(v.state).toBe('waiting');
    expect(JSON.stringify(renderParent(v, fire, 'job-1').blocks)).toContain('_Waiting:_ paused by erin until');
  });
});
