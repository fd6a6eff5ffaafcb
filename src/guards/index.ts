import type { RemediationSpec } from '../catalog/remediation.js';
import { globalKeys, hostKeys } from '../keys.js';
import { scriptWithKeys, type RedisClient } from '../redis.js';
import { ACQUIRE, RELEASE } from './scripts.js';

/**
 * Safety guards kept in Redis, so they hold across workers, hosts and restarts:
 * - a lock per resolved target identity on its host (one action at a time, whatever spelling
 *   a remediation used to reach it; a service-scoped step locks the service and its replicas);
 * - a cooldown per (remediation, subject) after a run, and a budget of at most N runs per
 *   window; past it the circuit is open;
 * - semaphores: actions in flight on a host, and a share of a Compose service's replicas.
 * One step's guards are checked and taken by one script (`acquire`) and given back by one
 * (`Lease.release`): a scoped resource, released in one `finally`.
 */

export interface GuardsDeps {
  redis: RedisClient;
  prefix: string;
  /** How long a target lock or a slot lasts if its worker dies without releasing it. */
  lockTtlMs: number;
  now?: () => number;
}

/** What one step of one job asks of the guards. */
export interface GuardRequest {
  host: string;
  jobId: string;
  /** The episode's fire job id (the resolved marker is kept per fire job). */
  fireJobId: string;
  remediation: Pick<RemediationSpec, 'id' | 'guards'>;
  /** Identities locked for the step: `container/<name>`, `service/<project>/<name>`, `host`. */
  locks: string[];
  /** Identities the cooldown and budget are kept per (the step's targets). */
  subjects: string[];
  /** Apply cooldown and budget (the fix); onResolved undoes and is not limited by them. */
  admit: boolean;
  /** A fire job stops once its episode resolved. */
  checkResolved: boolean;
  maxInFlight: number;
  /** Disruptive actions on a Compose service's replicas: at most `limit` at once. */
  share?: { group: string; limit: number } | undefined;
}

/** What every guard says now, in the order they are checked. */
export interface GuardView {
  /** The first guard that stops the step; undefined when all pass. */
  blocker: 'resolved' | 'lock' | 'cooldown' | 'circuit_open' | 'in_flight' | 'share' | undefined;
  lock: { holder: string | undefined; identity: string | undefined; ttlMs: number };
  cooldown: { holder: string | undefined; subject: string | undefined; remainingMs: number; configuredMs: number };
  budget: {
    runsInWindow: number;
    limit: number | undefined;
    windowMs: number | undefined;
    reopensInMs: number;
    /** Why the circuit is open although the budget is not spent: the fix does not hold. */
    recurrence?: string | undefined;
  };
  inFlight: { used: number; max: number };
  share: { used: number; limit: number } | undefined;
}

/** What acquire took; give it back with release (once, in a finally). */
export interface Lease {
  view: GuardView;
  /**
   * Give every guard back. `acted`: start the cooldown (a fix ran). `keepLocks`: the action
   * could not be confirmed stopped, so its targets stay locked until the lock TTL.
   * Returns the ids of jobs that waited for the released locks (the caller wakes them).
   */
  release(opts: { acted: boolean; keepLocks?: boolean }): Promise<string[]>;
}

type Reply = [string, string, number, number, number, number, number];

