// Runs a real remediator runtime (HTTP + worker) in the test process against the shared real
// Redis and Docker Engine, isolated by its own queue prefix, and posts over real HTTP.
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Job } from 'bullmq';
import pino from 'pino';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createRuntime, type Runtime } from '../../src/container.js';
import { createDockerodeAdapter } from '../../src/docker/dockerode-adapter.js';
import type { DockerPort } from '../../src/docker/port.js';
import type { RemediationJobData, RemediationJobResult } from '../../src/queue/contract.js';

export const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'alertmanager-0.25');
export const TOKEN = 'test-token-0123456789abcdef';

export async function fixture(name: string): Promise<Record<string, any>> {
  return JSON.parse(await readFile(path.join(FIXTURES, name), 'utf8'));
}

/** Write remediation files (name -> YAML text) to a fresh directory. */
export async function remediationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rmd-rem-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

/** A DockerPort that counts every call, to prove that nothing reached the engine. */
export function countingDocker(inner: DockerPort): DockerPort & { calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return Object.assign(proxy, { calls });
}

export interface Harness {
  runtime: Runtime;
  url: string;
  prefix: string;
  docker: DockerPort & { calls: string[] };
  logs: Record<string, unknown>[];
  /** Every event of the runtime's bus, with the time it was seen. */
  seen: { name: string; t: number; jobId: string; outcome?: string; targets?: string[] }[];
  /**
   * POST to the webhook. Like Alertmanager, it delivers again on a 503 (a loaded machine can
   * exceed the enqueue timeout); `{ retry503: false }` returns the first answer as it is.
   */
  post(
    body: unknown,
    headers?: Record<string, string>,
    opts?: { retry503?: boolean },
  ): Promise<{ status: number; body: any }>;
  job(id: string): Promise<Job<RemediationJobData, RemediationJobResult> | undefined>;
  waitForJob(id: string, timeoutMs?: number): Promise<Job<RemediationJobData, RemediationJobResult>>;
  stop(): Promise<void>;
}

export async function startHarness(opts: {
  redisUrl: string;
  dockerHost: string;
  remediationsDir: string;
  env?: Record<string, string>;
  worker?: boolean;
  /** Share a queue prefix with another harness (an HA pair, a restart). */
  prefix?: string;
  /** For verification queries (the shipped remediations have them); the global set-up's Prometheus by default. */
  prometheusUrl?: string;
}): Promise<Harness> {
  const prefix = opts.prefix ?? `t${randomBytes(4).toString('hex')}`;
  const config = loadConfig(
    {
      PORT: '0',
      REDIS_URL: opts.redisUrl,
      DOCKER_HOST: opts.dockerHost,
      QUEUE_PREFIX: prefix,
      REMEDIATIONS_DIR: opts.remediationsDir,
      WEBHOOK_TOKEN: TOKEN,
      PROMETHEUS_URL: opts.prometheusUrl ?? inject('prometheusUrl'),
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_SECONDS: '10',
      ...opts.env,
    },
    ['http', 'worker'],
  );
  const logs: Record<string, unknown>[] = [];
  const log = pino(
    { level: process.env.REMEDIATOR_TEST_LOG_LEVEL ?? 'info' },
    {
      write: (line: string) => {
        logs.push(JSON.parse(line));
        if (process.env.REMEDIATOR_TEST_LOGS) appendFileSync(process.env.REMEDIATOR_TEST_LOGS, line);
      },
    },
  );
  const docker = countingDocker(createDockerodeAdapter({ dockerHost: opts.dockerHost }));
  const runtime = await createRuntime(config, log, { http: true, worker: opts.worker ?? true }, { docker });
  const seen: Harness['seen'] = [];
  for (const name of [
    'job.queued',
    'job.duplicate',
    'job.cancelled',
    'alert.resolved',
    'job.running',
    'job.acting',
    'job.retrying',
    'job.finished',
  ] as const) {
    runtime.events.on(name, (e) => {
      const ev = e as { jobId: string; outcome?: string; targets?: string[] };
      seen.push({ name, t: Date.now(), jobId: ev.jobId, outcome: ev.outcome, targets: ev.targets });
    });
  }
  await runtime.start();
  const url = `http://127.0.0.1:${runtime.port()}`;
  const job = (id: string) =>
    runtime.queue.getJob(id) as Promise<Job<RemediationJobData, RemediationJobResult> | undefined>;
  return {
    runtime,
    url,
    prefix,
    docker,
    logs,
    seen,
    async post(body, headers = {}, opts = {}) {
      const send = () =>
        fetch(`${url}/webhook/alertmanager`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
      let res = await send();
      for (let i = 0; i < 5 && res.status === 503 && opts.retry503 !== false; i++) {
        await res.text();
        await new Promise((r) => setTimeout(r, 500 * (i + 1)));
        res = await send();
      }
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed };
    },
    job,
    async waitForJob(id, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // State first, then a fresh copy of the job: a snapshot taken before the last attempt
        // ended would carry that attempt's failedReason with an old attemptsMade.
        const state = await runtime.queue.getJobState(id);
        if (state === 'completed' || state === 'failed') {
          const j = await job(id);
          if (j) return j;
        }
        if (Date.now() > deadline) throw new Error(`job ${id} not finished within ${timeoutMs} ms (state ${state})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      await runtime.stop();
    },
  };
}
