// What every scenario gets from bench/run.ts: the daemons, the Docker proxy, the settings and
// helpers to start the processes under test on a fresh port, queue prefix and Redis.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import type Docker from 'dockerode';
import type { Redis } from 'ioredis';
import { freePort } from '../../scripts/lib/daemons.js';
import { DEFAULT_HOST, hostKeys } from '../../src/keys.js';
import { REMEDIATION_QUEUE } from '../../src/queue/contract.js';
import type { DockerProxy } from './docker-proxy.js';
import { PROTOTYPE_MAIN, SERVICE_MAIN, shippedNodeOptions, startChild, type Child } from './service.js';
import { nowMs } from './stats.js';

export interface Settings {
  /** Seconds of each measured autocannon run (a warm-up of `warmupS` precedes it). */
  durationS: number;
  warmupS: number;
  connections: number;
  /** Sequential alerts for the overhead figure. */
  overheadAlerts: number;
  /** Sequential end-to-end runs per action. */
  e2eRuns: number;
  throughputRounds: number;
  storm: { episodes: number; groupSize: number; resends: number; concurrency: number };
  /** History records the stats scenario fills before timing the stats query. */
  statsRecords: number;
  cpuProfileDir: string | undefined;
}

export interface BenchContext {
  settings: Settings;
  redisUrl: string;
  /** An empty real Prometheus: the shipped remediations' PromQL verification needs one. */
  prometheusUrl: string;
  redis: Redis;
  /** The Redis server's pid, for its CPU time. */
  redisPid: number;
  /** Straight to dockerd: set-up and clean-up, never timed. */
  docker: Docker;
  /** Through the timing proxy, like the service: the raw dockerode baselines. */
  rawDocker: Docker;
  proxy: DockerProxy;
  containerPrefix: string;
  token: string;
  logDir: string;
  remediationsDir: { shipped: string; bench: string };
  /** Empty Redis between runs, so one run's keys never slow the next. */
  flush(): Promise<void>;
  service(o: {
    name: string;
    role: 'start' | 'serve';
    remediationsDir: string;
    env?: Record<string, string>;
    /** QUEUE_PREFIX; a fresh random one when unset (a second process on the same data passes it). */
    queuePrefix?: string;
  }): Promise<
    Child & {
      /** BullMQ prefix of its (default host's) queue, for jobCounts and watchJobs. */
      prefix: string;
      /** Its QUEUE_PREFIX (history, guards and global keys are under it). */
      queuePrefix: string;
      post(body: string): Promise<{ status: number; body: any }>;
    }
  >;
  prototype(o: { name: string; mode: 'bare' | 'bullmq' }): Promise<Child & { prefix: string }>;
  /** BullMQ's own job counts under a prefix (every state), and their sum. */
  jobCounts(prefix: string): Promise<{ total: number; byState: Record<string, number> }>;
  /** Completion (or failure) of jobs under a prefix, timed on arrival of BullMQ's event. */
  watchJobs(prefix: string): Promise<JobWatcher>;
}

export interface JobDone {
  at: number;
  state: 'completed' | 'failed';
  returnvalue: any;
  failedReason: string | undefined;
}

export interface JobWatcher {
  done(jobId: string, timeoutMs?: number): Promise<JobDone>;
  close(): Promise<void>;
}

export const authHeaders = (token: string) => ({ authorization: `Bearer ${token}` });

