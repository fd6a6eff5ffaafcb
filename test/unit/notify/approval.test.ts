import { describe, expect, it } from 'vitest';
import { APPROVE_ACTION, DENY_ACTION } from '../../../src/notify/approval-blocks.js';
import { renderParent } from '../../../src/notify/blocks.js';
import type { NotifyEvent } from '../../../src/notify/contract.js';
import { renderReply } from '../../../src/notify/details.js';
import { applyEvent, initialView, type ThreadView } from '../../../src/notify/view.js';
import { jobData } from './job-data.js';

// The approval part of a thread: buttons while a step waits for a human, who answered once one
// did, and "paused by" while a pause holds the job.

const fire = jobData();
const fold = (events: NotifyEvent[]): ThreadView =>
  events.reduce((v, event) => applyEvent(v, { event, data: fire }).view, initialView());
const prompt = {
  id: '0123456789ab',
  describe: 'recreate api <https://evil|x>',
  why: 'policy: recreate replaces the container with a new one',
  deadline: Date.UTC(2030, 0, 1, 12, 15),
};
const asked: NotifyEvent = { kind: 'waiting', on: 'approval', detail: 'needs an approval ...', approval: prompt };
const answered: NotifyEvent = {
  kind: 'approval',
  decision: 'approved',
  by: 'alice (Slack U0ALICE)',
  at: Date.UTC(2030, 0, 1, 12, 3),
  reason: 'approved in Slack',
  via: 'slack',
};
const actionsOf = (v: ThreadView) => renderParent(v, fire, 'job-1').blocks.filter((b) => b.type === 'actions');

describe('approvals in the Slack thread', () => {
  it('shows Approve / Deny buttons carrying the approval id while the step waits, escaped text above them', () => {
    const v = fold([{ kind: 'queued' }, { kind: 'running', attempt: 1, attempts: 1 }, asked]);
    const [buttons] = actionsOf(v) as any[];
    expect(buttons.elements.map((e: any) => [e.action_id, e.value, e.style])).toEqual([
      [APPROVE_ACTION, '0123456789ab', 'primary'],
      [DENY_ACTION, '0123456789ab', 'danger'],
    ]);
    const text = JSON.stringify(renderParent(v, fire, 'job-1').blocks);
    expect(text).toContain('Approval needed');
    expect(text).toContain('&lt;https://evil|x&gt;');
    expect(text).toContain('2030-01-01T12:15:00Z');
  });

  it('once answered the buttons go, the parent says who, and the reply in the thread too', () => {
    const v = fold([{ kind: 'running', attempt: 1, attempts: 1 }, asked, answered]);
    expect(actionsOf(v)).toEqual([]);
    expect(JSON.stringify(renderParent(v, fire, 'job-1').blocks)).toContain(
      'Approved* by alice (Slack U0ALICE) (slack) at 2030-01-01T12:03:00Z: approved in Slack',
    );
    const reply = renderReply(answered, fire, 'job-1');
    expect(reply?.text).toMatch(/Approved\* by alice/);
  });

  it('the buttons also go once the job acts, ends or is cancelled (an answer from elsewhere)', () => {
    const step = { index: 0, name: 'recreate', action: 'recreate', count: 1 };
    const running: NotifyEvent = { kind: 'running', attempt: 1, attempts: 1, step };
    for (const next of [
      { kind: 'acting', action: 'recreate', targets: ['api'], step },
      { kind: 'cancelled', reason: 'alert resolved' },
    ] as NotifyEvent[]) {
      expect(actionsOf(fold([running, asked]))).toHaveLength(1);
      expect(actionsOf(fold([running, asked, next]))).toEqual([]);
    }
  });

  it('a pause shows as waiting, paused by whom', () => {
    const v = fold([
      { kind: 'running', attempt: 1, attempts: 1 },
      {
        kind: 'waiting',
        on: 'paused',
        detail: 'paused by erin until 2030-01-01T13:00:00Z (everything (kill switch)): storm',
      },
    ]);
    expect(v.state).toBe('waiting');
    expect(JSON.stringify(renderParent(v, fire, 'job-1').blocks)).toContain('_Waiting:_ paused by erin until');
  });
});
