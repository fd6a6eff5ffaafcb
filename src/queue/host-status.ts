import type { Queue } from 'bullmq';
import { globalKeys } from '../keys.js';
import type { RedisClient } from '../redis.js';
import type { RemediationJobData } from './contract.js';

/**
 * Whether each Docker host has a worker, from the heartbeats workers write (a hash in
 * `{global}`: host -> last seen, epoch ms), and what waits in its queue. /readyz, the
 * remediator_host_up gauge and the host-down watchdog read the same answer.
 */

/** Heartbeats missed before a host counts as having no worker. */
export const MISSED_BEATS = 3;

/** When each host's worker last said it was alive (epoch ms). */
export async function readHeartbeats(redis: RedisClient, prefix: string): Promise<Map<string, number>> {
  const raw = await redis.hgetall(globalKeys(prefix).heartbeats);
  return new Map(Object.entries(raw).map(([host, ms]) => [host, Number(ms)]));
}

/** Write one heartbeat for every host a worker serves (one command). */
export async function beat(redis: RedisClient, prefix: string, hosts: readonly string[], now: number): Promise<void> {
  if (hosts.length === 0) return;
  await redis.hset(globalKeys(prefix).heartbeats, Object.fromEntries(hosts.map((h) => [h, String(now)])));
}

/** A host has a worker when its last heartbeat is younger than MISSED_BEATS intervals. Pure. */
export function workerUp(lastSeen: number | undefined, now: number, heartbeatMs: number): boolean {
  return lastSeen !== undefined && now - lastSeen <= MISSED_BEATS * heartbeatMs;
}

/** One host as /readyz shows it. */
export interface HostStatus {
  worker: 'up' | 'down';
  /** Seconds since its worker's last heartbeat; undefined: never seen. */
  lastSeenSecondsAgo: number | undefined;
  /** Jobs of its queue by state. */
  jobs: Record<string, number>;
}

/** Every host this process knows or has seen a heartbeat of, in that order. */
export function knownHosts(listed: readonly string[], beats: ReadonlyMap<string, number>): string[] {
  return [...new Set([...listed, ...beats.keys()])];
}

export const QUEUE_STATES = ['waiting', 'delayed', 'active', 'prioritized', 'failed', 'completed'] as const;

/** Status of every host: worker up or down, its queue's jobs by state. */
export async function hostStatuses(deps: {
  redis: RedisClient;
  prefix: string;
  hosts: readonly string[];
  queueFor(host: string): Queue<RemediationJobData>;
  heartbeatMs: number;
  now?: number;
}): Promise<Record<string, HostStatus>> {
  const now = deps.now ?? Date.now();
  const beats = await readHeartbeats(deps.redis, deps.prefix);
  const out: Record<string, HostStatus> = {};
  for (const host of knownHosts(deps.hosts, beats)) {
    const last = beats.get(host);
    out[host] = {
      worker: workerUp(last, now, deps.heartbeatMs) ? 'up' : 'down',
      lastSeenSecondsAgo: last === undefined ? undefined : Math.max(0, Math.round((now - last) / 1000)),
      jobs: await deps.queueFor(host).getJobCounts(...QUEUE_STATES),
    };
  }
  return out;
}
