import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { actions } from '../actions/index.js';
import type { ActionContext, JobMemo } from '../actions/types.js';
import type { DockerPort } from '../docker/port.js';
import type { RemediationEvents } from '../events.js';
import { keys, type RemediationJobData, type RemediationJobResult } from './contract.js';
import { renderTarget, resolveTargets } from './targets.js';
import { verifyContainers } from './verify.js';

export interface ProcessorDeps {
  docker: DockerPort;
  redis: Redis;
  log: Logger;
  events: RemediationEvents;
  prefix: string;
  optInLabel: string;
  dryRun: boolean;
}

const MEMO_TTL_SECONDS = 7 * 24 * 3600;

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
 * Docker call), find it and check the opt-in label, act (or say what it would do in dry-run),
 * then verify. Permanent errors are thrown as such; anything else is retried with backoff.
 */
export function createProcessor(deps: ProcessorDeps) {
  return async function process(job: Job<RemediationJobData>, _token?: string, signal?: AbortSignal): Promise<RemediationJobResult> {
    const started = Date.now();
    const { remediation, phase } = job.data;
    const action = phase === 'fire' ? remediation.action : remediation.onResolved!;
    const handler = actions[action.type];
    const log = jobLogger(deps.log, job).child({ attempt: job.attemptsMade + 1, action: action.type });
    log.info({ waitedMs: started - job.data.receivedAt }, 'job running');
    deps.events.emit('job.running', { jobId: job.id!, data: job.data, attempt: job.attemptsMade + 1, attempts: job.opts.attempts ?? 1 });

    const rendered = renderTarget(remediation.target, handler.scope, { labels: job.data.alert.labels, annotations: job.data.alert.annotations });
    const resolved = await resolveTargets(rendered, handler.scope, deps.docker, deps.optInLabel, remediation.target?.maxContainers);
    if (resolved.notOptedIn.length > 0) log.warn({ notOptedIn: resolved.notOptedIn }, 'matched containers without the opt-in label left alone');

    const dryRun = deps.dryRun || remediation.dryRun;
    const ctx: ActionContext = {
      docker: deps.docker,
      log,
      signal: signal ?? new AbortController().signal,
      dryRun,
      memo: memoFor(deps.redis, keys.memo(deps.prefix, job.id!)),
      jobId: job.id!,
      targets: resolved.targets,
      service: resolved.service,
      optInLabel: deps.optInLabel,
    };
    if (!dryRun) deps.events.emit('job.acting', { jobId: job.id!, data: job.data, targets: resolved.targets.map((c) => c.name), action: action.type });
    const result = await handler.run(action, ctx);

    let verification: RemediationJobResult['verification'];
    if (!dryRun && result.changed && remediation.verify && handler.scope !== 'host') {
      const ids =
        handler.scope === 'service'
          ? (await deps.docker.findContainers({ labels: resolved.service!.selector })).filter((c) => c.labels[deps.optInLabel] === 'true' && c.running).map((c) => c.id)
          : resolved.targets.map((c) => c.id);
      verification = await verifyContainers(deps.docker, ids, remediation.verify, ctx.signal);
      log.info({ verification: verification.detail, verifyMs: verification.durationMs }, 'verified');
    }
    return {
      outcome: dryRun ? 'dry_run' : result.changed ? 'succeeded' : 'skipped',
      summary: dryRun ? `dry run: ${result.summary}` : result.summary,
      action: action.type,
      targets: handler.scope === 'host' ? [] : resolved.targets.map((c) => c.name),
      dryRun,
      durationMs: Date.now() - started,
      details: result.details,
      verification,
    };
  };
}
