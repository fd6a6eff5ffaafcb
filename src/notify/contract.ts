import { episodeJobId } from '../alertmanager/episode.js';
import type { StepRecord } from '../engine/types.js';
import type { StepRef } from '../lifecycle/events.js';
import type { Outcome, RemediationJobData, RemediationJobResult } from '../queue/contract.js';
import type { ApprovalPromptView } from './approval-blocks.js';

/**
 * The typed contract of the notification queue: one job per state change of one Slack thread
 * (one alert episode), numbered per thread so the consumer can deliver them in order.
 */
export const NOTIFY_QUEUE = 'notifications';

/** What happened, as the consumer needs it: the event names of src/events.ts, flattened. */
export type NotifyEvent =
  | { kind: 'queued' }
  | { kind: 'running'; attempt: number; attempts: number; step?: StepRef | undefined }
  | { kind: 'acting'; action: string; targets: string[]; step?: StepRef | undefined }
  | { kind: 'step'; step: StepRef; record: StepRecord }
  | { kind: 'waiting'; on: string; detail: string; approval?: ApprovalPromptView | undefined }
  | {
      kind: 'approval';
      decision: 'approved' | 'denied';
      by: string;
      at: number;
      reason: string;
      via: string;
      step?: StepRef | undefined;
    }
  | { kind: 'retrying'; attempt: number; attempts: number; reason: string; step?: StepRef | undefined }
  | {
      kind: 'finished';
      outcome: Outcome;
      result: RemediationJobResult | undefined;
      reason: string | undefined;
      escalation: string | undefined;
      attempts: number;
    }
  | { kind: 'cancelled'; reason: string }
  | { kind: 'resolved' };

export interface NotificationJobData {
  /** The thread: remediation + fingerprint + startsAt (the fire job's id). */
  thread: string;
  /** Position of this change within its thread, from 1. */
  seq: number;
  /** The remediation job this change is about (fire or resolve phase). */
  jobId: string;
  /** When the event happened (epoch ms). */
  at: number;
  event: NotifyEvent;
  data: RemediationJobData;
}

/** The thread of an episode: every job of it (fire and onResolved) posts into the same one. */
export function threadOf(data: Pick<RemediationJobData, 'remediation' | 'episode'>): string {
  return episodeJobId(data.remediation.id, data.episode, 'fire');
}

/** BullMQ job id of one change: unique per (thread, seq), so a lost one can be looked up. */
export const notificationJobId = (thread: string, seq: number): string => `${thread}.n${seq}`;

/** Redis keys under the queue prefix, in one place. */
export const notifyKeys = {
  /** Counter handing out seq numbers of a thread. */
  seq: (prefix: string, thread: string) => `${prefix}:slack:seq:${thread}`,
  /** Hash: ts and channel of the parent message, last seq delivered, the thread's view. */
  thread: (prefix: string, thread: string) => `${prefix}:slack:thread:${thread}`,
};
