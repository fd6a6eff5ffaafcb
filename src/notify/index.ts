import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { coerceError } from '../errors.js';
import { notifyKeys } from '../keys.js';
import type { RemediationEvents } from '../lifecycle/events.js';
import { scrubber, secretsOf } from '../observability/logger.js';
import { workerConnection, type RedisClient } from '../redis.js';
import { settledWithin } from '../time.js';
import { deliveryBackoff, type DeliveryJobData, type DeliveryResult } from './contract.js';
import { createDelivery } from './delivery.js';
import { createNotifier } from './notifier.js';
import { wants } from './policy.js';
import type { PreviewTarget, Sink, SinkDefinition, SinkDeps } from './sink.js';
import { SINKS, settingsOf } from './sinks/index.js';

/**
 * Notifications, wired: the notifier (every process) turns lifecycle events into changes on
 * each configured sink's queue; the consumers (processes with the worker role) deliver them,
 * one BullMQ worker per sink, so a sink that is slow, down or rate limited holds up only its
 * own queue. With no sink configured this is off and nothing is queued.
 */
export interface NotificationsDeps {
  config: Config;
  log: Logger;
  events: RemediationEvents;
  /** Run the consumers here (the worker role). */
  consume: boolean;
}

export interface Notifications {
  /** The sinks on, by name, with how each sends. */
  sinks: Record<string, { mode: string }>;
  /** Every sink's delivery queue (the queue UI shows them). */
  queues: Queue<DeliveryJobData>[];
  queueOf(sink: string): Queue<DeliveryJobData> | undefined;
  start(): void;
  stop(deadlineMs: number): Promise<void>;
}

interface Active {
  def: SinkDefinition<unknown>;
  sink: Sink;
  queue: Queue<DeliveryJobData>;
}

const DEFINITIONS = Object.values(SINKS) as readonly SinkDefinition<unknown>[];

const targetOf = (t: { def: SinkDefinition<unknown>; sink: Sink }): PreviewTarget => ({
  sink: t.sink,
  wants: (e) => wants(t.def, e),
});

/** With no sink configured, the preview shows the sinks that can be previewed unconfigured (Slack). */
async function unconfiguredTargets(config: Config, log: Logger): Promise<PreviewTarget[]> {
  return Promise.all(
    DEFINITIONS.filter((d) => d.previewSettings).map(async (def) => ({
      def,
      sink: await def.create(def.previewSettings!(config), { config, log }),
    })),
  ).then((list) => list.map(targetOf));
}

/**
 * What the preview writes for (simulate --notify too): every configured sink but the preview,
 * or, with none, the sinks that can be previewed unconfigured. Nothing here sends.
 */
export async function previewTargets(config: Config, log: Logger): Promise<PreviewTarget[]> {
  const configured = await Promise.all(
    DEFINITIONS.filter((d) => d.name !== 'preview').flatMap((def) => {
      const settings = settingsOf(def, config);
      return settings === undefined ? [] : [def.create(settings, { config, log }).then((sink) => ({ def, sink }))];
    }),
  );
  return configured.length > 0 ? configured.map(targetOf) : unconfiguredTargets(config, log);
}

export async function createNotifications(deps: NotificationsDeps): Promise<Notifications | undefined> {
  const { config } = deps;
  const log = deps.log.child({ component: 'notify' });
  const on = DEFINITIONS.flatMap((def) => {
    const settings = settingsOf(def, config);
    return settings === undefined ? [] : [{ def, settings }];
  });
  if (on.length === 0) {
    log.info(
      `notifications off: no sink configured (${DEFINITIONS.flatMap((d) => Object.keys(d.variables)).join(', ')}, SLACK_BOT_TOKEN or SLACK_WEBHOOK_URL)`,
    );
    return undefined;
  }
  const sinkDeps: SinkDeps = { config, log, scrub: scrubber(secretsOf(config)) };
  const built = await Promise.all(
    on
      .filter((o) => o.def.name !== 'preview')
      .map(async (o) => ({ def: o.def, sink: await o.def.create(o.settings, sinkDeps) })),
  );
  const previewOn = on.find((o) => o.def.name === 'preview');
  if (previewOn) {
    // The preview writes what every other sink sends; with none, what Slack would.
    const targets = built.length > 0 ? built.map(targetOf) : await unconfiguredTargets(config, log);
    const sink = await previewOn.def.create(previewOn.settings, { ...sinkDeps, targets });
    built.push({ def: previewOn.def, sink });
  }

  const keys = notifyKeys(config.queuePrefix);
  // Waits out a Redis blip instead of dropping the change; no sink is ever on this path.
  const redis: RedisClient = workerConnection(config.redisUrl);
  redis.on('error', (err) => log.debug({ err: err.message }, 'notification Redis connection error'));
  const active: Active[] = built.map(({ def, sink }) => {
    const queue = new Queue<DeliveryJobData>(keys.queue(def.name), { connection: redis, prefix: keys.queuePrefix });
    queue.on('error', (err) => log.debug({ sink: def.name, err: err.message }, 'notification queue error'));
    return { def, sink, queue };
  });
  const notifier = createNotifier({
    events: deps.events,
    redis,
    keys,
    sinks: active.map((a) => ({ filter: a.def, queue: a.queue })),
    ttlSeconds: config.episodeTtlSeconds,
    log,
  });
  const workers: Worker<DeliveryJobData, DeliveryResult>[] = [];
  let workerRedis: RedisClient | undefined;
  for (const a of active)
    log.info({ sink: a.def.name, mode: a.sink.mode, consume: deps.consume }, `${a.def.name} notifications on`);

  return {
    sinks: Object.fromEntries(active.map((a) => [a.def.name, { mode: a.sink.mode }])),
    queues: active.map((a) => a.queue),
    queueOf: (sink) => active.find((a) => a.def.name === sink)?.queue,
    start() {
      if (!deps.consume || workers.length > 0) return;
      workerRedis = workerConnection(config.redisUrl);
      workerRedis.on('error', (err) => log.debug({ err: err.message }, 'notification worker Redis connection error'));
      for (const a of active) {
        const processor = createDelivery({
          redis,
          queue: a.queue,
          sink: a.sink,
          filter: a.def,
          keys,
          ttlSeconds: config.episodeTtlSeconds,
          log,
        });
        // One worker per sink: its concurrency and its rate limit are its own. The limiter is
        // also what makes queue.rateLimit() (a 429's Retry-After) hold for every worker.
        const worker = new Worker<DeliveryJobData, DeliveryResult>(a.queue.name, processor, {
          connection: workerRedis,
          prefix: keys.queuePrefix,
          concurrency: a.def.delivery?.concurrency ?? 2,
          limiter: a.def.delivery?.limiter ?? { max: 20, duration: 1_000 },
          settings: { backoffStrategy: (attemptsMade: number) => deliveryBackoff(attemptsMade) },
        });
        worker.on('error', (err) =>
          log.warn({ sink: a.def.name, err: coerceError(err).message }, 'notification worker error'),
        );
        workers.push(worker);
      }
    },
    async stop(deadlineMs) {
      await notifier.flush(2_000);
      await Promise.all(
        workers.map(async (w) => {
          if (!(await settledWithin(w.close(), deadlineMs))) await settledWithin(w.close(true), 2_000);
        }),
      );
      for (const a of active) {
        await settledWithin(a.queue.close(), 2_000);
        await a.sink.close?.();
      }
      redis.disconnect();
      workerRedis?.disconnect();
    },
  };
}
