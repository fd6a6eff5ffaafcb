import { EventEmitter } from 'node:events';
import type { Outcome, RemediationJobData, RemediationJobResult } from './queue/contract.js';

/**
 * What happens to a remediation job, as events inside one process. The producer (HTTP side)
 * and the worker emit; subscribers (metrics, Slack notifications, history, Alertmanager
 * silences) listen. Subscribers must never throw into the emitter or block it: do the work
 * on your own queue or catch and log. Each process has its own bus; what must cross
 * processes goes through Redis (queues, keys).
 */
export interface RemediationEventMap {
  /** The webhook created the job (not emitted for duplicates). */
  'job.queued': { jobId: string; data: RemediationJobData };
  /** The webhook saw a duplicate of an episode already handled or queued. */
  'job.duplicate': { jobId: string; data: RemediationJobData };
  /** A resolved alert removed the episode's waiting or delayed job. */
  'job.cancelled': { jobId: string; data: RemediationJobData; reason: string };
  /** Alertmanager says the alert of this episode resolved (emitted once per delivery). */
  'alert.resolved': { jobId: string; data: RemediationJobData };
  /** A worker started an attempt. */
  'job.running': { jobId: string; data: RemediationJobData; attempt: number; attempts: number };
  /** Guards passed; the Docker call is about to be made (not emitted in dry-run). */
  'job.acting': { jobId: string; data: RemediationJobData; targets: string[]; action: string };
  /** An attempt failed and will be retried. */
  'job.retrying': { jobId: string; data: RemediationJobData; attempt: number; attempts: number; reason: string };
  /** The job ended: succeeded, skipped, dry_run, cooldown, circuit_open (completed) or failed/refused/escalated. */
  'job.finished': {
    jobId: string;
    data: RemediationJobData;
    outcome: Outcome;
    result: RemediationJobResult | undefined;
    reason: string | undefined;
    /** Why a human is needed (retries_exhausted, verification_failed, circuit_open), if one is. */
    escalation: string | undefined;
    attempts: number;
  };
}

export type RemediationEventName = keyof RemediationEventMap;

export interface RemediationEvents {
  emit<K extends RemediationEventName>(name: K, event: RemediationEventMap[K]): void;
  on<K extends RemediationEventName>(name: K, listener: (event: RemediationEventMap[K]) => void | Promise<void>): void;
}

/** A bus whose listeners cannot break the emitter: sync throws and async rejections are reported. */
export function createEvents(onListenerError: (name: string, err: unknown) => void): RemediationEvents {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(50);
  return {
    emit(name, event) {
      for (const listener of emitter.listeners(name)) {
        try {
          const r = (listener as (e: unknown) => unknown)(event);
          if (r instanceof Promise) r.catch((err) => onListenerError(name, err));
        } catch (err) {
          onListenerError(name, err);
        }
      }
    },
    on(name, listener) {
      emitter.on(name, listener as (e: unknown) => void);
    },
  };
}
