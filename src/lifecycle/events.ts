import { EventEmitter } from 'node:events';
import type { StepRecord } from '../engine/types.js';
import type { RemediationJobData, RemediationJobResult } from '../queue/contract.js';
import type { Outcome, Transition } from './outcome.js';

/**
 * What happens to a remediation job, as events inside one process: the job's lifecycle. The
 * producer (HTTP side) and the engine emit; subscribers (metrics, history, Slack, silences)
 * listen. Each process has its own bus; what must cross processes goes through Redis.
 *
 * Two kinds of subscriber:
 * - `on`: fire and forget. It must never throw into the emitter or block it: do the work on
 *   your own queue, or catch and log (the bus reports what escapes).
 * - `onCommit`: durable. `commit()` awaits every such listener before it returns, and an error
 *   propagates to the caller, so what they write (history, the episode record) is in Redis
 *   before the job is marked done. The worker's connection waits out a Redis outage.
 */

/** The step an event is about: index (0-based), name, action, and how many steps there are. */
export interface StepRef {
  index: number;
  name: string;
  action: string;
  count: number;
}

export interface RemediationEventMap {
  /** The webhook created the job (not emitted for duplicates). */
  'job.queued': { jobId: string; data: RemediationJobData };
  /** The webhook saw a duplicate of an episode already handled or queued. */
  'job.duplicate': { jobId: string; data: RemediationJobData };
  /** A resolved alert removed the episode's waiting or delayed job. */
  'job.cancelled': { jobId: string; data: RemediationJobData; reason: string };
  /** Alertmanager says the alert of this episode resolved (emitted once per delivery). */
  'alert.resolved': { jobId: string; data: RemediationJobData };
  /** A worker started (or resumed) the job; attempt/attempts are the current step's. */
  'job.running': { jobId: string; data: RemediationJobData; attempt: number; attempts: number; step?: StepRef };
  /** Guards passed; the step's Docker call is about to be made (not emitted in dry-run). */
  'job.acting': { jobId: string; data: RemediationJobData; targets: string[]; action: string; step?: StepRef };
  /** A step ended (succeeded, failed, skipped, noop, dry run). */
  'step.finished': { jobId: string; data: RemediationJobData; step: StepRef; record: StepRecord };
  /** A step's attempt failed and will be retried after a backoff. */
  'job.retrying': {
    jobId: string;
    data: RemediationJobData;
    attempt: number;
    attempts: number;
    reason: string;
    step?: StepRef;
  };
  /**
   * The job is held back without spending an attempt: a busy lock or slot (lock, in_flight,
   * share), a cooldown to wait out, a pause, an approval, a blast-radius limit (cooldown,
   * paused, approval, min_healthy, rate). `approval` is set when a human was just asked.
   */
  'job.waiting': {
    jobId: string;
    data: RemediationJobData;
    on: string;
    detail: string;
    untilMs: number | undefined;
    approval?: ApprovalPrompt | undefined;
  };
  /** A human answered a step's approval request (seen by the worker as the job goes on). */
  'approval.answered': {
    jobId: string;
    data: RemediationJobData;
    step: StepRef;
    decision: 'approved' | 'denied';
    by: string;
    at: number;
    reason: string;
    via: string;
  };
  /** The job ended: every outcome, completed or failed in BullMQ's terms. */
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
  // Not job transitions (outcome.ts TRANSITIONS): facts the effectiveness rollups learn about an
  // episode, for the metrics (lifecycle/metrics.ts). They never reach a notification sink.
  /**
   * The episode's time from firing to resolved is known (counted once per episode, by whichever
   * came second: its resolved notification or its record).
   */
  'episode.resolved': { jobId: string; data: RemediationJobData; mttrMs: number };
  /**
   * A new episode of the same alert fired after a success of the same remediation: the fix did
   * not hold. `within` lists the windows it counted for ('1h', '24h'; once per success each).
   */
  'episode.recurred': {
    jobId: string;
    data: RemediationJobData;
    previousJobId: string;
    afterMs: number;
    within: string[];
  };
}

/** What a human is asked to approve (the Slack buttons carry `id`). */
export interface ApprovalPrompt {
  id: string;
  step: StepRef;
  describe: string;
  why: string;
  deadline: number;
}

export type RemediationEventName = keyof RemediationEventMap;

/**
 * One transition as it leaves the process (notification sinks, their queues): the bus event
 * itself, tagged with its name and when it happened. One type per transition; every sink
 * renders its own message from this, nothing reshapes it on the way.
 */
export type LifecycleEvent = {
  [K in Transition]: { type: K; at: number } & RemediationEventMap[K];
}[Transition];

/** The lifecycle event of one transition. */
export type LifecycleEventOf<K extends Transition> = Extract<LifecycleEvent, { type: K }>;

type Listener<K extends RemediationEventName> = (event: RemediationEventMap[K]) => void | Promise<void>;

export interface RemediationEvents {
  emit<K extends RemediationEventName>(name: K, event: RemediationEventMap[K]): void;
  on<K extends RemediationEventName>(name: K, listener: Listener<K>): void;
  /** A durable subscriber: awaited by `commit`, its errors reach the committer. */
  onCommit<K extends RemediationEventName>(name: K, listener: (event: RemediationEventMap[K]) => Promise<void>): void;
  /** Await every durable subscriber, then emit to the others. */
  commit<K extends RemediationEventName>(name: K, event: RemediationEventMap[K]): Promise<void>;
}

/** A bus whose listeners cannot break the emitter: sync throws and async rejections are reported. */
export function createEvents(onListenerError: (name: string, err: unknown) => void): RemediationEvents {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(50);
  const durable = new Map<string, ((e: unknown) => Promise<void>)[]>();
  const emit = <K extends RemediationEventName>(name: K, event: RemediationEventMap[K]): void => {
    for (const listener of emitter.listeners(name)) {
      try {
        const r = (listener as (e: unknown) => unknown)(event);
        if (r instanceof Promise) r.catch((err) => onListenerError(name, err));
      } catch (err) {
        onListenerError(name, err);
      }
    }
  };
  return {
    emit,
    on(name, listener) {
      emitter.on(name, listener as (e: unknown) => void);
    },
    onCommit(name, listener) {
      durable.set(name, [...(durable.get(name) ?? []), listener as (e: unknown) => Promise<void>]);
    },
    async commit(name, event) {
      for (const listener of durable.get(name) ?? []) await listener(event);
      emit(name, event);
    },
  };
}
