import type { RedisClient } from '../redis.js';
import { BadInputError } from '../errors.js';
import { DEFAULT_HOST, HOST_NAME_RULE, globalKeys } from '../keys.js';

/**
 * Pauses: an operator tells remediator to step aside for one target, one remediation, or
 * everything (the kill switch). They live in Redis, so every worker obeys them. A worker checks
 * before each step's guards and again right before the Docker call; to keep that cheap the
 * pauses are read through a version counter (one GET) and reloaded only when it moved.
 * A held job is not dropped: it waits as delayed until the pause ends or a resume wakes it.
 */

/** What a pause covers. */
export type PauseScope =
  { kind: 'all' } | { kind: 'target'; host: string; name: string } | { kind: 'remediation'; id: string };

/** One pause, as stored. */
export interface Pause {
  /** `all`, `target:<host>/<name>` or `remediation:<id>`: one pause per scope, a new one replaces it. */
  id: string;
  scope: PauseScope;
  by: string;
  reason: string;
  createdAt: number;
  /** When it ends by itself (epoch ms). */
  until: number;
}

/** What a step is, for matching it against pauses. */
export interface PauseSubject {
  host: string;
  remediation: string;
  /** Names the step acts on: containers, the Compose or Swarm service, the rendered target. */
  names: string[];
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export const pauseIdOf = (s: PauseScope): string =>
  s.kind === 'all' ? 'all' : s.kind === 'target' ? `target:${s.host}/${s.name}` : `remediation:${s.id}`;

/** The words of a scope: "everything", "target local/api", "remediation high-latency". */
export const scopeText = (s: PauseScope): string =>
  s.kind === 'all'
    ? 'everything (kill switch)'
    : s.kind === 'target'
      ? `target ${s.host}/${s.name}`
      : `remediation ${s.id}`;

/** `HOST/NAME` or `NAME` (the default host); NAME `*` is every target of that host. */
export function parseTargetRef(text: string, field = 'target'): { host: string; name: string } {
  const slash = text.indexOf('/');
  const host = slash < 0 ? DEFAULT_HOST : text.slice(0, slash);
  const name = slash < 0 ? text : text.slice(slash + 1);
  if (!HOST_NAME_RULE.test(host)) throw new BadInputError(field, `"${host}" is not a Docker host name`);
  if (name !== '*' && !NAME.test(name)) {
    throw new BadInputError(field, `"${name}" is not a container or service name (expected HOST/NAME or NAME)`);
  }
  return { host, name };
}

/** The scope named by exactly one of --target, --remediation, --all (CLI flags, API fields). */
export function scopeFrom(o: {
  target?: string | undefined;
  remediation?: string | undefined;
  all?: boolean | undefined;
}): PauseScope {
  const given = [o.target !== undefined, o.remediation !== undefined, o.all === true].filter(Boolean).length;
  if (given !== 1) throw new BadInputError('scope', 'name exactly one of target (HOST/NAME), remediation (ID) or all');
  if (o.all) return { kind: 'all' };
  if (o.remediation !== undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(o.remediation)) {
      throw new BadInputError('remediation', `"${o.remediation}" is not a remediation id`);
    }
    return { kind: 'remediation', id: o.remediation };
  }
  return { kind: 'target', ...parseTargetRef(o.target!) };
}

