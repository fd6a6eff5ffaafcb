import type { RedisClient } from '../redis.js';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { AlertmanagerApi } from '../alertmanager/api.js';
import { episodeJobId } from '../alertmanager/episode.js';
import { stepsOf, type StepSpec } from '../catalog/remediation.js';
import { renderQuery } from '../catalog/query-template.js';
import type { DockerPort } from '../docker/port.js';
import { PermanentError, coerceError, isPermanent } from '../errors.js';
import type { GlobalCap } from '../guards/global-cap.js';
import type { Guards } from '../guards/index.js';
import { hostKeys } from '../keys.js';
import type { RemediationEvents, StepRef } from '../lifecycle/events.js';
import { isFailure } from '../lifecycle/outcome.js';
import type { Outcome, RemediationJobData, RemediationJobResult } from '../queue/contract.js';
import { afterStep, endOfRunbook, whenVerdict } from './decide.js';
import { jobResult, stepRecord } from './record.js';
import { createJobStateStore } from './state.js';
import type { EngineControl } from './control.js';
import { HELD } from './hold.js';
import { runStep } from './step.js';
import type { StepRecord } from './types.js';
import { queryHolds } from './verify.js';

/**
 * The runbook engine: one BullMQ job runs its remediation's steps in order, each through the
 * same stages (render -> resolve -> decide -> act -> verify -> record). Retries, waits and
 * resumption are the engine's own: a failed attempt or a busy guard hands the job back to the
 * queue as delayed (no worker slot held, no BullMQ attempt spent), and the job's state in
 * Redis (state.ts) makes any worker resume it at the step it was in.
 */

export interface EngineDeps {
  /** The Docker engine of a host. */
  dockerFor(host: string): DockerPort;
  /** The worker's own connection (waits out a Redis outage). */
  redis: RedisClient;
  log: Logger;
  events: RemediationEvents;
  guards: Guards;
  prefix: string;
  optInLabel: string;
  dryRun: boolean;
  maxInFlight: number;
  /** MAX_IN_FLIGHT_GLOBAL: actions at once across every host (undefined: no such cap). */
  globalCap?: GlobalCap | undefined;
  /** Share of a Compose service's replicas that disruptive container actions may act on at once. */
  serviceShare?: number;
  /** How long a job waits before trying a busy slot (in-flight cap, service share) again. */
  waitMs?: number;
  prometheusUrl?: string | undefined;
  alertmanager?: AlertmanagerApi | undefined;
  /** Promote jobs that waited for a lock this job released. */
  wake(host: string, jobIds: string[]): Promise<void>;
  /** How long a host-state entry lives (image history for rollback). */
  hostStateTtlSeconds?: number;
  /** Pauses, approvals and the fleet's rate of disruptive actions. */
  control: EngineControl;
}

/** The job ended as something BullMQ should keep as failed (escalated, refused, ...). */
export class JobFailedError extends UnrecoverableError {
  constructor(
    message: string,
    readonly result: RemediationJobResult,
  ) {
    super(message);
    this.name = 'UnrecoverableError';
  }
}

/** A job-scoped logger carrying what every line about a job needs. */
export function jobLogger(log: Logger, job: Job<RemediationJobData>): Logger {
  return log.child({
    jobId: job.id,
    remediation: job.data.remediation.id,
    alertname: job.data.alert.labels.alertname,
    fingerprint: job.data.alert.fingerprint,
    phase: job.data.phase,
    host: job.data.host,
  });
}

const fireIdOf = (data: RemediationJobData) => episodeJobId(data.remediation.id, data.episode, 'fire');

/** The result of a job the host-down watchdog escalated (src/queue/watchdog.ts). */
export function hostDownResult(data: RemediationJobData, reason?: string): RemediationJobResult {
  return jobResult({
    spec: data.remediation,
    phase: data.phase,
    outcome: 'escalated',
    records: [],
    startedAt: data.receivedAt,
    dryRun: false,
    escalation: 'host_down',
    reason: reason ?? `no worker served host ${data.host}: escalated without acting`,
  });
}

