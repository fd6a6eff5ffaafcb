import os from 'node:os';
import type { Job, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { hostDownResult } from '../engine/engine.js';
import { createJobStateStore } from '../engine/state.js';
import { coerceError } from '../errors.js';
import { hostKeys } from '../keys.js';
import type { RemediationEvents } from '../lifecycle/events.js';
import { scriptWithKeys, type RedisClient } from '../redis.js';
import type { RemediationJobData } from './contract.js';
import { knownHosts, readHeartbeats, workerUp } from './host-status.js';

/**
 * The host-down watchdog: a host whose worker is down keeps its jobs (never lost), but not
 * forever. Once a job has waited HOST_DOWN_ESCALATE_SECONDS with no worker for its host, it is
 * escalated to a human (`job.finished`, outcome `escalated`, escalation `host_down`, through
 * the lifecycle: history, metrics and Slack get it) and removed from the queue. Every process
 * runs it (HTTP or worker); one script decides which one escalates a job, and that a worker
 * taking the job at the same moment wins or loses cleanly:
 * - the script marks the job only while no worker holds its BullMQ lock (same `{host}` slot);
 * - a worker that takes the job later sees the mark and ends it without acting (engine.ts).
 * A watchdog that dies between its mark and its record leaves the job in the queue; another
 * takes over once the mark is RECOVER_MS old, so the escalation is recorded at least once.
 */

/**
 * KEYS[1] the job's BullMQ lock, [2] the job's hash, [3] the host-down mark.
 * ARGV[1] owner, [2] now ms, [3] mark ttl s, [4] recover after ms.
 * Returns 1 when this caller escalates the job, 0 when a worker holds it, it finished or is
 * gone, or another watchdog is escalating it.
 */
const MARK = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
if redis.call('HEXISTS', KEYS[2], 'finishedOn') == 1 then return 0 end
local cur = redis.call('GET', KEYS[3])
if cur then
  local at = tonumber(string.match(cur, '|(%d+)$') or '0')
  if tonumber(ARGV[2]) - at < tonumber(ARGV[4]) then return 0 end
end
redis.call('SET', KEYS[3], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
return 1`;

/** How long another watchdog waits before redoing an escalation whose owner went quiet. */
export const RECOVER_MS = 60_000;
/** Jobs looked at per host per tick (the rest wait for the next tick). */
const SCAN_LIMIT = 200;
const WAITING_STATES = ['waiting', 'delayed', 'prioritized', 'paused', 'active'] as const;

/**
 * Whether a job of a host with no worker has waited long enough to escalate. It counts from
 * whichever is later: when the job could first run (added + delay) or when the host's worker
 * was last seen, so a host that just went down does not escalate jobs that waited on a lock
 * while it was up, and a job that arrived while it was down gets the whole time. Pure.
 */
export function dueForEscalation(input: {
  now: number;
  addedAt: number;
  delayMs: number;
  lastSeen: number | undefined;
  escalateAfterMs: number;
}): boolean {
  const since = Math.max(input.addedAt + input.delayMs, input.lastSeen ?? 0);
  return input.now - since >= input.escalateAfterMs;
}

export interface WatchdogDeps {
  /** A connection that waits out a Redis outage: what it records must not be dropped. */
  redis: RedisClient;
  prefix: string;
  /** The hosts this process knows (its hosts file, or `local`); hosts seen in heartbeats are added. */
  hosts: readonly string[];
  queueFor(host: string): Queue<RemediationJobData>;
  events: RemediationEvents;
  log: Logger;
  escalateAfterMs: number;
  heartbeatMs: number;
  now?: () => number;
}

export function createWatchdog(deps: WatchdogDeps) {
  const now = deps.now ?? Date.now;
  const owner = `${os.hostname()}:${process.pid}`;
  const mark = scriptWithKeys(deps.redis, 'remediatorHostDownMark', MARK);
  const markTtl = String(Math.ceil((deps.escalateAfterMs + 7 * 24 * 3600_000) / 1000));

  async function escalate(
    host: string,
    queue: Queue<RemediationJobData>,
    job: Job<RemediationJobData>,
    lastSeen?: number,
  ) {
    const jobId = job.id!;
    const hk = hostKeys(deps.prefix, host);
    const won = await mark(
      [`${queue.toKey(jobId)}:lock`, queue.toKey(jobId), hk.hostDown(jobId)],
      [owner, String(now()), markTtl, String(RECOVER_MS)],
    );
    if (Number(won) !== 1) return false;
    const data = job.data;
    const waitedS = Math.round((now() - Math.max(job.timestamp, lastSeen ?? 0)) / 1000);
    const seen = lastSeen === undefined ? 'never seen' : `last seen ${new Date(lastSeen).toISOString()}`;
    const reason =
      `no worker served host ${host} for ${waitedS} s (its worker ${seen}; HOST_DOWN_ESCALATE_SECONDS ` +
      `${Math.round(deps.escalateAfterMs / 1000)}): escalated without acting further, removed from its queue`;
    // What the job did before its host went down (a step that acted, then a retry that never came).
    const { records } = await createJobStateStore(deps.redis, hk.memo(jobId)).load();
    const result = { ...hostDownResult(data, reason), ...(records.length > 0 && { steps: records }) };
    // XX: the episode record keeps its TTL; none is made where there was none.
    await deps.redis.set(hk.episode(jobId), 'escalated', 'KEEPTTL', 'XX');
    await deps.events.commit('job.finished', {
      jobId,
      data,
      outcome: 'escalated',
      result,
      reason,
      escalation: 'host_down',
      attempts: records.reduce((n, r) => n + r.attempts, 0),
    });
    deps.log.error(
      { jobId, host, remediation: data.remediation.id, fingerprint: data.alert.fingerprint, escalation: 'host_down' },
      'job escalated: its host has no worker',
    );
    // A worker that came back and holds it now ends it without acting (it sees the mark).
    await job.remove().catch(() => undefined);
    return true;
  }

  /** One pass over every host with no worker; returns the ids it escalated. */
  async function tick(): Promise<string[]> {
    const beats = await readHeartbeats(deps.redis, deps.prefix);
    const escalated: string[] = [];
    const t = now();
    for (const host of knownHosts(deps.hosts, beats)) {
      const lastSeen = beats.get(host);
      if (workerUp(lastSeen, t, deps.heartbeatMs)) continue;
      const queue = deps.queueFor(host);
      const jobs = (await queue.getJobs([...WAITING_STATES], 0, SCAN_LIMIT - 1, true)).filter(
        (j): j is Job<RemediationJobData> => j !== undefined && j.id !== undefined,
      );
      for (const job of jobs) {
        const due = dueForEscalation({
          now: t,
          addedAt: job.timestamp,
          delayMs: job.opts.delay ?? 0,
          lastSeen,
          escalateAfterMs: deps.escalateAfterMs,
        });
        if (due && (await escalate(host, queue, job, lastSeen))) escalated.push(job.id!);
      }
    }
    return escalated;
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  return {
    tick,
    start() {
      if (timer) return;
      timer = setInterval(() => {
        if (running) return; // a slow pass (Redis away) is never run twice at once
        running = tick()
          .catch((err: unknown) => deps.log.warn({ err: coerceError(err).message }, 'host-down watchdog pass failed'))
          .finally(() => (running = undefined));
      }, deps.heartbeatMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

export type Watchdog = ReturnType<typeof createWatchdog>;
