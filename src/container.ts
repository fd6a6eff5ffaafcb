import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createCatalog, type Catalog } from './catalog/catalog.js';
import { loadRemediations } from './catalog/load.js';
import { createCatalogReloader, type ReloadResult } from './catalog/reload.js';
import type { Config } from './config.js';
import { ConfigError } from './errors.js';
import { loadHosts } from './catalog/hosts.js';
import { createDockerHosts, type DockerHosts } from './docker/hosts.js';
import type { DockerPort } from './docker/port.js';
import { createEvents, type RemediationEvents } from './lifecycle/events.js';
import { createGlobalCap } from './guards/global-cap.js';
import { createGuards, type Guards } from './guards/index.js';
import { createHistoryStore, subscribeHistory, type HistoryStore } from './history/index.js';
import { buildApp } from './http/app.js';
import { buildWorkerApp } from './http/worker-app.js';
import { createNotifications, type Notifications } from './notify/index.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { createAlertmanagerApi } from './alertmanager/api.js';
import { DEFAULT_HOST, hostKeys } from './keys.js';
import { subscribeMetrics } from './lifecycle/metrics.js';
import { REMEDIATION_QUEUE, type RemediationJobData } from './queue/contract.js';
import { createProducer } from './queue/producer.js';
import { hostStatuses } from './queue/host-status.js';
import { startHostWorkers, type HostWorkers } from './queue/host-workers.js';
import { servedHosts } from './queue/served-hosts.js';
import { createWatchdog } from './queue/watchdog.js';
import {
  producerConnection,
  redactUrl,
  waitReady,
  warnOnEvictionPolicy,
  workerConnection,
  type RedisClient,
} from './redis.js';
import { createSilences } from './silence/index.js';
import { createSimulateReads, createSimulator } from './simulate/index.js';
import { createStatsReader, createStatsWriter, subscribeEffectiveness, type StatsReader } from './stats/index.js';
import { createUiSources } from './ui/sources.js';
import { createControl } from './guards/control.js';
import { createOperator, type Operator } from './guards/operator.js';
import { subscribeUnhandled } from './lifecycle/unhandled.js';
import { refreshControlMetrics } from './observability/control-metrics.js';
import { wakeThrough } from './queue/wake.js';
import { settledWithin } from './time.js';

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
  /** Notification sinks (off when none is configured). */
  notifications: Notifications | undefined;
  catalog: () => Catalog;
  /** Reload remediations/ now (SIGHUP does this): an invalid catalog is rejected, the old one kept. */
  reload(trigger?: string): Promise<ReloadResult>;
  /** Remediation history in Redis (GET /api/v1/remediations, `remediator history`). */
  history: HistoryStore;
  /** Effectiveness rollups (GET /api/v1/stats, /ui, `remediator report`). */
  stats: StatsReader;
  /** Pause, resume, approve, deny, reset (the operator API and the CLI do the same). */
  operator: Operator;
  /** The default host's remediation queue. */
  queue: Queue<RemediationJobData>;
  /** A Docker host's remediation queue. */
  queueFor(host: string): Queue<RemediationJobData>;
  /** The hosts this process's worker serves (empty without the worker role). */
  workerHosts: readonly string[];
  /** The engine of the first host served (simulate looks targets up there). */
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
export async function createRuntime(
  config: Config,
  log: Logger,
  roles: Roles,
  overrides: { lockDurationMs?: number; docker?: DockerPort } = {},
): Promise<Runtime> {
  const metrics = createMetrics();
  const events = createEvents((name, err) =>
    log.error({ event: name, err: err instanceof Error ? err.message : String(err) }, 'event listener failed'),
  );
  // `let`: hot reload swaps the whole catalog; every `() => catalog` below reads the one in force.
  let catalog = createCatalog(config.remediationsDir, await loadRemediations(config.remediationsDir));
  metrics.catalogRemediations.set(catalog.remediations.length);
  metrics.catalogLoadedAt.set(catalog.loadedAt.getTime() / 1000);
  log.info({ dir: config.remediationsDir, remediations: catalog.remediations.map((r) => r.id) }, 'remediations loaded');

  const requirePrometheus = (c: Catalog) => {
    const needsProm = c.remediations
      .filter((r) => r.steps.some((st) => st.verify?.query !== undefined || st.when.kind === 'query'))
      .map((r) => r.id);
    if (roles.worker && needsProm.length > 0 && !config.prometheusUrl) {
      throw new ConfigError(
        'PROMETHEUS_URL',
        `not set, but ${needsProm.join(', ')} verif${needsProm.length === 1 ? 'ies' : 'y'} with a PromQL query`,
      );
    }
  };
  requirePrometheus(catalog);
  const reloader = createCatalogReloader({
    dir: config.remediationsDir,
    initial: catalog,
    log,
    validate: requirePrometheus,
    onSwap: (next) => {
      catalog = next;
      metrics.catalogRemediations.set(next.remediations.length);
      metrics.catalogLoadedAt.set(next.loadedAt.getTime() / 1000);
    },
    onReject: () => metrics.catalogReloadFailures.inc(),
  });
  // Every key is Cluster-safe (src/keys.ts): one Redis, a Sentinel set or a Cluster alike.
  const producerRedis = producerConnection(config.redisUrl);
  producerRedis.on('error', (err: Error) => log.debug({ err: err.message }, 'producer Redis connection error'));
  // BullMQ defines its ~40 scripts on the connection it is given, and ioredis copies every
  // defined script into each pipeline made on that connection (~65 µs a pipeline). Queues get
  // a connection of their own, so the webhook's pipelines on producerRedis stay cheap (~5 µs).
  const queueRedis = producerConnection(config.redisUrl);
  queueRedis.on('error', (err: Error) => log.debug({ err: err.message }, 'queue Redis connection error'));
  // One remediation queue per Docker host (`{host}` hash tag: Cluster safe), created on first use.
  const queues = new Map<string, Queue<RemediationJobData>>();
  const queueFor = (host: string): Queue<RemediationJobData> => {
    let q = queues.get(host);
    if (!q) {
      q = new Queue<RemediationJobData>(REMEDIATION_QUEUE, {
        connection: queueRedis,
        prefix: hostKeys(config.queuePrefix, host).queuePrefix,
      });
      q.on('error', (err) => log.debug({ err: err.message, host }, 'queue error'));
      queues.set(host, q);
    }
    return q;
  };
  subscribeMetrics(events, metrics);
  // Every process queues its events' changes for each configured sink; only workers deliver them.
  const notifications = await createNotifications({ config, log, events, consume: roles.worker });

  // HOSTS_FILE is validated at start like remediations/: a bad file stops the start (exit 78).
  const hosts = await loadHosts(config);
  for (const w of hosts.warnings) log.warn({ file: w.file, path: w.path }, `hosts file: ${w.reason}`);
  if (config.hostsFile !== undefined) {
    log.info(
      { hostsFile: config.hostsFile, hosts: [...hosts.hosts.keys()], defaultHost: hosts.defaultHost },
      'Docker hosts loaded',
    );
  }
  const hostNames = [...hosts.hosts.keys()];
  const queue = queueFor(hosts.defaultHost ?? hostNames[0] ?? DEFAULT_HOST);
  // The worker serves --host / WORKER_HOSTS, else every host, each over its own engine.
  const served = roles.worker ? servedHosts(config.workerHosts, hosts) : [];
  const engines: Pick<DockerHosts, 'get' | 'ping'> | undefined = !roles.worker
    ? undefined
    : overrides.docker && config.hostsFile === undefined
      ? { get: () => overrides.docker!, ping: async () => void (await overrides.docker!.ping()) }
      : await createDockerHosts(hosts);
  const docker = engines && served[0] !== undefined ? engines.get(served[0]) : undefined;
  // Waits out a Redis outage: outcomes written through it (the worker's, the host-down
  // watchdog's, every process runs one) are never lost.
  const workerRedis = workerConnection(config.redisUrl);
  workerRedis.on('error', (err: Error) => log.debug({ err: err.message }, 'worker Redis connection error'));
  // The BullMQ workers' own (same reason as queueRedis: the engine's MULTIs on workerRedis).
  const workerQueueRedis = roles.worker ? workerConnection(config.redisUrl) : undefined;
  workerQueueRedis?.on('error', (err: Error) => log.debug({ err: err.message }, 'worker queue Redis connection error'));
  const watchdog = createWatchdog({
    redis: workerRedis,
    prefix: config.queuePrefix,
    hosts: hostNames,
    queueFor,
    events,
    log,
    escalateAfterMs: config.hostDownEscalateMs,
    heartbeatMs: config.hostHeartbeatMs,
  });
  let worker: HostWorkers | undefined;
  const lifecycle = { draining: false };

  // Read-side guards on the producer connection (gauges, simulate); the worker has its own.
  const guards = createGuards({ redis: producerRedis, prefix: config.queuePrefix, lockTtlMs: config.targetLockMs });
  // History: every process records what its events say (queued here, outcomes in the worker).
  const history = createHistoryStore({
    redis: producerRedis,
    prefix: config.queuePrefix,
    retentionSeconds: config.historyRetentionSeconds,
  });
  subscribeHistory(
    events,
    {
      producer: history,
      worker: createHistoryStore({
        redis: workerRedis,
        prefix: config.queuePrefix,
        retentionSeconds: config.historyRetentionSeconds,
      }),
    },
    log,
  );
  // Effectiveness rollups beside history: the same two connections, for the same reasons.
  const statsWriter = (redis: RedisClient) =>
    createStatsWriter({ redis, prefix: config.queuePrefix, retentionSeconds: config.historyRetentionSeconds });
  subscribeEffectiveness(
    events,
    {
      producer: { stats: statsWriter(producerRedis), redis: producerRedis },
      worker: { stats: statsWriter(workerRedis), redis: workerRedis },
    },
    { log, prefix: config.queuePrefix },
  );
  const stats = createStatsReader({ redis: producerRedis, prefix: config.queuePrefix });
  // Operator controls: pauses, approvals, the fleet's rate, firing episodes nothing handles.
  const control = createControl(producerRedis, config);
  const operator = createOperator({
    redis: producerRedis,
    prefix: config.queuePrefix,
    history,
    wake: wakeThrough(queueFor),
    jobState: (host, jobId) => queueFor(host).getJobState(jobId),
  });
  const marksRedis = workerRedis ?? producerRedis;
  subscribeUnhandled(events, {
    unhandled: createControl(marksRedis, config).unhandled,
    redis: marksRedis,
    prefix: config.queuePrefix,
    log,
  });
  // Alertmanager silences while acting (opt-in per remediation): the worker acts, so it silences.
  const silences = roles.worker
    ? createSilences({ config, events, redis: producerRedis, log, catalog: () => catalog })
    : undefined;
  const simulate = createSimulator({
    catalog: () => catalog,
    docker,
    guards,
    reads: createSimulateReads(producerRedis, config.queuePrefix, queueFor),
    config,
    control: control.engine,
  });
  const statuses = () =>
    hostStatuses({
      redis: producerRedis,
      prefix: config.queuePrefix,
      hosts: hostNames,
      queueFor,
      heartbeatMs: config.hostHeartbeatMs,
    });
  // The served engines answer: what a worker's /readyz checks (one error names every host down).
  const pingServed = async () => {
    const down = (
      await Promise.all(
        served.map((h) =>
          engines!.ping(h).then(
            () => '',
            (e: Error) => e.message,
          ),
        ),
      )
    ).filter(Boolean);
    if (down.length > 0) throw new Error(down.join('; '));
  };
  const refreshQueueMetrics = async () => {
    for (const [host, st] of Object.entries(await statuses())) {
      metrics.hostUp.set({ host }, st.worker === 'up' ? 1 : 0);
      for (const [state, n] of Object.entries(st.jobs))
        metrics.queueJobs.set({ queue: REMEDIATION_QUEUE, state, host }, n);
    }
    const open = await guards.openCircuits();
    for (const r of catalog.remediations) metrics.circuitOpen.set({ remediation: r.id }, open.has(r.id) ? 1 : 0);
    await refreshControlMetrics(metrics, { ...control, operator });
  };

  const app = roles.http
    ? buildApp({
        config,
        log,
        metrics,
        producer: createProducer({
          queueFor,
          redis: producerRedis,
          catalog: () => catalog,
          metrics,
          events,
          log,
          prefix: config.queuePrefix,
          episodeTtlSeconds: config.episodeTtlSeconds,
          hosts: { names: hostNames, defaultHost: hosts.defaultHost },
        }),
        catalog: () => catalog,
        readiness: {
          redis: () => producerRedis.ping(),
          docker: served.length > 0 ? pingServed : undefined,
          hosts: statuses,
        },
        refreshQueueMetrics,
        lifecycle,
        history,
        simulate,
        stats,
        catalogStatus: () => reloader.status(),
        ui: config.admin && {
          credentials: config.admin,
          sources: createUiSources({ redis: producerRedis, prefix: config.queuePrefix, history, stats, guards }),
          remediations: () => catalog.remediations.map((r) => r.id),
        },
        admin: config.admin && {
          credentials: config.admin,
          queues: [queue, ...(notifications?.queues ?? [])],
        },
        operator: config.operatorToken ? { token: config.operatorToken, operator } : undefined,
        slackInteractions: config.slackSigningSecret
          ? { signingSecret: config.slackSigningSecret, redis: producerRedis, prefix: config.queuePrefix, operator }
          : undefined,
      })
    : undefined;

  // `remediator worker` alone: a listener of its own for health checks and its metrics (the
  // counters of what it did live only in this process); no webhook, no API.
  const workerApp =
    roles.worker && !roles.http
      ? buildWorkerApp({
          log,
          metrics,
          catalog: () => catalog,
          readiness: {
            redis: () => producerRedis.ping(),
            docker: served.length > 0 ? pingServed : undefined,
            hosts: statuses,
          },
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
    notifications,
    catalog: () => catalog,
    reload: (trigger = 'api') => reloader.reload(trigger),
    history,
    stats,
    operator,
    queue,
    queueFor,
    workerHosts: served,
    docker,
    app,
    port() {
      const address = app?.server.address();
      return address && typeof address === 'object' ? address.port : undefined;
    },
    async start() {
      // Take webhooks only once the fail-fast producer connection is up (bounded: with Redis
      // down at start the webhook answers 503 and /readyz says why, until it comes).
      await Promise.all([waitReady(producerRedis, 5_000), waitReady(queueRedis, 5_000)]).catch(() =>
        log.warn(
          { redisUrl: redactUrl(config.redisUrl) },
          'Redis not reachable yet: the webhook answers 503 until it is',
        ),
      );
      void warnOnEvictionPolicy(producerRedis, log);
      if (roles.worker && engines && served.length > 0) {
        const cap = config.maxInFlightGlobal;
        worker = startHostWorkers({
          connection: workerQueueRedis ?? workerRedis,
          redis: workerRedis,
          hosts: served,
          queueFor,
          dockerFor: (host) => engines.get(host),
          heartbeatMs: config.hostHeartbeatMs,
          alertmanager: config.alertmanagerUrl ? createAlertmanagerApi(config.alertmanagerUrl) : undefined,
          log,
          events,
          guards: createGuards({ redis: workerRedis, prefix: config.queuePrefix, lockTtlMs: config.targetLockMs }),
          globalCap:
            cap === undefined
              ? undefined
              : createGlobalCap({
                  redis: workerRedis,
                  prefix: config.queuePrefix,
                  max: cap,
                  ttlMs: config.targetLockMs,
                }),
          maxInFlight: config.maxInFlight,
          prometheusUrl: config.prometheusUrl,
          prefix: config.queuePrefix,
          optInLabel: config.optInLabel,
          dryRun: config.dryRun,
          concurrency: config.workerConcurrency,
          lockDurationMs: overrides.lockDurationMs ?? config.jobLockMs,
          control: createControl(workerRedis, config).engine,
        });
        for (const host of served) {
          const engine = hosts.hosts.get(host)?.engine ?? config.dockerHost;
          engines.ping(host).then(
            () => log.info({ host, engine }, 'Docker Engine reachable'),
            (err: Error) =>
              log.warn({ host, engine, err: err.message }, 'Docker Engine not reachable yet; jobs will retry'),
          );
        }
        log.info({ hosts: served, concurrency: config.workerConcurrency, dryRun: config.dryRun }, 'worker started');
      }
      watchdog.start();
      notifications?.start();
      reloader.watch();
      if (app) {
        await app.listen({ port: config.port, host: config.host });
        log.info({ port: config.port, host: config.host }, 'HTTP listening');
        if (config.admin) log.info({ path: '/admin' }, 'queue UI on /admin (basic auth: ADMIN_USER)');
        if (config.admin) log.info({ path: '/ui' }, 'operator page on /ui (basic auth: ADMIN_USER)');
        else log.info('queue UI off: set ADMIN_USER and ADMIN_PASSWORD to serve it on /admin');
      }
      if (workerApp) {
        await workerApp.listen({ port: config.workerPort, host: config.host });
        log.info({ port: config.workerPort, host: config.host }, 'worker health and metrics listening');
      }
    },
    async stop() {
      lifecycle.draining = true;
      reloader.close();
      log.info({ deadlineMs: config.shutdownTimeoutMs }, 'stopping');
      if (app) await settledWithin(app.close(), 5_000);
      if (worker) await worker.close(config.shutdownTimeoutMs);
      await settledWithin(watchdog.stop(), 2_000);
      // After the worker: health checks and scrapes see it draining (503 on /readyz) until then.
      if (workerApp) await settledWithin(workerApp.close(), 5_000);
      // The last jobs' silences get expired before the connection closes.
      if (silences) await settledWithin(silences.settled(), 5_000);
      // After the worker: its last job.finished events still reach the notification queue.
      await notifications?.stop(5_000);
      for (const q of queues.values()) await settledWithin(q.close(), 1_000);
      producerRedis.disconnect();
      queueRedis.disconnect();
      workerRedis.disconnect();
      workerQueueRedis?.disconnect();
      log.info('stopped');
    },
  };
}
