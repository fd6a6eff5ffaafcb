import { escCut } from './mrkdwn.js';

/**
 * The approval part of a Slack thread, kept apart from the thread's other rendering so it can
 * move as one piece (into notify/sinks/slack/ once notify is split into sinks): the Approve /
 * Deny buttons under the parent message while a step waits for a human, and the line saying
 * who answered. Pure. The buttons' clicks come back to POST /slack/interactions
 * (http/routes/slack-interactions.ts), which matches them by these action ids.
 */

export const APPROVE_ACTION = 'remediator_approve';
export const DENY_ACTION = 'remediator_deny';

/** What the thread shows while a step waits for a human (from the job.waiting event). */
export interface ApprovalPromptView {
  id: string;
  describe: string;
  why: string;
  deadline: number;
}

/** A Block Kit `actions` block with the two buttons (value: the approval id). */
export interface ActionsBlock {
  type: 'actions';
  block_id: string;
  elements: {
    type: 'button';
    action_id: string;
    text: { type: 'plain_text'; text: string; emoji?: boolean };
    style: 'primary' | 'danger';
    value: string;
    confirm?: {
      title: { type: 'plain_text'; text: string };
      text: { type: 'mrkdwn'; text: string };
      confirm: { type: 'plain_text'; text: string };
      deny: { type: 'plain_text'; text: string };
    };
  }[];
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** The line above the buttons: what would run, why a human is asked, until when. */
export function approvalPromptText(p: ApprovalPromptView): string {
  return (
    `:raising_hand: *Approval needed* to ${escCut(p.describe, 600)}\n` +
    `_Why:_ ${escCut(p.why, 300)} · approve or deny by ${iso(p.deadline)} (then it escalates, nothing done) · ` +
    `\`remediator approve ${p.id} --reason …\``
  );
}

export function approvalButtons(p: ApprovalPromptView): ActionsBlock {
  return {
    type: 'actions',
    block_id: `remediator_approval_${p.id}`,
    elements: [
      {
        type: 'button',
        action_id: APPROVE_ACTION,
        text: { type: 'plain_text', text: 'Approve', emoji: false },
        style: 'primary',
        value: p.id,
        confirm: {
          title: { type: 'plain_text', text: 'Approve this step?' },
          text: { type: 'mrkdwn', text: escCut(p.describe, 280) },
          confirm: { type: 'plain_text', text: 'Approve' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
      {
        type: 'button',
        action_id: DENY_ACTION,
        text: { type: 'plain_text', text: 'Deny' },
        style: 'danger',
        value: p.id,
      },
    ],
  };
}

/** Who answered, for the parent message and the thread's reply. */
export function approvalAnswerText(a: {
  decision: 'approved' | 'denied';
  by: string;
  at: number;
  reason: string;
  via: string;
}): string {
  const mark = a.decision === 'approved' ? ':white_check_mark: *Approved*' : ':no_entry: *Denied*';
  return `${mark} by ${escCut(a.by, 200)} (${escCut(a.via, 20)}) at ${iso(a.at)}: ${escCut(a.reason, 500)}`;
}