export function createEngine(deps: EngineDeps) {
  const waitMs = deps.waitMs ?? 1_000;

  /** Hand the job back to wait (no attempt spent); woken early for a lock by its releaser. */
  async function waitFor(job: Job, token: string | undefined, delayMs: number, lockKey?: string): Promise<never> {
    await job.moveToDelayed(Date.now() + Math.max(50, Math.round(delayMs)), token);
    // The lock may have been released between the check and the move: then go at once.
    if (lockKey && (await deps.redis.exists(lockKey)) === 0) await job.promote().catch(() => undefined);
    throw new DelayedError();
  }

  /** `still_firing` and the delay's recheck: Alertmanager when configured, else the resolved marker. */
  async function firing(data: RemediationJobData): Promise<{ firing: boolean; detail: string }> {
    const hk = hostKeys(deps.prefix, data.host);
    if ((await deps.redis.exists(hk.resolved(fireIdOf(data)))) === 1) {
      return { firing: false, detail: 'Alertmanager said the alert resolved' };
    }
    if (!deps.alertmanager) return { firing: true, detail: 'no resolved notification yet (ALERTMANAGER_URL unset)' };
    try {
      const yes = await deps.alertmanager.isFiring(data.alert.fingerprint, data.alert.labels);
      return yes
        ? { firing: true, detail: 'Alertmanager still has the alert' }
        : { firing: false, detail: 'Alertmanager no longer has the alert' };
    } catch (err) {
      return {
        firing: true,
        detail: `Alertmanager unreachable (${coerceError(err).message}); no resolved notification yet`,
      };
    }
  }

  /** Why an onResolved job with `after:` must not undo: the alert fired again; undefined when it may. */
  async function refiredSince(data: RemediationJobData, jobId: string): Promise<string | undefined> {
    const pointer = hostKeys(deps.prefix, data.host).pendingUndo(data.remediation.id, data.alert.fingerprint);
    const after = `${Math.round((data.remediation.onResolvedAfterMs ?? 0) / 1000)}s`;
    if ((await deps.redis.get(pointer)) !== jobId) {
      return `the alert fired again within onResolved's after: ${after}; not undoing while it fires`;
    }
    if (!deps.alertmanager) return undefined;
    try {
      if (await deps.alertmanager.isFiring(data.alert.fingerprint, data.alert.labels)) {
        return `Alertmanager has the alert firing again after onResolved's after: ${after}; not undoing while it fires`;
      }
    } catch {
      /* unreachable: the webhook's record of a re-fire (above) is what holds */
    }
    return undefined;
  }

  async function evaluateWhen(step: StepSpec, data: RemediationJobData, previous: StepRecord | undefined) {
    const w = step.when;
    if (w.kind === 'still_firing') {
      const f = await firing(data);
      return whenVerdict(w, { previous, firing: f.firing, query: undefined, firingDetail: f.detail });
    }
    if (w.kind === 'query') {
      if (!deps.prometheusUrl)
        throw new PermanentError('bad_params', `step ${step.name}: when.query needs PROMETHEUS_URL`);
      const holds = await queryHolds(deps.prometheusUrl, renderQuery(w.query, data.alert));
      return whenVerdict(w, { previous, firing: undefined, query: holds });
    }
    return whenVerdict(w, { previous, firing: undefined, query: undefined });
  }

  return async function processJob(
    job: Job<RemediationJobData>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<RemediationJobResult> {
    try {
      return await runJob(job, token, signal);
    } catch (raw) {
      const err = coerceError(raw);
      if (err instanceof DelayedError || err instanceof JobFailedError || !isPermanent(err)) throw err;
      // A permanent error outside a step (a `when` that can never be evaluated, a host this
      // worker has no engine for): record it.
      const outcome = err instanceof PermanentError && err.kind === 'refused' ? 'refused' : 'failed';
      const result: RemediationJobResult = jobResult({
        spec: job.data.remediation,
        phase: job.data.phase,
        outcome,
        records: [],
        startedAt: Date.now(),
        dryRun: false,
        escalation: undefined,
        reason: err.message,
      });
      await deps.redis.set(hostKeys(deps.prefix, job.data.host).episode(job.id!), outcome, 'KEEPTTL');
      await deps.events.commit('job.finished', {
        jobId: job.id!,
        data: job.data,
        outcome,
        result,
        reason: err.message,
        escalation: undefined,
        attempts: job.attemptsMade,
      });
      throw new JobFailedError(err.message, result);
    }
  };

  async function runJob(
    job: Job<RemediationJobData>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<RemediationJobResult> {
    const data = job.data;
    const jobId = job.id!;
    const hk = hostKeys(deps.prefix, data.host);
    // Escalated while no worker served its host (the watchdog marks it only while no worker
    // holds the job's lock, and this worker holds it now): it is recorded; act on nothing.
    const store = createJobStateStore(deps.redis, hk.memo(jobId));
    // Both reads in one round trip (written together, they leave in one write).
    const [escalatedBy, state] = await Promise.all([deps.redis.get(hk.hostDown(jobId)), store.load()]);
    if (escalatedBy !== null) {
      jobLogger(deps.log, job).warn({ escalatedBy }, 'job already escalated while its host had no worker: not run');
      throw new JobFailedError('escalated while its host had no worker', hostDownResult(data));
    }
    const docker = deps.dockerFor(data.host);
    const steps = stepsOf(data.remediation, data.phase);
    const log = jobLogger(deps.log, job);
    const shutdown = signal ?? new AbortController().signal;
    const dryRun = { global: deps.dryRun, remediation: data.remediation.dryRun };
    const isDry = dryRun.global || dryRun.remediation;
    const startedAt = state.startedAt ?? Date.now();
    // Sent now, awaited with the next read (one round trip for both).
    const started = state.startedAt === undefined ? store.started(startedAt) : Promise.resolve();
    started.catch(() => undefined); // awaited below
    const records = [...state.records];
    const ref = (s: StepSpec): StepRef => ({
      index: s.index,
      name: s.name,
      action: s.action.type,
      count: steps.length,
    });
    const acted = () => records.some((r) => r.outcome === 'succeeded' || r.outcome === 'failed');

    async function finish(
      outcome: Outcome,
      escalation: string | undefined,
      reason: string | undefined,
    ): Promise<RemediationJobResult> {
      const result = jobResult({
        spec: data.remediation,
        phase: data.phase,
        outcome,
        records,
        startedAt,
        dryRun: isDry,
        escalation,
        reason,
        pauses: state.pauses,
      });
      // The episode record and history are written before the job is marked done (durable subscribers).
      await deps.redis.set(hk.episode(jobId), outcome, 'KEEPTTL');
      // The queue UI (bull-board) lists a completed cooldown or dry run as a green success:
      // the outcome is the job's progress and the last line of its log, for whoever looks there.
      await job.updateProgress({ outcome, summary: result.summary }).catch(() => undefined);
      await job.log(`${outcome}: ${result.summary}`).catch(() => undefined);
      await deps.events.commit('job.finished', {
        jobId,
        data,
        outcome,
        result,
        reason,
        escalation,
        attempts: records.reduce((n, r) => n + r.attempts, 0),
      });
      log[isFailure(outcome) ? 'error' : 'info'](
        { outcome, summary: result.summary, durationMs: result.durationMs, escalation, steps: records.length },
        `job ${outcome}`,
      );
      if (isFailure(outcome)) throw new JobFailedError(result.summary, result);
      return result;
    }

    async function endStep(step: StepSpec, rec: StepRecord): Promise<RemediationJobResult | undefined> {
      records.push(rec);
      await store.stepEnded(rec);
      deps.events.emit('step.finished', { jobId, data, step: ref(step), record: rec });
      log.info({ step: step.name, outcome: rec.outcome, summary: rec.summary }, 'step finished');
      await job
        .log(
          `step ${step.index + 1}/${steps.length} ${step.name} (${step.action.type}): ${rec.outcome}: ${rec.summary}`,
        )
        .catch(() => undefined);
      const next = afterStep(steps, step.index, records);
      return next.go === 'end' ? finish(next.outcome, next.escalation, next.reason) : undefined;
    }

    // onResolved with `after:`: only if the episode stayed resolved (no re-fire came meanwhile).
    const afterMs = data.remediation.onResolvedAfterMs ?? 0;
    if (data.phase === 'resolve' && afterMs > 0 && state.cursor === 0 && records.length === 0) {
      const refired = await refiredSince(data, jobId);
      if (refired) return finish('cancelled', undefined, refired);
    }

    // The alert resolved before anything happened (delay, backlog): do nothing.
    if (data.phase === 'fire' && state.cursor === 0 && records.length === 0) {
      const [f, marked] = await Promise.all([
        data.remediation.delayMs > 0 ? firing(data) : undefined,
        data.remediation.delayMs > 0 ? 0 : deps.redis.exists(hk.resolved(jobId)),
        started,
      ]);
      const resolved = f ? !f.firing : marked === 1;
      if (resolved) return finish('cancelled', undefined, 'alert resolved before remediator acted');
    }
    await started;

    // A rerun after the last recorded step already ended the runbook (the worker died, or a
    // failover lost BullMQ's finish, between the step's record and the job's end): finish as
    // that step decided, never go on to the next one.
    const last = records.at(-1);
    if (last && last.index === state.cursor - 1) {
      const next = afterStep(steps, last.index, records);
      if (next.go === 'end') return finish(next.outcome, next.escalation, next.reason);
    }

    const stepDeps = {
      ...deps,
      log,
      waitMs,
      waitFor: (delayMs: number, lockKey?: string) => waitFor(job, token, delayMs, lockKey),
      firing: () => firing(data),
    };
    for (let i = state.cursor; i < steps.length; i++) {
      const step = steps[i]!;
      const attempts = state.attempts.get(i) ?? 0;
      const stepStart = state.stepStartedAt.get(i) ?? Date.now();
      // Written beside the `when` check below (one round trip for both).
      const stepStarted = state.stepStartedAt.has(i) ? Promise.resolve() : store.stepStarted(i, stepStart);
      stepStarted.catch(() => undefined); // awaited below
      // A held step that wakes to look again is still waiting, as far as anyone watching can tell.
      if (!(await store.memo(i).get(HELD))) {
        deps.events.emit('job.running', {
          jobId,
          data,
          attempt: attempts + 1,
          attempts: step.retry.attempts,
          step: ref(step),
        });
      }

      // when: evaluated before any Docker call; a resolved episode stops the runbook here
      const previous = [...records].reverse().find((r) => r.outcome !== 'skipped');
      const [verdict] = await Promise.all([evaluateWhen(step, data, previous), stepStarted]);
      if (verdict.holds === 'resolved') {
        return finish(
          acted() ? 'resolved' : 'cancelled',
          undefined,
          `stopped before step ${step.name}: ${verdict.detail}`,
        );
      }
      const ended =
        verdict.holds === false
          ? {
              record: stepRecord(step, 'skipped', {
                startedAt: stepStart,
                attempts: 0,
                decision: 'skip',
                summary: `not run: ${verdict.detail}`,
              }),
            }
          : await runStep(
              stepDeps,
              {
                job,
                token,
                step,
                ref: ref(step),
                verdict,
                docker,
                store,
                attempts,
                startedAt: stepStart,
                shutdown,
                dryRun,
              },
              acted(),
            );
      if ('finish' in ended) return finish(ended.finish.outcome, ended.finish.escalation, ended.finish.reason);
      const end = await endStep(step, ended.record);
      if (end) return end;
    }
    const end = endOfRunbook(steps, records);
    return end.go === 'end' ? finish(end.outcome, end.escalation, end.reason) : finish('skipped', undefined, undefined);
  }
}
