import type { RedisClient } from '../redis.js';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { actionIsDisruptive, describeAction, handlerOf } from '../actions/index.js';
import { recordSeen } from '../actions/record-seen.js';
import { namesOf } from '../actions/types.js';
import { episodeJobId } from '../alertmanager/episode.js';
import type { StepSpec } from '../catalog/remediation.js';
import type { DockerPort } from '../docker/port.js';
import {
  BlastRadiusError,
  ExecStillRunningError,
  PermanentError,
  RefusedError,
  VerificationError,
  coerceError,
  isPermanent,
} from '../errors.js';
import type { GlobalCap } from '../guards/global-cap.js';
import type { Guards, Lease } from '../guards/index.js';
import { hostKeys } from '../keys.js';
import type { RemediationEvents, StepRef } from '../lifecycle/events.js';
import type { Outcome, RemediationJobData } from '../queue/contract.js';
import { HandedBackError, act, verifyStep } from './act.js';
import { backoffDelay } from './backoff.js';
import type { WhenVerdict } from './decide.js';
import { APPROVAL_ASKED, announceAnswer, askApproval } from './approval.js';
import { pauseNames, rateMember, stepApproval, type EngineControl } from './control.js';
import { decideStep } from './stages.js';
import { HELD, holdStep, isHold } from './hold.js';
import { stepRecord } from './record.js';
import { renderTarget, targetName } from './render.js';
import { guardRequest, inspectTargets, resolveTargets, type ResolvedTargets } from './resolve.js';
import { hashMemo, keyMemo, MEMO_TTL_SECONDS, type JobStateStore } from './state.js';
import type { StepApproval, StepRecord } from './types.js';

/**
 * One step of a runbook, through its stages: render and resolve its target, decide (taking
 * every guard at once), act, verify, record. The guards are one scoped resource, given back in
 * one `finally` whatever path leaves the step. A failure that may pass (Docker unreachable, a
 * failed verification, a non-zero exit) is retried with the step's own policy: the job goes
 * back to the queue as delayed, no worker slot held, and resumes here.
 */

export interface StepDeps {
  redis: RedisClient;
  log: Logger;
  events: RemediationEvents;
  guards: Guards;
  prefix: string;
  optInLabel: string;
  maxInFlight: number;
  serviceShare?: number | undefined;
  waitMs: number;
  prometheusUrl?: string | undefined;
  hostStateTtlSeconds?: number | undefined;
  wake(host: string, jobIds: string[]): Promise<void>;
  /** Hand the job back to wait (throws DelayedError); woken early for a lock by its releaser. */
  waitFor(delayMs: number, lockKey?: string): Promise<never>;
  /** MAX_IN_FLIGHT_GLOBAL: a slot across every host, taken after the host's guards. */
  globalCap?: GlobalCap | undefined;
  /** Pauses, approvals and the fleet's rate of disruptive actions. */
  control: EngineControl;
  /** Whether the episode's alert still fires (Alertmanager when configured, else the resolved marker). */
  firing(): Promise<{ firing: boolean; detail: string }>;
}

export interface StepRun {
  job: Job<RemediationJobData>;
  token: string | undefined;
  step: StepSpec;
  ref: StepRef;
  verdict: WhenVerdict;
  docker: DockerPort;
  store: JobStateStore;
  /** Failed attempts of this step so far. */
  attempts: number;
  startedAt: number;
  shutdown: AbortSignal;
  dryRun: { global: boolean; remediation: boolean };
}

/** How a step left: its record, or the end of the job (a guard said so). */
export type StepEnd =
  { record: StepRecord } | { finish: { outcome: Outcome; escalation: string | undefined; reason: string } };

function errorKind(err: Error): string {
  if (err instanceof PermanentError) return err.kind;
  if (err instanceof VerificationError) return 'verification';
  return 'transient';
}

const fireIdOf = (data: RemediationJobData) => episodeJobId(data.remediation.id, data.episode, 'fire');

