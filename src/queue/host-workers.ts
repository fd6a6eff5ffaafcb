import type { Queue } from 'bullmq';
import type { DockerPort } from '../docker/port.js';
import { coerceError } from '../errors.js';
import type { RemediationJobData } from './contract.js';
import { beat } from './host-status.js';
import { createRemediationWorker, type WorkerDeps } from './worker.js';

/**
 * The workers of one process: one BullMQ Worker per Docker host it serves (`--host`,
 * WORKER_HOSTS, else every host of the hosts file), each on that host's queue and over that
 * host's engine, so a slow or unreachable engine holds up only its own host's jobs. Beside
 * them a heartbeat says, for every host served, that a worker is alive: /readyz, the
 * remediator_host_up gauge and the host-down watchdog (watchdog.ts) read it.
 */

export interface HostWorkersDeps extends Omit<WorkerDeps, 'host' | 'queue' | 'dockerFor'> {
  /** The hosts this process serves. */
  hosts: readonly string[];
  queueFor(host: string): Queue<RemediationJobData>;
  /** The engine of a served host. */
  dockerFor(host: string): DockerPort;
  /** How often the heartbeat is written (HOST_HEARTBEAT_SECONDS). */
  heartbeatMs: number;
}

export function startHostWorkers(deps: HostWorkersDeps) {
  const workers = deps.hosts.map((host) =>
    createRemediationWorker({
      ...deps,
      log: deps.log.child({ workerHost: host }),
      host,
      queue: deps.queueFor(host),
      dockerFor: deps.dockerFor,
    }),
  );
  let beating = true;
  const once = () =>
    beat(deps.redis, deps.prefix, deps.hosts, Date.now()).catch((err: unknown) =>
      deps.log.debug({ err: coerceError(err).message }, 'heartbeat not written'),
    );
  void once();
  const timer = setInterval(() => void (beating && once()), deps.heartbeatMs);
  timer.unref();

  return {
    hosts: deps.hosts,
    workers,
    /** Stop taking jobs (the heartbeat stops first: nobody waits on a worker that is leaving). */
    async close(deadlineMs: number): Promise<void> {
      beating = false;
      clearInterval(timer);
      await Promise.all(workers.map((w) => w.close(deadlineMs)));
    },
  };
}

export type HostWorkers = ReturnType<typeof startHostWorkers>;
