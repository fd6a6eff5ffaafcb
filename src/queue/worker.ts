import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { PermanentError, VerificationError, coerceError } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import { backoffDelay } from './backoff.js';
import {
  REMEDIATION_QUEUE,
  keys,
  type Outcome,
  type RemediationJobData,
  type RemediationJobResult,
} from './contract.js';
import { createProcessor, jobLogger, type ProcessorDeps } from './processor.js';
import { settledWithin } from '../time.js';

export interface WorkerDeps extends ProcessorDeps {
  /** A connection the worker may block on (maxRetriesPerRequest: null). */
  connection: Redis;
  metrics: Metrics;
  concurrency: number;
  /** How long a job's lock lasts before another worker may take it over (stalled job). */
  lockDurationMs?: number;
}

function isPermanent(err: Error): boolean {
  return err instanceof PermanentError || err.name === 'UnrecoverableError';
}

/** Outcome and escalation reason of a job that failed for good. */
export function finalOutcome(err: Error): { outcome: Outcome; escalation: string | undefined } {
  if (err instanceof PermanentError) {
    if (err.kind === 'circuit_open') return { outcome: 'circuit_open', escalation: 'circuit_open' };
    return { outcome: err.kind === 'refused' ? 'refused' : 'failed', escalation: undefined };
  }
  if (err.name === 'UnrecoverableError') return { outcome: 'failed', escalation: undefined };
  return {
    outcome: 'escalated',
    escalation: err instanceof VerificationError ? 'verification_failed' : 'retries_exhausted',
  };
}

export function createRemediationWorker(deps: WorkerDeps) {
  const processor = createProcessor(deps);
  const worker = new Worker<RemediationJobData, RemediationJobResult>(REMEDIATION_QUEUE, processor, {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
    lockDuration: deps.lockDurationMs ?? 30_000,
    // A job whose worker died is noticed within one lock duration, not BullMQ's default 30 s.
    stalledInterval: deps.lockDurationMs ?? 30_000,
    maxStalledCount: 2,
    settings: {
      backoffStrategy: (attemptsMade: number, _type?: string, _err?: Error, job?: { data: RemediationJobData }) =>
        job ? backoffDelay(attemptsMade, job.data.remediation.retry) : 5_000,
    },
  });

  const labelsOf = (job: Job<RemediationJobData>) => ({
    remediation: job.data.remediation.id,
    action:
      job.data.phase === 'fire' ? job.data.remediation.action.type : (job.data.remediation.onResolved?.type ?? 'none'),
  });
  const record = (job: Job<RemediationJobData>, outcome: string) =>
    deps.redis.set(keys.episode(deps.prefix, job.id!), outcome, 'KEEPTTL').catch(() => undefined);

  worker.on('completed', (job, result) => {
    const l = labelsOf(job);
    deps.events.emit('job.finished', {
      jobId: job.id!,
      data: job.data,
      outcome: result.outcome,
      result,
      reason: undefined,
      escalation: result.escalation,
      attempts: job.attemptsMade,
    });
    deps.metrics.remediations.inc({ ...l, outcome: result.outcome });
    deps.metrics.duration.observe({ ...l, outcome: result.outcome }, result.durationMs / 1000);
    void record(job, result.outcome);
    jobLogger(deps.log, job).info(
      { outcome: result.outcome, summary: result.summary, durationMs: result.durationMs, attempts: job.attemptsMade },
      `job ${result.outcome}`,
    );
  });

  worker.on('failed', (job, rawErr) => {
    if (!job) return;
    const err = coerceError(rawErr);
    const l = labelsOf(job);
    const log = jobLogger(deps.log, job);
    const attempts = job.opts.attempts ?? 1;
    if (!isPermanent(err) && job.attemptsMade < attempts) {
      deps.metrics.attempts.inc(l);
      log.warn({ err: err.message, attempt: job.attemptsMade, of: attempts }, 'job retrying');
      deps.events.emit('job.retrying', {
        jobId: job.id!,
        data: job.data,
        attempt: job.attemptsMade,
        attempts,
        reason: err.message,
      });
      return;
    }
    const { outcome, escalation } = finalOutcome(err);
    deps.metrics.remediations.inc({ ...l, outcome });
    deps.metrics.duration.observe(
      { ...l, outcome },
      ((job.finishedOn ?? Date.now()) - (job.processedOn ?? Date.now())) / 1000,
    );
    if (escalation) deps.metrics.escalations.inc({ remediation: l.remediation, reason: escalation });
    void record(job, outcome);
    log.error({ outcome, reason: err.message, attempts: job.attemptsMade, escalation }, `job ${outcome}`);
    deps.events.emit('job.finished', {
      jobId: job.id!,
      data: job.data,
      outcome,
      result: undefined,
      reason: err.message,
      escalation,
      attempts: job.attemptsMade,
    });
  });

  worker.on('error', (err) => deps.log.error({ err: coerceError(err).message }, 'worker error'));

  return {
    worker,
    /** Stop taking jobs; let running ones finish until the deadline, then hand them back. */
    async close(deadlineMs: number): Promise<void> {
      const graceful = worker.close();
      if (await settledWithin(graceful, deadlineMs)) return;
      deps.log.warn({ deadlineMs }, 'jobs still running at the deadline: handing them back to the queue');
      worker.cancelAllJobs('shutdown deadline');
      if (!(await settledWithin(graceful, 5_000))) await settledWithin(worker.close(true), 2_000);
    },
  };
}
