import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { episodeJobId, episodeOf } from '../alertmanager/episode.js';
import type { Alert, WebhookPayload } from '../alertmanager/schema.js';
import type { Catalog } from '../catalog/catalog.js';
import { toSpec, type Remediation } from '../catalog/remediation.js';
import { EnqueueUnavailableError, UnknownHostError, coerceError } from '../errors.js';
import { jobResult } from '../engine/record.js';
import { replicated, type RedisClient } from '../redis.js';
import type { RemediationEvents } from '../lifecycle/events.js';
import type { Metrics } from '../observability/metrics.js';
import { renderHost } from '../engine/render.js';
import { DEFAULT_HOST, hostKeys } from '../keys.js';
import { createAddBatcher, type AddBatcher } from './add-batcher.js';
import { INFRA_RETRY, type RemediationJobData } from './contract.js';
import { withTimeout } from '../time.js';

export interface IngestedJob {
  jobId: string;
  remediation: string;
  fingerprint: string;
  /** `refused`: the alert names a host the hosts file does not list (recorded, never queued). */
  status: 'enqueued' | 'duplicate' | 'cancelled' | 'refused';
  /** Why it was refused. */
  reason?: string;
}

/** The hosts jobs may be routed to (the hosts file, or `local` alone). */
export interface RoutableHosts {
  readonly names: readonly string[];
  /** Where a remediation that names no host acts; undefined: it must name one. */
  readonly defaultHost: string | undefined;
}

export interface IngestResult {
  alerts: number;
  unmatched: number;
  jobs: IngestedJob[];
}

export interface ProducerDeps {
  /** The remediation queue of a Docker host. */
  queueFor(host: string): Queue<RemediationJobData>;
  redis: RedisClient;
  catalog: () => Catalog;
  metrics: Metrics;
  events: RemediationEvents;
  log: Logger;
  prefix: string;
  episodeTtlSeconds: number;
  /** Give up on Redis after this long so the webhook answers 503 instead of hanging. */
  timeoutMs?: number;
  /** Refuse jobs for hosts not listed here; undefined: every host is routed (one Redis, tests). */
  hosts?: RoutableHosts | undefined;
}

const COMPLETED_RETENTION = { age: 7 * 24 * 3600, count: 10_000 };
const FAILED_RETENTION = { age: 30 * 24 * 3600, count: 10_000 };
/** How long an episode claim waits for its job to be added before another delivery may retry it. */
const CLAIM_MS = 30_000;

/** Where a job goes: its host's queue, or refused (unsafe host label, host not in the hosts file). */
export type Route = { host: string; refused?: string | undefined };

export function routeOf(r: Remediation, alert: Alert, hosts: RoutableHosts | undefined): Route {
  // Keys need a valid host name even for a refusal: the default host's (or `local`).
  const fallback = hosts?.defaultHost ?? hosts?.names[0] ?? DEFAULT_HOST;
  let host: string;
  try {
    if (r.target?.host === undefined && hosts && hosts.defaultHost === undefined) {
      return { host: fallback, refused: `${r.id} names no target.host and the hosts file has no default host` };
    }
    host = renderHost(r.target, alert, hosts?.defaultHost ?? DEFAULT_HOST);
  } catch (err) {
    return { host: fallback, refused: coerceError(err).message };
  }
  if (hosts && !hosts.names.includes(host)) return { host, refused: new UnknownHostError(host, hosts.names).message };
  return { host };
}

/** The payload of one job, as the webhook enqueues it (also what `simulate --notify` previews). */
export function jobDataOf(
  phase: 'fire' | 'resolve',
  r: Remediation,
  alert: Alert,
  payload: WebhookPayload,
  route: Route,
): RemediationJobData {
  return {
    phase,
    host: route.host,
    remediation: toSpec(r),
    alert: {
      status: alert.status,
      labels: alert.labels,
      annotations: alert.annotations ?? {},
      startsAt: alert.startsAt,
      endsAt: alert.endsAt,
      generatorURL: alert.generatorURL,
      fingerprint: alert.fingerprint,
    },
    episode: episodeOf(alert),
    group: { receiver: payload.receiver, externalURL: payload.externalURL, groupKey: payload.groupKey },
    receivedAt: Date.now(),
  };
}

/**
 * Turns a webhook delivery into durable jobs: one per (remediation, alert episode). An episode
 * already recorded (re-send, duplicate POST, the other Alertmanager of an HA pair) adds nothing;
 * the record outlives BullMQ's job retention. Resolves only after Redis has the jobs.
 */