export function childHelpers(
  base: Omit<BenchContext, 'service' | 'prototype' | 'jobCounts' | 'watchJobs'>,
): Pick<BenchContext, 'service' | 'prototype' | 'jobCounts' | 'watchJobs'> {
  // Connection options (not instances): BullMQ then owns and closes its connections.
  const u = new URL(base.redisUrl);
  const connection = { host: u.hostname, port: Number(u.port || 6379) };
  const nodeArgs = base.settings.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', base.settings.cpuProfileDir] : [];
  // The service runs with the Node options it ships with (the Dockerfile's); the prototype with none.
  const nodeOptions = shippedNodeOptions();
  return {
    async service(o) {
      const port = await freePort();
      const prefix = o.queuePrefix ?? `bench${randomBytes(3).toString('hex')}`;
      const child = await startChild({
        name: o.name,
        main: SERVICE_MAIN,
        args: [o.role],
        port,
        nodeArgs,
        logFile: path.join(base.logDir, `${o.name}.log`),
        env: {
          PORT: String(port),
          HOST: '127.0.0.1',
          REDIS_URL: base.redisUrl,
          PROMETHEUS_URL: base.prometheusUrl,
          DOCKER_HOST: base.proxy.dockerHost,
          QUEUE_PREFIX: prefix,
          REMEDIATIONS_DIR: o.remediationsDir,
          WEBHOOK_TOKEN: base.token,
          // What a user runs: JSON logs at info, one line per job state change, to a file.
          LOG_LEVEL: 'info',
          LOG_FORMAT: 'json',
          SHUTDOWN_TIMEOUT_SECONDS: '10',
          // The fleet-wide cap on disruptive actions (30 a minute shipped) would hold the
          // overhead row's 200 kills after the 30th: a cap the bench cannot reach, so the guard
          // is still asked on every job, never binding (as in the two-host row).
          MAX_DISRUPTIVE_PER_MINUTE: '9999',
          ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
          ...o.env,
        },
      });
      const url = `${child.url}/webhook/alertmanager`;
      return Object.assign(child, {
        // Its queue and episode keys live under the default host's prefix (`<prefix>:{local}`).
        prefix: hostKeys(prefix, DEFAULT_HOST).queuePrefix,
        queuePrefix: prefix,
        async post(body: string) {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...authHeaders(base.token) },
            body,
            signal: AbortSignal.timeout(30_000),
          });
          const text = await res.text();
          return { status: res.status, body: text ? JSON.parse(text) : undefined };
        },
      });
    },
    async prototype(o) {
      const port = await freePort();
      const prefix = `proto${randomBytes(3).toString('hex')}`;
      const child = await startChild({
        name: o.name,
        main: PROTOTYPE_MAIN,
        args: [],
        port,
        logFile: path.join(base.logDir, `${o.name}.log`),
        env: { PORT: String(port), REDIS_URL: base.redisUrl, QUEUE_PREFIX: prefix, PROTOTYPE_MODE: o.mode },
      });
      return Object.assign(child, { prefix });
    },
    async jobCounts(prefix) {
      const queue = new Queue(REMEDIATION_QUEUE, { connection, prefix });
      try {
        const byState = await queue.getJobCounts(
          'waiting',
          'active',
          'delayed',
          'prioritized',
          'completed',
          'failed',
          'paused',
          'waiting-children',
        );
        return { total: Object.values(byState).reduce((a, b) => a + b, 0), byState };
      } finally {
        await queue.close();
      }
    },
    async watchJobs(prefix) {
      const events = new QueueEvents(REMEDIATION_QUEUE, { connection, prefix });
      const finished = new Map<string, JobDone>();
      const waiters = new Map<string, (d: JobDone) => void>();
      const settle = (jobId: string, d: JobDone) => {
        finished.set(jobId, d);
        waiters.get(jobId)?.(d);
      };
      // The event carries the result as JSON text.
      const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
      events.on('completed', ({ jobId, returnvalue }) =>
        settle(jobId, { at: nowMs(), state: 'completed', returnvalue: parse(returnvalue), failedReason: undefined }),
      );
      events.on('failed', ({ jobId, failedReason }) =>
        settle(jobId, { at: nowMs(), state: 'failed', returnvalue: undefined, failedReason }),
      );
      await events.waitUntilReady();
      return {
        done(jobId, timeoutMs = 60_000) {
          const seen = finished.get(jobId);
          if (seen) return Promise.resolve(seen);
          return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
              waiters.delete(jobId);
              reject(new Error(`job ${jobId} did not finish within ${timeoutMs} ms`));
            }, timeoutMs);
            waiters.set(jobId, (d) => {
              clearTimeout(timer);
              waiters.delete(jobId);
              resolve(d);
            });
          });
        },
        close: () => events.close(),
      };
    },
  };
}
