import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Two kinds of connection, as BullMQ advises. The producer fails fast (no offline queue, one
 * try per command) so the webhook can answer 503 within about a second while Redis is down;
 * the worker's connection waits and reconnects forever.
 */
export function producerConnection(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  } satisfies RedisOptions);
}

export function workerConnection(url: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 250, 5_000),
  });
}

/**
 * A Lua script as a command of this connection: sent once, then run by EVALSHA (ioredis
 * reloads it after a Redis restart). Cheaper than EVAL, which sends the text every call.
 */
export function scriptCommand(
  redis: Redis,
  name: string,
  lua: string,
  numberOfKeys: number,
): (...args: string[]) => Promise<unknown> {
  const commands = redis as unknown as Record<string, (...a: string[]) => Promise<unknown>>;
  if (typeof commands[name] !== 'function') redis.defineCommand(name, { numberOfKeys, lua });
  return (...args) => commands[name]!(...args);
}

/**
 * A Lua script whose number of keys varies per call (the guards': one lock per target). Run by
 * EVALSHA like scriptCommand; the key count is passed with each call.
 */
export function scriptWithKeys(
  redis: Redis,
  name: string,
  lua: string,
): (keys: string[], args: string[]) => Promise<unknown> {
  const commands = redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>;
  if (typeof commands[name] !== 'function') redis.defineCommand(name, { lua });
  return (keys, args) => commands[name]!(keys.length, ...keys, ...args);
}

/** Resolves once the connection is ready; rejects after `ms`. */
export function waitReady(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => (redis.off('ready', onReady), reject(new Error('Redis not ready'))), ms);
    const onReady = () => (clearTimeout(t), resolve());
    redis.once('ready', onReady);
  });
}

/** A Redis URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'redacted';
    return u.toString();
  } catch {
    return 'redis://(unparseable)';
  }
}

/** Jobs must never be evicted: warn loudly when Redis could drop keys under memory pressure. */
export async function warnOnEvictionPolicy(redis: Redis, log: Logger): Promise<void> {
  try {
    // The producer connection has no offline queue: wait until it is ready (or give up quietly).
    await waitReady(redis, 10_000);
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const policy = reply[1];
    if (policy && policy !== 'noeviction') {
      log.warn(
        { maxmemoryPolicy: policy },
        `Redis maxmemory-policy is "${policy}": queued remediations can be evicted and lost; set it to noeviction`,
      );
    }
  } catch {
    log.debug('could not read Redis maxmemory-policy (CONFIG may be disabled)');
  }
}