/** "30m", "1h", "2d" (what --for takes) in ms. */
export function parseFor(text: string): number {
  const m = /^([0-9]{1,6})(s|m|h|d)$/.exec(text.trim());
  if (!m) throw new BadInputError('for', `"${text}" is not a duration (use 30m, 1h, 2d)`);
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

export function pauseMatches(p: Pause, s: PauseSubject): boolean {
  switch (p.scope.kind) {
    case 'all':
      return true;
    case 'remediation':
      return p.scope.id === s.remediation;
    case 'target':
      return p.scope.host === s.host && (p.scope.name === '*' || s.names.includes(p.scope.name));
  }
}

/** The pause that holds this step now: the one that lasts longest, when several match. */
export function pauseFor(pauses: Pause[], s: PauseSubject, now: number): Pause | undefined {
  return pauses
    .filter((p) => p.until > now && pauseMatches(p, s))
    .sort((a, b) => b.until - a.until || a.id.localeCompare(b.id))[0];
}

export interface PausesDeps {
  redis: RedisClient;
  prefix: string;
  now?: () => number;
}

/** The longest pause accepted (a forgotten kill switch ends by itself). */
export const MAX_PAUSE_MS = 7 * 86_400_000;

export function createPauses(deps: PausesDeps) {
  const { redis } = deps;
  const k = globalKeys(deps.prefix);
  const now = deps.now ?? Date.now;
  let cache: { version: string; pauses: Pause[] } | undefined;

  async function all(): Promise<Pause[]> {
    const h = await redis.hgetall(k.pauses);
    return Object.values(h).map((v) => JSON.parse(v) as Pause);
  }

  async function bump(pipe: ReturnType<RedisClient['multi']>): Promise<void> {
    const replies = await pipe.incr(k.pausesVersion).exec();
    for (const [err] of replies ?? []) if (err) throw err;
  }

  return {
    /** Active pauses now (read-only). */
    async list(): Promise<Pause[]> {
      const t = now();
      return (await all()).filter((p) => p.until > t).sort((a, b) => a.createdAt - b.createdAt);
    },

    /**
     * Active pauses through the version counter: one GET per call, the hash reloaded only when
     * a pause was added or removed since. What a worker calls before every step; `version` is
     * what it read, for `changedSince` right before it acts.
     */
    async current(): Promise<{ version: string; pauses: Pause[] }> {
      const version = (await redis.get(k.pausesVersion)) ?? '0';
      if (!cache || cache.version !== version) cache = { version, pauses: await all() };
      const t = now();
      return { version, pauses: cache.pauses.filter((p) => p.until > t) };
    },

    /** Whether any pause was added or removed since `version` was read (one GET). */
    async changedSince(version: string): Promise<boolean> {
      return ((await redis.get(k.pausesVersion)) ?? '0') !== version;
    },

    async pause(scope: PauseScope, o: { by: string; reason: string; forMs: number }): Promise<Pause> {
      if (!(o.forMs > 0 && o.forMs <= MAX_PAUSE_MS))
        throw new BadInputError('for', 'expected a duration from 1s to 7d');
      const t = now();
      const p: Pause = { id: pauseIdOf(scope), scope, by: o.by, reason: o.reason, createdAt: t, until: t + o.forMs };
      // Expired pauses go at the same time: the hash holds only what may still hold a job.
      const stale = (await all()).filter((x) => x.until <= t && x.id !== p.id).map((x) => x.id);
      const pipe = redis.multi().hset(k.pauses, p.id, JSON.stringify(p));
      if (stale.length > 0) pipe.hdel(k.pauses, ...stale);
      await bump(pipe);
      return p;
    },

    /**
     * End a pause now. Returns it (undefined when there was none) and the jobs it held, for
     * the caller to wake: each one checks the pauses again before it acts.
     */
    async resume(id: string): Promise<{ pause: Pause | undefined; held: { host: string; jobId: string }[] }> {
      const raw = await redis.hget(k.pauses, id);
      const held = await redis.zrange(k.pauseWaiters, 0, 999);
      const pipe = redis.multi().hdel(k.pauses, id);
      if (held.length > 0) pipe.zrem(k.pauseWaiters, ...held);
      await bump(pipe);
      return {
        pause: raw ? (JSON.parse(raw) as Pause) : undefined,
        held: held.map((m) => {
          const bar = m.indexOf('|');
          return { host: m.slice(0, bar), jobId: m.slice(bar + 1) };
        }),
      };
    },

    /** Note a job held by a pause, so a resume wakes it. */
    async hold(host: string, jobId: string): Promise<void> {
      const t = now();
      await redis
        .multi()
        .zadd(k.pauseWaiters, t, `${host}|${jobId}`)
        .zremrangebyscore(k.pauseWaiters, '-inf', t - MAX_PAUSE_MS)
        .exec();
    },
  };
}

export type Pauses = ReturnType<typeof createPauses>;
