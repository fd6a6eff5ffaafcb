import { DelayedError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { actions, runAction } from '../actions/index.js';
import type { ActionContext, JobMemo } from '../actions/types.js';
import type { ContainerInfo, DockerPort } from '../docker/port.js';
import { BadParamsError, CircuitOpenError } from '../errors.js';
import type { RemediationEvents } from '../events.js';
import type { Admission, Guards } from '../guards/index.js';
import { keys, type RemediationJobData, type RemediationJobResult } from './contract.js';
import { COMPOSE_PROJECT, COMPOSE_SERVICE, renderTarget, resolveTargets, targetKey } from './targets.js';
import { verifyContainers, verifyQuery } from './verify.js';

export interface ProcessorDeps {
  docker: DockerPort;
  redis: Redis;
  log: Logger;
  events: RemediationEvents;
  guards: Guards;
  prefix: string;
  optInLabel: string;
  dryRun: boolean;
  /** Actions in flight at once across all workers. */
  maxInFlight: number;
  /** Share of a Compose service's replicas that restart/stop/kill may act on at once. */
  serviceShare?: number;
  /** How long a job waits before trying a busy guard again. */
  waitMs?: number;
  /** For verify.query. */
  prometheusUrl?: string | undefined;
}

const MEMO_TTL_SECONDS = 7 * 24 * 3600;
const DISRUPTIVE = new Set(['restart', 'stop', 'kill']);

function memoFor(redis: Redis, key: string): JobMemo {
  return {
    get: async (field) => (await redis.hget(key, field)) ?? undefined,
    set: async (field, value) => {
      await redis.multi().hset(key, field, value).expire(key, MEMO_TTL_SECONDS).exec();
    },
  };
}

/** A job-scoped logger carrying what every line about a job needs. */
export function jobLogger(log: Logger, job: Job<RemediationJobData>): Logger {
  return log.child({
    jobId: job.id,
    remediation: job.data.remediation.id,
    alertname: job.data.alert.labels.alertname,
    fingerprint: job.data.alert.fingerprint,
    phase: job.data.phase,
  });
}

/**
 * One remediation job: render the target from the alert (refusing unsafe values before any
 * Docker call), find it and check the opt-in label, pass the guards (target lock, cooldown,
 * budget, in-flight caps), act (or say what it would do in dry-run), then verify. Permanent
 * errors are thrown as such; anything else is retried with backoff.
 */
export function createProcessor(deps: ProcessorDeps) {
  const waitMs = deps.waitMs ?? 1_000;

  /** Hand the job back to wait for a busy guard, without spending an attempt. */
  async function waitFor(job: Job, token: string | undefined, log: Logger, why: string): Promise<never> {
    const delay = Math.round(waitMs * (0.5 + Math.random()));
    log.info({ waitMs: delay, why }, 'job waiting');
    await job.moveToDelayed(Date.now() + delay, token);
    throw new DelayedError();
  }

  /** Restart/stop/kill on a Compose service's replica: the semaphore and its limit. */
  async function shareSlot(targets: ContainerInfo[]): Promise<{ key: string; limit: number } | undefined> {
    const first = targets[0];
    const service = first?.labels[COMPOSE_SERVICE];
    if (!first || !service) return undefined;
    const project = first.labels[COMPOSE_PROJECT];
    const labels: Record<string, string> = {
      [COMPOSE_SERVICE]: service,
      ...(project ? { [COMPOSE_PROJECT]: project } : {}),
    };
    const replicas = (await deps.docker.findContainers({ labels, all: false })).length;
    const limit = Math.max(1, Math.floor(replicas * (deps.serviceShare ?? 0.5)));
    return { key: deps.guards.keys.share(`${project ?? ''}/${service}`), limit };
  }

  /**
   * The worker is stopping and the deadline passed: hand the job back to the queue at once
   * (no attempt spent) so another worker runs it; the action checks the target's state first.
   */
  async function run(
    job: Job<RemediationJobData>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<RemediationJobResult> {
    try {
      return await processJob(job, token, signal);
    } catch (err) {
      if (signal?.aborted && !(err instanceof DelayedError)) {
        jobLogger(deps.log, job).warn(
          { reason: String(signal.reason), err: (err as Error).message },
          'job handed back to the queue',
        );
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      throw err;
    }
  }

  // Three parameters: BullMQ passes an AbortSignal only to processors that take one.
  return (job: Job<RemediationJobData>, token?: string, signal?: AbortSignal) => run(job, token, signal);

  async function processJob(
    job: Job<RemediationJobData>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<RemediationJobResult> {
    const started = Date.now();
    const { remediation, phase } = job.data;
    const jobId = job.id!;
    const action = phase === 'fire' ? remediation.action : remediation.onResolved!;
    const handler = actions[action.type];
    const log = jobLogger(deps.log, job).child({ attempt: job.attemptsMade + 1, action: action.type });
    const base = {
      action: action.type,
      dryRun: false,
      targets: [] as string[],
      details: {} as Record<string, unknown>,
    };

    if (phase === 'fire' && (await deps.redis.exists(keys.resolved(deps.prefix, jobId))) === 1) {
      log.info('alert resolved before the job ran: nothing to do');
      return {
        ...base,
        outcome: 'cancelled',
        summary: 'alert resolved before remediator acted',
        durationMs: Date.now() - started,
      };
    }

    const rendered = renderTarget(remediation.target, handler.scope, {
      labels: job.data.alert.labels,
      annotations: job.data.alert.annotations,
    });
    const resolved = await resolveTargets(
      rendered,
      handler.scope,
      deps.docker,
      deps.optInLabel,
      remediation.target?.maxContainers,
    );
    if (resolved.notOptedIn.length > 0)
      log.warn({ notOptedIn: resolved.notOptedIn }, 'matched containers without the opt-in label left alone');
    const target = targetKey(rendered);
    const names = handler.scope === 'host' ? [] : resolved.targets.map((c) => c.name);
    const dryRun = deps.dryRun || remediation.dryRun;
    const ctx: ActionContext = {
      docker: deps.docker,
      log,
      signal: signal ?? new AbortController().signal,
      dryRun,
      memo: memoFor(deps.redis, keys.memo(deps.prefix, jobId)),
      jobId,
      attempt: job.attemptsMade,
      targets: resolved.targets,
      service: resolved.service,
      optInLabel: deps.optInLabel,
      episode: memoFor(deps.redis, keys.memo(deps.prefix, `${jobId}.episode`)),
      hostState: memoFor(deps.redis, `${deps.prefix}:hoststate`),
      host: 'local',
      swarm: undefined,
      verify: remediation.verify,
    };

    if (dryRun) {
      // Everything but the Docker call: the guards are asked, nothing is recorded.
      const admission = await deps.guards.admit(remediation, target, jobId, false);
      const result = await runAction(action.type, action, ctx);
      const guard = admission.decision === 'ok' ? 'guards would pass' : `guards would stop it: ${admission.decision}`;
      log.info({ summary: result.summary, guard }, 'dry run');
      return {
        ...base,
        outcome: 'dry_run',
        dryRun: true,
        targets: names,
        summary: `dry run: ${result.summary} (${guard})`,
        durationMs: Date.now() - started,
        details: { ...result.details, guards: admission },
      };
    }

    if (!(await deps.guards.acquireLock(target, jobId))) return waitFor(job, token, log, `another job holds ${target}`);
    const slots: string[] = [];
    let acted = false;
    try {
      // onResolved undoes or tidies up (scale back): cooldown and budget limit the fix, not that.
      const admission: Admission =
        phase === 'resolve'
          ? { decision: 'ok', runsInWindow: 0 }
          : await deps.guards.admit(remediation, target, jobId, true);
      if (admission.decision === 'cooldown') {
        const s = Math.ceil(admission.remainingMs / 1000);
        log.info({ remainingMs: admission.remainingMs }, 'in cooldown: not acting');
        return {
          ...base,
          outcome: 'cooldown',
          targets: names,
          summary: `not acting: ${remediation.id} ran on ${rendered.description} recently (cooldown, ${s}s left)`,
          durationMs: Date.now() - started,
          details: { remainingMs: admission.remainingMs },
        };
      }
      if (admission.decision === 'circuit_open') {
        const b = remediation.guards.budget!;
        throw new CircuitOpenError(
          `circuit open: ${remediation.id} already ran ${admission.runsInWindow} times on ${rendered.description} in the last ${Math.round(b.windowMs / 60_000)} min (budget ${b.runs}); not acting again for ${Math.ceil(admission.reopensInMs / 60_000)} min. A human should look at why the fix does not hold.`,
        );
      }
      if (!(await deps.guards.acquireSlot(deps.guards.keys.inFlight(), jobId, deps.maxInFlight))) {
        return await waitFor(job, token, log, `${deps.maxInFlight} actions already in flight`);
      }
      slots.push(deps.guards.keys.inFlight());
      if (DISRUPTIVE.has(action.type) && handler.scope === 'container') {
        const share = await shareSlot(resolved.targets);
        if (share) {
          if (!(await deps.guards.acquireSlot(share.key, jobId, share.limit))) {
            return await waitFor(job, token, log, `already acting on ${share.limit} replica(s) of this service`);
          }
          slots.push(share.key);
        }
      }

      log.info({ waitedMs: Date.now() - job.data.receivedAt, target }, 'job running');
      deps.events.emit('job.running', {
        jobId,
        data: job.data,
        attempt: job.attemptsMade + 1,
        attempts: job.opts.attempts ?? 1,
      });
      deps.events.emit('job.acting', { jobId, data: job.data, targets: names, action: action.type });
      acted = true;
      const result = await runAction(action.type, action, ctx);

      let verification: RemediationJobResult['verification'];
      if (result.changed && remediation.verify && handler.scope !== 'host') {
        const ids =
          handler.scope === 'service'
            ? (await deps.docker.findContainers({ labels: resolved.service!.selector }))
                .filter((c) => c.labels[deps.optInLabel] === 'true' && c.running)
                .map((c) => c.id)
            : resolved.targets.map((c) => c.id);
        verification = await verifyContainers(deps.docker, ids, remediation.verify, ctx.signal);
        log.info({ verification: verification.detail, verifyMs: verification.durationMs }, 'verified');
      }
      if (result.changed && remediation.verify?.query !== undefined) {
        if (!deps.prometheusUrl)
          throw new BadParamsError(`${remediation.id} has verify.query but PROMETHEUS_URL is not set`);
        const q = await verifyQuery(
          deps.prometheusUrl,
          remediation.verify.query,
          remediation.verify.queryWithinMs,
          ctx.signal,
        );
        verification = {
          ok: true,
          detail: [verification?.detail, q.detail].filter(Boolean).join('; '),
          durationMs: (verification?.durationMs ?? 0) + q.durationMs,
        };
        log.info({ verification: q.detail, verifyMs: q.durationMs }, 'query verified');
      }
      return {
        ...base,
        outcome: result.changed ? 'succeeded' : 'skipped',
        summary: result.summary,
        targets: names,
        durationMs: Date.now() - started,
        details: { ...result.details, runsInWindow: admission.runsInWindow },
        verification,
      };
    } finally {
      if (acted && phase === 'fire') await deps.guards.startCooldown(remediation, target, jobId).catch(() => undefined);
      for (const slot of slots) await deps.guards.releaseSlot(slot, jobId).catch(() => undefined);
      await deps.guards.releaseLock(target, jobId).catch(() => undefined);
    }
  }
}