export function createProducer(deps: ProducerDeps) {
  // Redis down fails at once (no offline queue); this bounds a Redis that hangs.
  const timeoutMs = deps.timeoutMs ?? 5_000;
  const hk = (data: RemediationJobData) => hostKeys(deps.prefix, data.host);
  const ttl = String(deps.episodeTtlSeconds);

  /**
   * Each command on its own, in order: the producer connection pipelines what is issued in
   * the same tick (auto-pipelining: one write for the commands of many deliveries at once, not
   * one per delivery), and a Cluster routes each command by its key. Replies in the commands'
   * order; the first error is thrown.
   */
  function send(cmds: { host: string; cmd: string[] }[]): Promise<unknown[]> {
    return Promise.all(cmds.map(({ cmd }) => deps.redis.call(cmd[0]!, ...cmd.slice(1))));
  }

  // One group commit of job adds per host queue (add-batcher.ts).
  const batchers = new Map<string, AddBatcher>();
  const batcherFor = (host: string): AddBatcher => {
    let b = batchers.get(host);
    if (!b) batchers.set(host, (b = createAddBatcher(deps.queueFor(host))));
    return b;
  };

  /** Record refused jobs (history, metrics, notifications), then the episode: a re-send is a duplicate. */
  async function refuse(
    list: { id: string; r: Remediation; data: RemediationJobData; refused?: string | undefined }[],
  ) {
    try {
      for (const c of list) {
        const reason = c.refused!;
        deps.log.warn(
          { jobId: c.id, remediation: c.r.id, fingerprint: c.data.alert.fingerprint, host: c.data.host, reason },
          'job refused: no such host',
        );
        const result = jobResult({
          spec: c.data.remediation,
          phase: c.data.phase,
          outcome: 'refused',
          records: [],
          startedAt: Date.now(),
          dryRun: false,
          escalation: undefined,
          reason,
        });
        await deps.events.commit('job.finished', {
          jobId: c.id,
          data: c.data,
          outcome: 'refused',
          result,
          reason,
          escalation: undefined,
          attempts: 0,
        });
      }
      await send(
        list.map((c) => ({ host: c.data.host, cmd: ['set', hk(c.data).episode(c.id), 'refused', 'EX', ttl] })),
      );
    } catch (err) {
      await send(list.map((c) => ({ host: c.data.host, cmd: ['del', hk(c.data).episode(c.id)] }))).catch(
        () => undefined,
      );
      throw err;
    }
  }

  async function ingestUnsafe(payload: WebhookPayload): Promise<IngestResult> {
    const catalog = deps.catalog();
    const candidates: { id: string; r: Remediation; data: RemediationJobData; refused?: string | undefined }[] = [];
    const cancels: { id: string; r: Remediation; fingerprint: string; data: RemediationJobData }[] = [];
    let unmatched = 0;
    for (const alert of payload.alerts) {
      deps.metrics.alertsReceived.inc({ status: alert.status });
      const matched = catalog.match(alert);
      if (matched.length === 0) unmatched++;
      for (const r of matched) {
        const episode = episodeOf(alert);
        const fireId = episodeJobId(r.id, episode, 'fire');
        const route = routeOf(r, alert, deps.hosts);
        if (alert.status === 'firing') {
          candidates.push({ id: fireId, r, data: jobDataOf('fire', r, alert, payload, route), refused: route.refused });
        } else {
          // A host nothing was routed to has no job to cancel.
          if (!route.refused) {
            cancels.push({
              id: fireId,
              r,
              fingerprint: alert.fingerprint,
              data: jobDataOf('fire', r, alert, payload, route),
            });
          }
          if (r.onResolved)
            candidates.push({
              id: episodeJobId(r.id, episode, 'resolve'),
              r,
              data: jobDataOf('resolve', r, alert, payload, route),
              refused: route.refused,
            });
        }
      }
    }
    if (unmatched > 0) deps.metrics.alertsUnmatched.inc(unmatched);

    const jobs: IngestedJob[] = [];
    // A resolved alert cancels its episode's job while it still waits (delay or queue).
    // A fire job that starts after this (delay, backlog, race with this request) will not act.
    // In the same round trip, each episode's record: usually the job is long done (the record
    // says how it ended) or trimmed by retention, and then nothing is asked of the queue, whose
    // state lookup walks the wait list (O(backlog)) when the job is not there.
    const records = await send(
      cancels.flatMap((c) => [
        { host: c.data.host, cmd: ['set', hk(c.data).resolved(c.id), '1', 'EX', ttl] },
        { host: c.data.host, cmd: ['get', hk(c.data).episode(c.id)] },
      ]),
    );
    // Durable: when each episode resolved is written before the 202 (else 503, and Alertmanager
    // sends the notification again); it is the one record of when the episode ended. The
    // episodes are independent: their writes go together (one round trip), not one by one.
    await Promise.all(cancels.map((c) => deps.events.commit('alert.resolved', { jobId: c.id, data: c.data })));
    for (const [i, c] of cancels.entries()) {
      // 'queued' until the job ends (waiting, delayed or running), a claim while it is being
      // added; anything else (an outcome, or no record) has no job left to cancel.
      const record = records[2 * i + 1];
      if (typeof record !== 'string' || (record !== 'queued' && !record.startsWith('claiming:'))) continue;
      const queue = deps.queueFor(c.data.host);
      const state = await queue.getJobState(c.id);
      const job =
        state === 'waiting' || state === 'delayed' || state === 'prioritized' ? await queue.getJob(c.id) : undefined;
      if (job && (await keepsStory(c.data, c.id))) {
        // A step of it already ended or failed an attempt (then it waits: a cooldown, a lock, a
        // retry's backoff), or a pause held it: removing it would lose what it did or who held
        // it. Woken now instead, it reads the resolved marker and ends as the engine decides
        // (`resolved`, or `cancelled` if it never acted), its steps and pauses recorded.
        if (state === 'delayed') await job.promote().catch(() => undefined);
        deps.log.info({ jobId: c.id, remediation: c.r.id, fingerprint: c.fingerprint }, 'job woken: alert resolved');
      } else if (job) {
        await job.remove();
        await deps.redis.set(hk(c.data).episode(c.id), 'cancelled', 'KEEPTTL');
        deps.log.info(
          { jobId: c.id, remediation: c.r.id, fingerprint: c.fingerprint },
          'job cancelled: alert resolved',
        );
        jobs.push({ jobId: c.id, remediation: c.r.id, fingerprint: c.fingerprint, status: 'cancelled' });
        deps.events.emit('job.cancelled', {
          jobId: c.id,
          data: job.data,
          reason: `alert resolved while the job was ${state}`,
        });
      }
    }
    if (candidates.length === 0) return { alerts: payload.alerts.length, unmatched, jobs };

    // Duplicates within this one body collapse first, then against Redis' episode records.
    // The record is claimed atomically (SET NX), so two deliveries racing (an HA pair) cannot
    // both enqueue. A claim lives CLAIM_MS until the job is durably added; a delivery that meets
    // a claim whose job does not exist yet gets 503 and comes again: never lost, never doubled.
    const unique = [...new Map(candidates.map((c) => [c.id, c])).values()];
    const claim = `claiming:${process.pid}:${Date.now()}:${Math.random().toString(36).slice(2)}`;
    const claims = await send(
      unique.map((c) => ({
        host: c.data.host,
        cmd: ['set', hk(c.data).episode(c.id), claim, 'PX', String(CLAIM_MS), 'NX', 'GET'],
      })),
    );
    const claimed: typeof unique = [];
    for (const [i, c] of unique.entries()) {
      const previous = claims[i];
      if (previous === null) claimed.push(c);
      else if (
        String(previous).startsWith('claiming:') &&
        (c.refused !== undefined || !(await deps.queueFor(c.data.host).getJob(c.id)))
      ) {
        throw new Error(`episode ${c.id} is being enqueued by another delivery; retry`);
      }
    }
    // Refused before any queue (a host not in the hosts file): recorded like an outcome.
    const refusals = claimed.filter((c) => c.refused !== undefined);
    if (refusals.length > 0) await refuse(refusals);
    const fresh = claimed.filter((c) => c.refused === undefined);
    let committed: Promise<unknown> = Promise.resolve();
    if (fresh.length > 0) {
      try {
        // One addBulk per host queue (usually one), shared with deliveries arriving meanwhile.
        const byHost = new Map<string, typeof fresh>();
        for (const c of fresh) byHost.set(c.data.host, [...(byHost.get(c.data.host) ?? []), c]);
        for (const [host, group] of byHost) {
          await batcherFor(host).add(
            group.map((c) => ({
              name: c.r.id,
              data: c.data,
              opts: {
                jobId: c.id,
                // The engine retries steps itself; these cover errors outside a step (Docker, Redis unreachable).
                attempts: INFRA_RETRY.attempts,
                backoff: { type: 'remediator' },
                // onResolved's `after:` is the time the episode must stay resolved before undoing.
                delay: c.data.phase === 'fire' ? c.r.delayMs : (c.r.onResolvedAfterMs ?? 0),
                removeOnComplete: COMPLETED_RETENTION,
                removeOnFail: FAILED_RETENTION,
              },
            })),
          );
        }
      } catch (err) {
        // Give the claims back so Alertmanager's retry (after our 503) can enqueue them.
        await send(fresh.map((c) => ({ host: c.data.host, cmd: ['del', hk(c.data).episode(c.id)] }))).catch(
          () => undefined,
        );
        throw err;
      }
      // The jobs are in Redis: the claims become records. Sent now, awaited below, after the
      // events, so the history rows the events write go out in the same write as these.
      // On a Sentinel set, 202 only once a replica has the jobs too: a failover right after
      // the answer must not lose what it promised (a no-op on one Redis or a Cluster).
      committed = send(
        fresh.map((c) => ({ host: c.data.host, cmd: ['set', hk(c.data).episode(c.id), 'queued', 'EX', ttl] })),
      ).then(() => replicated(deps.redis));
      committed.catch(() => undefined); // awaited below; this only keeps it from being unhandled meanwhile
      for (const c of fresh) if ((c.r.onResolvedAfterMs ?? 0) > 0) await undoOnHold(c, jobs);
    }
    const freshIds = new Set(fresh.map((c) => c.id));
    const refusedIds = new Set(refusals.map((c) => c.id));
    for (const c of unique) {
      if (refusedIds.has(c.id)) {
        jobs.push({
          jobId: c.id,
          remediation: c.r.id,
          fingerprint: c.data.alert.fingerprint,
          status: 'refused',
          reason: c.refused,
        });
        continue;
      }
      const status = freshIds.has(c.id) ? 'enqueued' : 'duplicate';
      (status === 'enqueued' ? deps.metrics.jobsEnqueued : deps.metrics.jobsDeduplicated).inc({ remediation: c.r.id });
      // Re-sends are the common case in a storm: one line per new job at info, duplicates at debug.
      deps.log[status === 'enqueued' ? 'info' : 'debug'](
        {
          jobId: c.id,
          remediation: c.r.id,
          alertname: c.data.alert.labels.alertname,
          fingerprint: c.data.alert.fingerprint,
          phase: c.data.phase,
        },
        status === 'enqueued' ? 'job queued' : 'job deduplicated: episode already handled',
      );
      jobs.push({ jobId: c.id, remediation: c.r.id, fingerprint: c.data.alert.fingerprint, status });
      deps.events.emit(status === 'enqueued' ? 'job.queued' : 'job.duplicate', { jobId: c.id, data: c.data });
    }
    await committed;
    return { alerts: payload.alerts.length, unmatched, jobs };
  }

  /**
   * onResolved with `after:`. A resolve job just queued is the pending undo of its (remediation,
   * fingerprint); a new firing episode of the same alert (a re-fire) cancels the one pending,
   * so a scale-back never runs while the surge is back. The engine checks the pointer again
   * when the undo starts (a re-fire racing with it).
   */
  async function undoOnHold(c: { id: string; r: Remediation; data: RemediationJobData }, jobs: IngestedJob[]) {
    const pointer = hk(c.data).pendingUndo(c.r.id, c.data.alert.fingerprint);
    if (c.data.phase === 'resolve') {
      const ttl = Math.ceil((c.r.onResolvedAfterMs ?? 0) / 1000) + 86_400;
      await deps.redis.set(pointer, c.id, 'EX', ttl);
      return;
    }
    const pending = await deps.redis.get(pointer);
    if (!pending) return;
    await deps.redis.del(pointer);
    const queue = deps.queueFor(c.data.host);
    const state = await queue.getJobState(pending);
    const job =
      state === 'waiting' || state === 'delayed' || state === 'prioritized' ? await queue.getJob(pending) : undefined;
    if (!job) return;
    await job.remove();
    await deps.redis.set(hk(c.data).episode(pending), 'cancelled', 'KEEPTTL');
    const reason = `the alert fired again (episode ${c.data.alert.startsAt}) before onResolved's after: passed; not undoing`;
    deps.log.info(
      { jobId: pending, remediation: c.r.id, fingerprint: c.data.alert.fingerprint },
      'undo cancelled: re-fire',
    );
    jobs.push({ jobId: pending, remediation: c.r.id, fingerprint: c.data.alert.fingerprint, status: 'cancelled' });
    deps.events.emit('job.cancelled', { jobId: pending, data: job.data, reason });
  }

  /**
   * True once a step of the job ended or failed an attempt, or a pause held it (its state in
   * the job's memo hash): the worker, not a removal, must end such a job.
   */
  async function keepsStory(data: RemediationJobData, jobId: string): Promise<boolean> {
    const fields = await deps.redis.hkeys(hk(data).memo(jobId));
    return fields.some((f) => f === 'cursor' || f.startsWith('rec:') || f.startsWith('att:') || f.startsWith('pz:'));
  }

  return {
    /** Throws {@link EnqueueUnavailableError} when Redis cannot take the jobs now. */
    async ingest(payload: WebhookPayload): Promise<IngestResult> {
      try {
        return await withTimeout(ingestUnsafe(payload), timeoutMs, `Redis did not answer within ${timeoutMs} ms`);
      } catch (err) {
        throw new EnqueueUnavailableError(`cannot enqueue: ${coerceError(err).message}`, { cause: err });
      }
    },
  };
}

export type Producer = ReturnType<typeof createProducer>;
