import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createCatalog, type Catalog } from './catalog/catalog.js';
import { loadRemediations } from './catalog/load.js';
import type { Config } from './config.js';
import { ConfigError } from './errors.js';
import { createDockerodeAdapter } from './docker/dockerode-adapter.js';
import type { DockerPort } from './docker/port.js';
import { createEvents, type RemediationEvents } from './events.js';
import { createGuards, type Guards } from './guards/index.js';
import { buildApp } from './http/app.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { REMEDIATION_QUEUE, type RemediationJobData } from './queue/contract.js';
import { createProducer } from './queue/producer.js';
import { createRemediationWorker } from './queue/worker.js';
import { producerConnection, warnOnEvictionPolicy, workerConnection } from './redis.js';

export interface Roles {
  http: boolean;
  worker: boolean;
}

export interface Runtime {
  config: Config;
  log: Logger;
  metrics: Metrics;
  events: RemediationEvents;
  guards: Guards;
  catalog: () => Catalog;
  queue: Queue<RemediationJobData>;
  docker: DockerPort | undefined;
  app: FastifyInstance | undefined;
  /** The port HTTP listens on, once started. */
  port(): number | undefined;
  /** Listen (HTTP) and start consuming (worker). */
  start(): Promise<void>;
  /** Graceful stop: 503 on the webhook, running jobs finish by the deadline, connections close. */
  stop(): Promise<void>;
}

/** The composition root: config, logger, Redis, queues, Docker, catalog and metrics wired once. */
export async function createRuntime(config: Config, log: Logger, roles: Roles, overrides: { lockDurationMs?: number; docker?: DockerPort } = {}): Promise<Runtime> {
  const metrics = createMetrics();
  const events = createEvents((name, err) => log.error({ event: name, err: err instanceof Error ? err.message : String(err) }, 'event listener failed'));
  const catalog = createCatalog(config.remediationsDir, await loadRemediations(config.remediationsDir));
  metrics.catalogRemediations.set(catalog.remediations.length);
  log.info({ dir: config.remediationsDir, remediations: catalog.remediations.map((r) => r.id) }, 'remediations loaded');

  const needsProm = catalog.remediations.filter((r) => r.verify?.query !== undefined).map((r) => r.id);
  if (roles.worker && needsProm.length > 0 && !config.prometheusUrl) {
    throw new ConfigError('PROMETHEUS_URL', `not set, but ${needsProm.join(', ')} verif${needsProm.length === 1 ? 'ies' : 'y'} with a PromQL query`);
  }
  const producerRedis = producerConnection(config.redisUrl);
  producerRedis.on('error', (err) => log.debug({ err: err.message }, 'producer Redis connection error'));
  const queue = new Queue<RemediationJobData>(REMEDIATION_QUEUE, { connection: producerRedis, prefix: config.queuePrefix });
  queue.on('error', (err) => log.debug({ err: err.message }, 'queue error'));

  const docker = roles.worker
    ? overrides.docker ?? createDockerodeAdapter({ dockerHost: config.dockerHost, certPath: config.dockerCertPath, tlsVerify: config.dockerTlsVerify })
    : undefined;
  let workerRedis: Redis | undefined;
  let worker: ReturnType<typeof createRemediationWorker> | undefined;
  const lifecycle = { draining: false };

  // Read-side guards on the producer connection (gauges, simulate); the worker has its own.
  const guards = createGuards({ redis: producerRedis, prefix: config.queuePrefix, lockTtlMs: config.targetLockMs });
  const refreshQueueMetrics = async () => {
    const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'failed', 'completed', 'prioritized');
    for (const [state, n] of Object.entries(counts)) metrics.queueJobs.set({ queue: REMEDIATION_QUEUE, state }, n);
    const open = await guards.openCircuits();
    for (const r of catalog.remediations) metrics.circuitOpen.set({ remediation: r.id }, open.has(r.id) ? 1 : 0);
  };

  const app = roles.http
    ? buildApp({
        config,
        log,
        metrics,
        producer: createProducer({ queue, redis: producerRedis, catalog: () => catalog, metrics, events, log, prefix: config.queuePrefix, episodeTtlSeconds: config.episodeTtlSeconds }),
        catalog: () => catalog,
        readiness: { redis: () => producerRedis.ping(), docker: docker ? () => docker.ping() : undefined },
        refreshQueueMetrics,
        lifecycle,
      })
    : undefined;

  return {
    config,
    log,
    metrics,
    events,
    guards,
    catalog: () => catalog,
    queue,
    docker,
    app,
    port() {
      const address = app?.server.address();
      return address && typeof address === 'object' ? address.port : undefined;
    },
    async start() {
      void warnOnEvictionPolicy(producerRedis, log);
      if (roles.worker && docker) {
        workerRedis = workerConnection(config.redisUrl);
        workerRedis.on('error', (err) => log.debug({ err: err.message }, 'worker Redis connection error'));
        worker = createRemediationWorker({
          connection: workerRedis,
          redis: workerRedis,
          docker,
          log,
          metrics,
          events,
          guards: createGuards({ redis: workerRedis, prefix: config.queuePrefix, lockTtlMs: config.targetLockMs }),
          maxInFlight: config.maxInFlight,
          prometheusUrl: config.prometheusUrl,
          prefix: config.queuePrefix,
          optInLabel: config.optInLabel,
          dryRun: config.dryRun,
          concurrency: config.workerConcurrency,
          lockDurationMs: overrides.lockDurationMs ?? config.jobLockMs,
        });
        docker.ping().then(
          () => log.info({ dockerHost: config.dockerHost }, 'Docker Engine reachable'),
          (err: Error) => log.warn({ dockerHost: config.dockerHost, err: err.message }, 'Docker Engine not reachable yet; jobs will retry'),
        );
        log.info({ concurrency: config.workerConcurrency, dryRun: config.dryRun }, 'worker started');
      }
      if (app) {
        await app.listen({ port: config.port, host: config.host });
        log.info({ port: config.port, host: config.host }, 'HTTP listening');
      }
    },
    async stop() {
      lifecycle.draining = true;
      log.info({ deadlineMs: config.shutdownTimeoutMs }, 'stopping');
      if (app) await Promise.race([app.close(), new Promise((r) => setTimeout(r, 5_000))]);
      if (worker) await worker.close(config.shutdownTimeoutMs);
      await Promise.race([queue.close(), new Promise((r) => setTimeout(r, 2_000))]);
      producerRedis.disconnect();
      workerRedis?.disconnect();
      log.info('stopped');
    },
  };
}

