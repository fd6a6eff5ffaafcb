import { Queue, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { coerceError } from '../errors.js';
import type { RemediationEvents } from '../lifecycle/events.js';
import { notifyKeys } from '../keys.js';
import { workerConnection, type RedisClient } from '../redis.js';
import { NOTIFY_QUEUE, type NotificationJobData } from './contract.js';
import { createDelivery, deliveryBackoff, type DeliveryResult } from './delivery.js';
import { createNotifier } from './notifier.js';
import { webApiTransport, webhookTransport, type SlackTransport } from './transport.js';
import { settledWithin } from '../time.js';

/**
 * Slack notifications, wired: the notifier (every process) turns job events into jobs on the
 * "notifications" queue; the consumer (processes with the worker role) delivers them. With
 * neither SLACK_BOT_TOKEN nor SLACK_WEBHOOK_URL set, this is off and nothing is queued.
 */
export interface NotificationsDeps {
  config: Pick<Config, 'slack' | 'redisUrl' | 'queuePrefix' | 'episodeTtlSeconds'> &
    Partial<Pick<Config, 'alertmanagerLinks'>>;
  log: Logger;
  events: RemediationEvents;
  /** Run the consumer here (the worker role). */
  consume: boolean;
  /** Replace the transport (unit tests). */
  transport?: SlackTransport;
}

export interface Notifications {
  mode: SlackTransport['mode'];
  queue: Queue<NotificationJobData>;
  start(): void;
  stop(deadlineMs: number): Promise<void>;
}

/** Web API when a bot token is set (threads, edits), else the incoming webhook, else none. */
export function pickTransport(slack: Config['slack'], log: Logger): SlackTransport | undefined {
  if (slack.botToken) return webApiTransport({ token: slack.botToken, apiUrl: slack.apiUrl, log });
  if (slack.webhookUrl) return webhookTransport({ url: slack.webhookUrl });
  return undefined;
}

export function createNotifications(deps: NotificationsDeps): Notifications | undefined {
  const { config } = deps;
  const log = deps.log.child({ component: 'slack' });
  const transport = deps.transport ?? pickTransport(config.slack, log);
  if (!transport) {
    log.info('slack notifications off (neither SLACK_BOT_TOKEN nor SLACK_WEBHOOK_URL set)');
    return undefined;
  }
  // Waits out a Redis blip instead of dropping the change; Slack is never on this path.
  const redis: RedisClient = workerConnection(config.redisUrl);
  redis.on('error', (err) => log.debug({ err: err.message }, 'notification Redis connection error'));
  const queue = new Queue<NotificationJobData>(NOTIFY_QUEUE, {
    connection: redis,
    // `{notify}` hash tag: every key of the queue in one Cluster slot.
    prefix: notifyKeys(config.queuePrefix).queuePrefix,
  });
  queue.on('error', (err) => log.debug({ err: err.message }, 'notification queue error'));
  const notifier = createNotifier({
    events: deps.events,
    redis,
    queue,
    prefix: config.queuePrefix,
    ttlSeconds: config.episodeTtlSeconds,
    log,
  });
  let worker: Worker<NotificationJobData, DeliveryResult> | undefined;
  let workerRedis: RedisClient | undefined;
  log.info(
    { mode: transport.mode, defaultChannel: config.slack.defaultChannel, consume: deps.consume },
    'slack notifications on',
  );

  return {
    mode: transport.mode,
    queue,
    start() {
      if (!deps.consume || worker) return;
      const consumerRedis = workerConnection(config.redisUrl);
      workerRedis = consumerRedis;
      consumerRedis.on('error', (err) => log.debug({ err: err.message }, 'notification worker Redis connection error'));
      const processor = createDelivery({
        redis,
        queue,
        transport,
        prefix: config.queuePrefix,
        defaultChannel: config.slack.defaultChannel,
        ttlSeconds: config.episodeTtlSeconds,
        log,
        alertmanagerLinks: config.alertmanagerLinks,
      });
      worker = new Worker<NotificationJobData, DeliveryResult>(NOTIFY_QUEUE, processor, {
        connection: consumerRedis,
        prefix: notifyKeys(config.queuePrefix).queuePrefix,
        concurrency: 4,
        // Also what makes queue.rateLimit() (Slack's Retry-After) hold for every worker.
        limiter: { max: 50, duration: 1_000 },
        settings: { backoffStrategy: (attemptsMade: number) => deliveryBackoff(attemptsMade) },
      });
      worker.on('error', (err) => log.warn({ err: coerceError(err).message }, 'notification worker error'));
    },
    async stop(deadlineMs) {
      await notifier.flush(2_000);
      if (worker && !(await settledWithin(worker.close(), deadlineMs))) await settledWithin(worker.close(true), 2_000);
      await settledWithin(queue.close(), 2_000);
      redis.disconnect();
      workerRedis?.disconnect();
    },
  };
}
