import type { Writable } from 'node:stream';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { parseRedisUrl, redactRedisUrl, type RedisTarget } from './redis-url.js';

/**
 * Connections to Redis for every REDIS_URL form (one Redis, a Sentinel set, a Cluster: see
 * redis-url.ts). Two kinds of connection, as BullMQ advises: the producer fails fast (no
 * offline queue, one try per command) so the webhook can answer 503 within about a second
 * while Redis is down; the worker's connection waits and reconnects forever
 * (`maxRetriesPerRequest: null`, which BullMQ requires of a blocking connection).
 */

/**
 * A connection of any form. Sentinel gives a plain {@link Redis} (ioredis finds the master
 * through the sentinels); a Cluster is ioredis' {@link Cluster}, another class with the same
 * commands but no `SELECT`, no multi-key commands across slots, and a SCAN per node.
 */
export type RedisClient = Redis | Cluster;

type Role = 'producer' | 'worker' | 'cli';

/** Options per role, for the connection to each data node. */
const NODE_OPTIONS: Record<Role, RedisOptions> = {
  producer: {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  },
  worker: {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 250, 5_000),
  },
  // A one-shot command (the CLI): connect once, fail in seconds, never retry.
  cli: {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3_000,
    retryStrategy: () => null,
  },
};

/**
 * After a failover the old master, demoted, answers writes with READONLY until the client
 * reconnects: reconnect then. The worker resends the command (it did not run: safe); the
 * producer lets it fail, so the webhook answers 503 and Alertmanager sends again.
 */
const reconnectOnReadonly =
  (resend: boolean) =>
  (err: Error): boolean | 1 | 2 =>
    err.message.startsWith('READONLY') ? (resend ? 2 : 1) : false;

function sentinelConnection(t: Extract<RedisTarget, { kind: 'sentinel' }>, role: Role): Redis {
  const node = NODE_OPTIONS[role];
  return new Redis({
    ...node,
    sentinels: t.sentinels,
    name: t.name,
    db: t.db,
    username: t.username,
    password: t.password,
    sentinelUsername: t.sentinelUsername,
    sentinelPassword: t.sentinelPassword,
    // Sentinel's +switch-master: drop the old master at once instead of writing to it until a
    // READONLY (a write it accepted in between would be lost when it resyncs as a replica).
    failoverDetector: role !== 'cli',
    reconnectOnError: reconnectOnReadonly(role === 'worker'),
    // All sentinels down: try again like the data connection does (the CLI gives up).
    sentinelRetryStrategy: role === 'cli' ? () => null : (times) => Math.min(times * 250, 5_000),
  });
}

function clusterConnection(t: Extract<RedisTarget, { kind: 'cluster' }>, role: Role): Cluster {
  const node = NODE_OPTIONS[role];
  const options: ClusterOptions = {
    redisOptions: { ...node, username: t.username, password: t.password },
    enableOfflineQueue: node.enableOfflineQueue ?? true,
    enableReadyCheck: true,
    lazyConnect: node.lazyConnect ?? false,
    // Every slot needs a master: the Cluster refuses writes to a slot without one anyway.
    clusterRetryStrategy: role === 'cli' ? () => null : (times) => Math.min(times * 250, 5_000),
    slotsRefreshTimeout: 2_000,
  };
  return new Cluster(t.nodes, options);
}

const COALESCING = Symbol('remediator.coalescing');

/**
 * Commands written in the same tick leave as one socket write: the socket is corked at the
 * first write of a tick and uncorked when the tick ends (Node's documented cork pattern).
 * ioredis writes each command as it is issued, one syscall each, and here a write syscall
 * costs more than the commands in it: a delivery's claims, its history rows, the replies of
 * several deliveries resuming in one tick now share one write. Bytes, order and replies are
 * unchanged; only the number of writes is. Applied to each new socket (reconnects make one).
 */
export function coalesceWrites(redis: Redis): void {
  redis.on('connect', () => {
    const stream = (redis as unknown as { stream?: Writable & { [COALESCING]?: true } }).stream;
    if (!stream || stream[COALESCING]) return;
    stream[COALESCING] = true;
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((...args: unknown[]) => {
      if (stream.writableCorked === 0) {
        stream.cork();
        process.nextTick(() => stream.uncork());
      }
      return write(...args);
    }) as Writable['write'];
  });
}

