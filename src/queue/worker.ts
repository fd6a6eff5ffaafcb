import type { RedisClient } from '../redis.js';
import { Worker, type Job, type Queue } from 'bullmq';
import { RefusedError, coerceError } from '../errors.js';
import { createEngine, jobLogger, JobFailedError, type EngineDeps } from '../engine/engine.js';
import { hostKeys } from '../keys.js';
import { INFRA_RETRY, REMEDIATION_QUEUE, type RemediationJobData, type RemediationJobResult } from './contract.js';
import { settledWithin } from '../time.js';

/**
 * The worker shell: consumes one Docker host's remediation queue (one BullMQ Worker per host,
 * src/queue/host-workers.ts) and hands each job to the runbook engine, over that host's engine. The engine decides and records every outcome; this shell only covers what
 * the engine cannot see: a job that failed for good outside it (the engine's own retries of
 * infrastructure errors ran out, or the job stalled too often), and the shutdown deadline.
 */

export interface WorkerDeps extends Omit<EngineDeps, 'wake'> {
  /** A connection the worker may block on (maxRetriesPerRequest: null). */
  connection: RedisClient;
  /** The host whose queue this worker consumes. */
  host: string;
  /** That host's queue (to wake jobs waiting for a lock). */
  queue: Queue<RemediationJobData>;
  concurrency: number;
  /** How long a job's lock lasts before another worker may take it over (stalled job). */
  lockDurationMs?: number;
}

export function createRemediationWorker(deps: WorkerDeps) {
  const wake = async (_host: string, ids: string[]) => {
    for (const id of ids) {
      const job = await deps.queue.getJob(id);
      if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
    }
  };
  // This worker acts on its host's engine only: a job naming another host (put on this queue
  // by hand, or by an older producer) is refused, never run against this engine.
  const dockerFor = (host: string) => {
    if (host !== deps.host) {
      throw new RefusedError(
        `the job is for host ${host} but sits on host ${deps.host}'s queue: refused (this worker acts on ${deps.host} only)`,
      );
    }
    return deps.dockerFor(host);
  };
  const engine = createEngine({ ...deps, dockerFor, wake });
  // Three parameters: BullMQ passes an AbortSignal only to processors that take one.
  let running = 0;
  const processor = async (job: Job<RemediationJobData>, token?: string, signal?: AbortSignal) => {
    running++;
    try {
      return await engine(job, token, signal);
    } finally {
      running--;
    }
  };
  const worker = new Worker<RemediationJobData, RemediationJobResult>(REMEDIATION_QUEUE, processor, {
    connection: deps.connection,
    prefix: hostKeys(deps.prefix, deps.host).queuePrefix,
    concurrency: deps.concurrency,
    lockDuration: deps.lockDurationMs ?? 30_000,
    // A job whose worker died is noticed within one lock duration, not BullMQ's default 30 s.
    stalledInterval: deps.lockDurationMs ?? 30_000,
    maxStalledCount: 2,
    settings: {
      backoffStrategy: (attemptsMade: number) => INFRA_RETRY.backoffMs * 2 ** Math.max(0, attemptsMade - 1),
    },
  });

  worker.on('failed', (job, rawErr) => {
    if (!job) return;
    const err = coerceError(rawErr);
    if (err instanceof JobFailedError || err.name === 'UnrecoverableError') return; // the engine recorded it
    const log = jobLogger(deps.log, job);
    const attempts = job.opts.attempts ?? 1;
    if (job.attemptsMade < attempts) {
      log.warn({ err: err.message, attempt: job.attemptsMade, of: attempts }, 'job failed outside a step; retrying');
      return;
    }
    // Given up outside the engine (Docker or Redis unreachable every time, stalled): a human is needed.
    log.error({ err: err.message, attempts: job.attemptsMade }, 'job escalated');
    const result: RemediationJobResult = {
      outcome: 'escalated',
      summary: err.message,
      action: job.data.remediation.steps[0]?.action.type ?? 'none',
      targets: [],
      dryRun: false,
      durationMs: (job.finishedOn ?? Date.now()) - (job.processedOn ?? Date.now()),
      details: {},
      escalation: 'retries_exhausted',
      steps: [],
    };
    void (async () => {
      await deps.redis.set(hostKeys(deps.prefix, deps.host).episode(job.id!), 'escalated', 'KEEPTTL');
      await deps.events.commit('job.finished', {
        jobId: job.id!,
        data: job.data,
        outcome: 'escalated',
        result,
        reason: err.message,
        escalation: 'retries_exhausted',
        attempts: job.attemptsMade,
      });
    })().catch((e: unknown) => log.error({ err: coerceError(e).message }, 'could not record the escalation'));
  });

  worker.on('error', (err) => deps.log.error({ err: coerceError(err).message }, 'worker error'));

  return {
    worker,
    /** Stop taking jobs; let running ones finish until the deadline, then hand them back. */
    async close(deadlineMs: number): Promise<void> {
      const graceful = worker.close();
      if (await settledWithin(graceful, deadlineMs)) return;
      if (running === 0) {
        // Nothing of ours runs: BullMQ only waits for Redis (gone, or slow): close it now.
        deps.log.warn({ deadlineMs }, 'worker not closed at the deadline (Redis unreachable?): closing it now');
        await settledWithin(worker.close(true), 2_000);
        return;
      }
      deps.log.warn({ deadlineMs, running }, 'jobs still running at the deadline: handing them back to the queue');
      worker.cancelAllJobs('shutdown deadline');
      // Long enough for an exec to be stopped and confirmed gone (SIGTERM, 2 s, SIGKILL, up to
      // 3 s more: docker/exec-stop.ts) and its job handed back or escalated, not cut short.
      if (!(await settledWithin(graceful, 7_000))) await settledWithin(worker.close(true), 2_000);
    },
  };
}
