import type { Redis } from 'ioredis';
import type { RemediationSpec } from '../catalog/remediation.js';
import { scriptCommand } from '../redis.js';
import { ACQUIRE_LOCK, ACQUIRE_SLOT, ADMIT_RUN, RELEASE_LOCK } from './scripts.js';

/**
 * Safety guards kept in Redis, so they hold across workers, hosts and restarts:
 * - a lock per target (one action at a time; the holder is the job, so its rerun may retake it);
 * - a cooldown per (remediation, target) after a run;
 * - a budget of at most N runs per window per (remediation, target); past it the circuit is open;
 * - semaphores: actions in flight across all workers, and a share of a Compose service's replicas.
 */

export interface GuardsDeps {
  redis: Redis;
  prefix: string;
  /** How long a target lock or a slot lasts if its worker dies without releasing it. */
  lockTtlMs: number;
}

export type Admission =
  | { decision: 'ok'; runsInWindow: number }
  | { decision: 'cooldown'; remainingMs: number }
  | { decision: 'circuit_open'; runsInWindow: number; reopensInMs: number };

/** What each guard would decide now, for simulate and for the job result. Reads only. */
export interface GuardView {
  lock: { held: boolean; holder: string | undefined; ttlMs: number };
  cooldown: { active: boolean; holder: string | undefined; remainingMs: number; configuredMs: number };
  budget: { runsInWindow: number; limit: number | undefined; windowMs: number | undefined; open: boolean };
  inFlight: { used: number; max: number };
}

const enc = (s: string) => encodeURIComponent(s);

export function createGuards(deps: GuardsDeps) {
  const { redis, prefix } = deps;
  const k = {
    lock: (target: string) => `${prefix}:guard:lock:${enc(target)}`,
    cooldown: (rem: string, target: string) => `${prefix}:guard:cooldown:${enc(rem)}:${enc(target)}`,
    runs: (rem: string, target: string) => `${prefix}:guard:runs:${enc(rem)}:${enc(target)}`,
    circuit: (rem: string, target: string) => `${prefix}:guard:circuit:${enc(rem)}:${enc(target)}`,
    inFlight: () => `${prefix}:guard:inflight`,
    share: (group: string) => `${prefix}:guard:share:${enc(group)}`,
  };
  // EVALSHA (defineCommand), not EVAL: the script text is not sent on every call.
  const run = (name: string, script: string, keys: string[], args: (string | number)[]): Promise<unknown> =>
    scriptCommand(redis, name, script, keys.length)(...keys, ...args.map(String));
  const evalNum = async (name: string, script: string, keys: string[], args: (string | number)[]) =>
    Number(await run(name, script, keys, args));

  return {
    keys: k,

    /** One action at a time per target. Returns false while another job holds it. */
    acquireLock: async (target: string, jobId: string) =>
      (await evalNum('remediatorAcquireLock', ACQUIRE_LOCK, [k.lock(target)], [jobId, deps.lockTtlMs])) === 1,
    releaseLock: async (target: string, jobId: string) =>
      void (await evalNum('remediatorReleaseLock', RELEASE_LOCK, [k.lock(target)], [jobId])),

    /** Take one of `limit` slots of a semaphore (global in-flight cap, service share). */
    acquireSlot: async (name: string, jobId: string, limit: number) =>
      (await evalNum('remediatorAcquireSlot', ACQUIRE_SLOT, [name], [jobId, limit, Date.now(), deps.lockTtlMs])) === 1,
    releaseSlot: async (name: string, jobId: string) => void (await redis.zrem(name, jobId)),

    /**
     * Cooldown and budget for one run of `spec` on `target`, decided atomically; with
     * `record`, an admitted run is counted and an open circuit is remembered for the gauge.
     */
    async admit(
      spec: Pick<RemediationSpec, 'id' | 'guards'>,
      target: string,
      jobId: string,
      record: boolean,
    ): Promise<Admission> {
      const b = spec.guards.budget;
      const reply = (await run(
        'remediatorAdmitRun',
        ADMIT_RUN,
        [k.cooldown(spec.id, target), k.runs(spec.id, target), k.circuit(spec.id, target)],
        [jobId, Date.now(), b?.windowMs ?? 0, b?.runs ?? 0, record ? '1' : '0'],
      )) as [string, number, number];
      const [decision, a, c] = reply;
      if (decision === 'cooldown') return { decision, remainingMs: Number(a) };
      if (decision === 'circuit_open') return { decision, runsInWindow: Number(a), reopensInMs: Number(c) };
      return { decision: 'ok', runsInWindow: Number(a) };
    },

    /** Start the cooldown after a run; the job itself may still retry through it. */
    async startCooldown(spec: Pick<RemediationSpec, 'id' | 'guards'>, target: string, jobId: string): Promise<void> {
      if (spec.guards.cooldownMs > 0) await redis.set(k.cooldown(spec.id, target), jobId, 'PX', spec.guards.cooldownMs);
    },

    /** Remediation ids with an open circuit now, for the remediator_circuit_open gauge. */
    async openCircuits(): Promise<Map<string, number>> {
      const open = new Map<string, number>();
      let cursor = '0';
      let rounds = 0;
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:guard:circuit:*`, 'COUNT', 500);
        cursor = next;
        for (const key of found) {
          const rem = decodeURIComponent(key.slice(`${prefix}:guard:circuit:`.length).split(':')[0] ?? '');
          open.set(rem, (open.get(rem) ?? 0) + 1);
        }
      } while (cursor !== '0' && ++rounds < 100);
      return open;
    },

    /** What every guard would decide now, changing nothing. */
    async peek(spec: Pick<RemediationSpec, 'id' | 'guards'>, target: string, maxInFlight: number): Promise<GuardView> {
      const now = Date.now();
      const b = spec.guards.budget;
      const [lockHolder, lockTtl, cdHolder, cdTtl, runs, inflight] = await Promise.all([
        redis.get(k.lock(target)),
        redis.pttl(k.lock(target)),
        redis.get(k.cooldown(spec.id, target)),
        redis.pttl(k.cooldown(spec.id, target)),
        b ? redis.zcount(k.runs(spec.id, target), now - b.windowMs, '+inf') : Promise.resolve(0),
        redis.zcount(k.inFlight(), now, '+inf'),
      ]);
      return {
        lock: { held: lockHolder !== null, holder: lockHolder ?? undefined, ttlMs: Math.max(0, lockTtl) },
        cooldown: {
          active: cdHolder !== null,
          holder: cdHolder ?? undefined,
          remainingMs: Math.max(0, cdTtl),
          configuredMs: spec.guards.cooldownMs,
        },
        budget: { runsInWindow: runs, limit: b?.runs, windowMs: b?.windowMs, open: b !== undefined && runs >= b.runs },
        inFlight: { used: inflight, max: maxInFlight },
      };
    },
  };
}

export type Guards = ReturnType<typeof createGuards>;
