import { episodeJobId } from '../alertmanager/episode.js';
import type { LifecycleEvent } from '../lifecycle/events.js';
import type { RemediationJobData } from '../queue/contract.js';

/**
 * The typed contract of the delivery queues: one BullMQ queue per sink
 * (`notifyKeys(prefix).queue(sink)`), one job per change, numbered per (sink, episode) so the
 * consumer delivers each episode's changes in order. The job carries the lifecycle event as the
 * bus emitted it; each sink renders its own message from it.
 */
export interface DeliveryJobData {
  sink: string;
  /** The episode: remediation + fingerprint + startsAt (the fire job's id). */
  episode: string;
  /** Position of this change in the sink's chain for the episode, from 1. */
  seq: number;
  event: LifecycleEvent;
}

/** What one delivery did, as the job's return value. */
export interface DeliveryResult {
  /** Requests sent. */
  sent: number;
  note?: string;
}

/** The episode of a job: every job of it (fire and onResolved) goes to the same thread. */
export function threadOf(data: Pick<RemediationJobData, 'remediation' | 'episode'>): string {
  return episodeJobId(data.remediation.id, data.episode, 'fire');
}

/** BullMQ job id of one change in its sink's queue: unique per (episode, seq), so a lost one can be looked up. */
export const notificationJobId = (episode: string, seq: number): string => `${episode}.n${seq}`;

/** Retries of one change: 5xx and network errors back off up to 5 min, about an hour in all. */
export const DELIVERY = { attempts: 20, firstBackoffMs: 1_000, maxBackoffMs: 300_000 } as const;

export function deliveryBackoff(attemptsMade: number): number {
  const base = Math.min(DELIVERY.maxBackoffMs, DELIVERY.firstBackoffMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(base * (0.9 + Math.random() * 0.2));
}