function connect(url: string, role: Role): RedisClient {
  const target = parseRedisUrl(url);
  if (target.kind === 'cluster') {
    const cluster = clusterConnection(target, role);
    if (role !== 'cli') cluster.on('+node', (node: Redis) => coalesceWrites(node));
    return cluster;
  }
  const redis =
    target.kind === 'sentinel' ? sentinelConnection(target, role) : new Redis(target.url, NODE_OPTIONS[role]);
  if (role !== 'cli') coalesceWrites(redis);
  return redis;
}

/** Fails fast: for the webhook (answers 503 while Redis is away) and read-side gauges. */
export function producerConnection(url: string): RedisClient {
  return connect(url, 'producer');
}

/** Waits out an outage: for BullMQ workers and everything that must not drop a write. */
export function workerConnection(url: string): RedisClient {
  return connect(url, 'worker');
}

/** Not connected yet (`connect()` it), never retries: for a CLI command. */
export function oneShotConnection(url: string): RedisClient {
  return connect(url, 'cli');
}

export function isCluster(redis: RedisClient): redis is Cluster {
  return (redis as { isCluster?: boolean }).isCluster === true;
}

/** True for a connection to a Sentinel set (ioredis found the master through sentinels). */
export function isSentinel(redis: RedisClient): boolean {
  return !isCluster(redis) && (redis.options.sentinels?.length ?? 0) > 0;
}

/**
 * Sentinel replicates asynchronously: a write the master took but had not yet sent to its
 * replica is lost when the replica is promoted. For writes that must survive a failover (the
 * memo an action writes before its Docker call, a step's record, the jobs a 202 promised),
 * `WAIT 1 <ms>` returns once a replica has them. On anything but a Sentinel set it does nothing
 * (a Cluster master may have no replica, and one Redis has none): resolves with the replicas
 * that acknowledged, or undefined when not asked. A replica down makes it wait `ms`, then go on:
 * the write is on the master, as it would be without a replica.
 */
export function replicated(redis: RedisClient, ms = 1_000): Promise<number | undefined> {
  if (!isSentinel(redis)) return Promise.resolve(undefined);
  return (redis as Redis).call('WAIT', '1', String(ms)).then(Number);
}

/**
 * A Lua script as a command of this connection: sent once, then run by EVALSHA (ioredis
 * reloads it after a Redis restart). Cheaper than EVAL, which sends the text every call. On a
 * Cluster every key the script receives must be in one hash slot (see keys.ts).
 */
export function scriptCommand(
  redis: RedisClient,
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
  redis: RedisClient,
  name: string,
  lua: string,
): (keys: string[], args: string[]) => Promise<unknown> {
  const commands = redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>;
  if (typeof commands[name] !== 'function') redis.defineCommand(name, { lua });
  return (keys, args) => commands[name]!(keys.length, ...keys, ...args);
}

/** Resolves once the connection is ready; rejects after `ms`. */
export function waitReady(redis: RedisClient, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => (redis.off('ready', onReady), reject(new Error('Redis not ready'))), ms);
    const onReady = () => (clearTimeout(t), resolve());
    redis.once('ready', onReady);
  });
}

/** A Redis URL without its passwords, for logs (every form). */
export function redactUrl(url: string): string {
  return redactRedisUrl(url);
}

/** Jobs must never be evicted: warn loudly when Redis could drop keys under memory pressure. */
export async function warnOnEvictionPolicy(redis: RedisClient, log: Logger): Promise<void> {
  try {
    // The producer connection has no offline queue: wait until it is ready (or give up quietly).
    await waitReady(redis, 10_000);
    // On a Cluster each master has its own setting: every one must be noeviction.
    const nodes: Redis[] = isCluster(redis) ? redis.nodes('master') : [redis];
    for (const node of nodes) {
      const reply = (await node.config('GET', 'maxmemory-policy')) as string[];
      const policy = reply[1];
      if (policy && policy !== 'noeviction') {
        log.warn(
          { maxmemoryPolicy: policy },
          `Redis maxmemory-policy is "${policy}": queued remediations can be evicted and lost; set it to noeviction`,
        );
        return;
      }
    }
  } catch {
    log.debug('could not read Redis maxmemory-policy (CONFIG may be disabled)');
  }
}