export async function runStep(deps: StepDeps, s: StepRun, acted: boolean): Promise<StepEnd> {
  const { job, step, docker } = s;
  const data = job.data;
  const jobId = job.id!;
  const hk = hostKeys(deps.prefix, data.host);
  const handler = handlerOf(step.action.type);
  const isDry = s.dryRun.global || s.dryRun.remediation;
  const base = { startedAt: s.startedAt, attempts: s.attempts + 1 };
  const log = deps.log;
  const memo = s.store.memo(step.index);
  const disruptive = actionIsDisruptive(step.action.type, step.action);
  const member = rateMember(data.host, jobId, step.index);
  let resolved: ResolvedTargets | undefined;
  let lease: Lease | undefined;
  let rateTaken = false;
  let keepLocks = false;
  let didAct = false;
  let globalSlot = false;
  let approval: StepApproval | undefined;
  try {
    // A job that waited (a cooldown, a pause, an approval, a limit) acts only if its alert still fires.
    if (data.phase === 'fire' && (await memo.get(HELD))) {
      const f = await deps.firing();
      if (!f.firing) {
        const pending = await memo.get(APPROVAL_ASKED);
        if (pending) await deps.control.approvals.cancel(pending);
        const reason = `the alert stopped firing while the job waited (${await memo.get(HELD)}): ${f.detail}`;
        return { finish: { outcome: acted ? 'resolved' : 'cancelled', escalation: undefined, reason } };
      }
    }

    // render + resolve
    const rendered = renderTarget(step.target, handler.scope, data.alert, data.host);
    if (rendered.host !== data.host) {
      // The job's queue, guards and engine are its host's: a step may not reach another one.
      throw new RefusedError(`step ${step.name} names host ${rendered.host}, but the job acts on host ${data.host}`);
    }
    resolved = await resolveTargets(rendered, handler.scope, docker, {
      action: step.action.type,
      optInLabel: deps.optInLabel,
      maxContainers: step.target?.maxContainers,
      minContainers: step.target?.minContainers,
      minHealthy: step.target?.minHealthy,
      disruptive,
    });
    if (resolved.notOptedIn.length > 0) {
      log.warn({ notOptedIn: resolved.notOptedIn }, 'matched containers without the opt-in label left alone');
    }
    const on =
      resolved.scope === 'host' || resolved.swarm
        ? resolved.description
        : namesOf(resolved.containers) || resolved.description;
    const request = guardRequest({
      resolved,
      jobId,
      fireJobId: fireIdOf(data),
      remediation: data.remediation,
      phase: data.phase,
      maxInFlight: deps.maxInFlight,
      serviceShare: deps.serviceShare,
    });

    // decide, in stages: controls (pause, approval), then every guard at once, then the fleet's rate
    const describe = describeAction(step.action.type, step.action, on);
    const staged = await decideStep(deps, {
      s,
      resolved,
      request,
      describe,
      names: pauseNames(resolved, targetName(rendered)),
      disruptive,
      member,
      isDry,
    });
    const { decision, view, control } = staged;
    lease = staged.lease;
    rateTaken = staged.rateTaken;
    globalSlot = staged.globalSlot;
    approval = stepApproval(control.view.approval);
    if (isHold(decision)) {
      const prompt =
        decision.kind === 'awaiting_approval' ? await askApproval(deps, s, control.view.approval, describe) : undefined;
      return await holdStep(deps, s, decision, memo, view, prompt);
    }
    switch (decision.kind) {
      case 'resolved':
        return {
          finish: { outcome: acted ? 'resolved' : 'cancelled', escalation: undefined, reason: decision.detail },
        };
      case 'circuit_open':
        return { finish: { outcome: 'circuit_open', escalation: 'circuit_open', reason: decision.detail } };
      case 'denied':
      case 'approval_expired': {
        const a = control.view.approval;
        if (decision.kind === 'approval_expired' && a.required) {
          // Taken atomically: an answer that lands now, before the deadline passed in Redis, wins.
          const settled = await deps.control.approvals.expire(a.id);
          if (settled.result === 'early' || (settled.result === 'answered' && settled.approval?.state !== 'cancelled'))
            return await deps.waitFor(0);
          approval = { ...(stepApproval({ ...a, state: 'expired' }) as StepApproval) };
        }
        if (decision.kind === 'denied') await announceAnswer(deps, s, memo, control.view.approval);
        log.warn({ step: step.name, approval: approval?.id }, decision.detail);
        return {
          record: stepRecord(step, 'failed', {
            ...base,
            attempts: 0,
            decision: decision.kind,
            summary: decision.detail,
            error: decision.detail,
            errorKind: decision.kind === 'denied' ? 'refused' : 'approval_expired',
            targets: [],
            approval,
          }),
        };
      }
      case 'act':
      case 'dry_run':
        break;
      default:
        throw new Error(`unexpected decision ${decision.kind} after targets resolved`);
    }
    if (decision.kind === 'act') {
      await announceAnswer(deps, s, memo, control.view.approval);
      if (await memo.get(HELD)) await memo.set(HELD, '');
    }

    // act + verify
    const targets = await inspectTargets(resolved, docker);
    // What rollback (images) and network reconnect (networks) read later: recorded as seen.
    const hostState = keyMemo(deps.redis, hk.state, deps.hostStateTtlSeconds ?? 90 * 24 * 3600);
    if (!isDry) for (const c of targets) await recordSeen(hostState, c).catch(() => undefined);
    const names =
      resolved.scope === 'host'
        ? [resolved.description]
        : resolved.swarm
          ? [resolved.swarm.name]
          : targets.map((c) => c.name);
    const ctx = {
      docker,
      log: log.child({ step: step.name, action: step.action.type, attempt: s.attempts + 1 }),
      dryRun: isDry,
      memo: s.store.memo(step.index),
      episode: hashMemo(deps.redis, hk.episodeMemo(fireIdOf(data)), MEMO_TTL_SECONDS),
      hostState,
      jobId,
      host: data.host,
      attempt: s.attempts,
      targets,
      service: resolved.service,
      swarm: resolved.swarm,
      optInLabel: deps.optInLabel,
      verify: step.verify,
    };
    if (isDry) {
      const result = await act(step, ctx, s.shutdown);
      return {
        record: stepRecord(step, 'dry_run', {
          ...base,
          decision: 'dry_run',
          summary: `dry run: ${result.summary}`,
          details: { ...result.details, decision: decision.detail },
          targets: names,
        }),
      };
    }
    log.info({ step: step.name, targets: names, waitedMs: Date.now() - data.receivedAt }, 'job running');
    deps.events.emit('job.acting', { jobId, data, targets: names, action: step.action.type, step: s.ref });
    didAct = true;
    const result = await act(step, ctx, s.shutdown);
    const verification = await verifyStep({
      step,
      result,
      resolved,
      docker,
      optInLabel: deps.optInLabel,
      prometheusUrl: deps.prometheusUrl,
      source: data.alert,
      signal: s.shutdown,
    });
    return {
      record: stepRecord(step, result.changed || verification ? 'succeeded' : 'noop', {
        ...base,
        decision: 'act',
        summary: result.summary,
        details: result.details,
        before: result.before,
        after: result.after,
        verification,
        targets: names,
        approval,
      }),
    };
  } catch (raw) {
    const err = coerceError(raw);
    if (err.name === 'DelayedError') throw err;
    // A command that could not be stopped keeps its targets locked and escalates, even at
    // shutdown: a retry or a rerun (the same job: it passes its own lock) would run beside it.
    if (err instanceof ExecStillRunningError) keepLocks = true;
    else if (err instanceof HandedBackError || s.shutdown.aborted) {
      // Shutdown deadline: give the job back at once. An action that may still be running in
      // Docker keeps its targets locked for the rerun (the same job, so it takes them again).
      keepLocks = didAct && !handler.abortable;
      log.warn({ reason: String(s.shutdown.reason ?? err.message) }, 'job handed back to the queue');
      return await deps.waitFor(0);
    }
    if (!isPermanent(err) && s.attempts + 1 < step.retry.attempts) {
      await s.store.attemptFailed(step.index, s.attempts + 1);
      const delay = backoffDelay(s.attempts + 1, step.retry);
      log.warn(
        { step: step.name, err: err.message, attempt: s.attempts + 1, of: step.retry.attempts, retryInMs: delay },
        'job retrying',
      );
      deps.events.emit('job.retrying', {
        jobId,
        data,
        attempt: s.attempts + 1,
        attempts: step.retry.attempts,
        reason: err.message,
        step: s.ref,
      });
      return await deps.waitFor(delay);
    }
    const failure = (err as { result?: unknown }).result;
    return {
      record: stepRecord(step, 'failed', {
        ...base,
        decision: isPermanent(err) && !didAct ? errorKind(err) : 'act',
        summary: err.message,
        error: err.message,
        errorKind: errorKind(err),
        details: failure !== undefined ? { failure } : undefined,
        targets: resolved?.containers.map((c) => c.name) ?? [],
        approval,
        blastRadius: err instanceof BlastRadiusError ? err.reason : undefined,
      }),
    };
  } finally {
    if (globalSlot) await deps.globalCap!.give(jobId).catch(() => undefined);
    // A slot of the fleet's rate that no action used goes back.
    if (rateTaken && !didAct) await deps.control.fleetRate.giveBack(member).catch(() => undefined);
    if (lease) {
      const woken = await lease.release({ acted: didAct, keepLocks });
      if (woken.length > 0) await deps.wake(data.host, woken).catch(() => undefined);
    }
  }
}