export function createGuards(deps: GuardsDeps) {
  const { redis, prefix } = deps;
  const now = deps.now ?? Date.now;
  const run = (name: string, script: string, keys: string[], args: (string | number)[]): Promise<unknown> =>
    scriptWithKeys(redis, name, script)(keys, args.map(String));

  function keysFor(r: GuardRequest) {
    const k = hostKeys(prefix, r.host);
    return {
      k,
      locks: r.locks.map((id) => k.lock(id)),
      waiters: r.locks.map((id) => k.lockWaiters(id)),
      subjects: r.subjects.flatMap((s) => [
        k.cooldown(r.remediation.id, s),
        k.runs(r.remediation.id, s),
        k.circuit(r.remediation.id, s),
      ]),
      share: k.share(r.share?.group ?? '-'),
    };
  }

  function viewOf(r: GuardRequest, reply: Reply): GuardView {
    const [blocker, a, b, c, inUsed, shareUsed, runs] = reply;
    const budget = r.remediation.guards.budget;
    return {
      blocker: blocker === '' ? undefined : (blocker as GuardView['blocker']),
      lock:
        blocker === 'lock'
          ? { holder: a, identity: r.locks[Number(c)], ttlMs: Math.max(0, Number(b)) }
          : { holder: undefined, identity: undefined, ttlMs: 0 },
      cooldown:
        blocker === 'cooldown'
          ? {
              holder: a,
              subject: r.subjects[Number(c)],
              remainingMs: Math.max(0, Number(b)),
              configuredMs: r.remediation.guards.cooldownMs,
            }
          : { holder: undefined, subject: undefined, remainingMs: 0, configuredMs: r.remediation.guards.cooldownMs },
      budget: {
        runsInWindow: Number(runs),
        limit: budget?.runs,
        windowMs: budget?.windowMs,
        reopensInMs: blocker === 'circuit_open' ? Number(b) : 0,
        recurrence: blocker === 'circuit_open' && a !== '' ? a : undefined,
      },
      inFlight: { used: Number(inUsed), max: r.maxInFlight },
      share: r.share ? { used: Number(shareUsed), limit: r.share.limit } : undefined,
    };
  }

  async function check(r: GuardRequest, take: boolean): Promise<GuardView> {
    const ks = keysFor(r);
    const budget = r.remediation.guards.budget;
    const reply = (await run(
      'remediatorGuardsAcquire',
      ACQUIRE,
      [
        ks.k.resolved(r.fireJobId),
        ks.k.inFlight,
        ks.share,
        ...ks.locks,
        ...ks.waiters,
        ...ks.subjects,
        ks.k.recurrenceOpen(r.remediation.id),
      ],
      [
        r.jobId,
        now(),
        deps.lockTtlMs,
        r.maxInFlight,
        r.share?.limit ?? 0,
        budget?.windowMs ?? 0,
        budget?.runs ?? 0,
        r.admit ? 1 : 0,
        take ? 1 : 0,
        r.checkResolved ? 1 : 0,
        take ? 1 : 0,
        r.locks.length,
        r.subjects.length,
      ],
    )) as Reply;
    const view = viewOf(r, reply);
    if (take && view.blocker === 'circuit_open') {
      // For the gauge: open circuits in one sorted set, read in O(open circuits) per scrape. A fix
      // that does not hold is one circuit for the remediation on the host (the member the
      // feedback wrote, src/stats/feedback.ts), not one more per target it blocks.
      const subject = view.budget.recurrence !== undefined ? 'recurrence' : (r.subjects[0] ?? '');
      const member = `${r.remediation.id}|${r.host}|${subject}`;
      await redis.zadd(globalKeys(prefix).circuits, now() + view.budget.reopensInMs, member);
    }
    return view;
  }

  return {
    /**
     * Take every guard of one step at once, or none: a Lease when all pass, else the view that
     * says which guard stopped it (and, for a busy lock, the job is registered to be woken).
     */
    async acquire(r: GuardRequest): Promise<{ lease: Lease; view: GuardView } | { lease: undefined; view: GuardView }> {
      const view = await check(r, true);
      if (view.blocker !== undefined) return { lease: undefined, view };
      const ks = keysFor(r);
      let released = false;
      const lease: Lease = {
        view,
        async release({ acted, keepLocks = false }) {
          if (released) return [];
          released = true;
          const cooldown = acted && r.admit ? r.remediation.guards.cooldownMs : 0;
          const cooldownKeys = r.subjects.map((s) => ks.k.cooldown(r.remediation.id, s));
          const woken = (await run(
            'remediatorGuardsRelease',
            RELEASE,
            [ks.k.inFlight, ks.share, ...ks.locks, ...ks.waiters, ...cooldownKeys],
            [r.jobId, now(), keepLocks ? 1 : 0, cooldown, r.locks.length, r.subjects.length, deps.lockTtlMs],
          )) as string[];
          return woken.filter((id) => id !== r.jobId);
        },
      };
      return { lease, view };
    },

    /** What every guard would decide now, writing nothing (simulate, dry-run). */
    peek: (r: GuardRequest): Promise<GuardView> => check(r, false),

    /** Open circuits now per remediation, for the remediator_circuit_open gauge. */
    async openCircuits(): Promise<Map<string, number>> {
      const key = globalKeys(prefix).circuits;
      const t = now();
      const [, members] = (await redis
        .multi()
        .zremrangebyscore(key, '-inf', t)
        .zrangebyscore(key, t, '+inf')
        .exec()) as [[Error | null, number], [Error | null, string[]]];
      const open = new Map<string, number>();
      for (const m of members[1] ?? []) {
        const rem = m.split('|')[0] ?? '';
        open.set(rem, (open.get(rem) ?? 0) + 1);
      }
      return open;
    },

    /** Open circuits now, one row per (remediation, host, subject) with when it closes (the /ui page). */
    async listOpenCircuits(): Promise<OpenCircuit[]> {
      const flat = await redis.zrangebyscore(globalKeys(prefix).circuits, now(), '+inf', 'WITHSCORES');
      const out: OpenCircuit[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const [remediation = '', host = '', ...subject] = flat[i]!.split('|');
        out.push({ remediation, host, subject: subject.join('|'), untilMs: Number(flat[i + 1]) });
      }
      return out;
    },
  };
}

/** One open circuit: what is not acted on, where, until when. */
export interface OpenCircuit {
  remediation: string;
  host: string;
  /** The target identity it is open for (e.g. container/api). */
  subject: string;
  /** Epoch ms when it closes by itself. */
  untilMs: number;
}

export type Guards = ReturnType<typeof createGuards>;

/** The view of guards nobody asked (no target looked up): nothing blocks, nothing counted. */
export function unaskedGuardView(spec: Pick<RemediationSpec, 'guards'>, maxInFlight: number): GuardView {
  return {
    blocker: undefined,
    lock: { holder: undefined, identity: undefined, ttlMs: 0 },
    cooldown: { holder: undefined, subject: undefined, remainingMs: 0, configuredMs: spec.guards.cooldownMs },
    budget: {
      runsInWindow: 0,
      limit: spec.guards.budget?.runs,
      windowMs: spec.guards.budget?.windowMs,
      reopensInMs: 0,
    },
    inFlight: { used: 0, max: maxInFlight },
    share: undefined,
  };
}
