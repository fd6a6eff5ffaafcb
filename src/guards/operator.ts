import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis.js';
import { BadInputError } from '../errors.js';
import type { HistoryRecord, HistoryStore } from '../history/index.js';
import { DEFAULT_HOST, HOST_NAME_RULE, globalKeys, hostKeys } from '../keys.js';
import { createApprovals, type Approval, type ApprovalAnswer, type SettleResult } from './approvals.js';
import { createPauses, scopeText, type Pause, type PauseScope } from './pauses.js';
import { createUnhandled } from './unhandled.js';

/**
 * What an operator does to stay in control, in one place for the CLI (which talks to Redis
 * directly) and the operator API: pause and resume, answer approvals, re-arm a cooldown or a
 * circuit. Each action is recorded in history (outcome `operator`) and counted in Redis
 * (`remediator_operator_actions_total`, exposed by every process), and wakes the jobs it
 * concerns so they go on without polling.
 */

export const OPERATOR_ACTIONS = ['pause', 'resume', 'approve', 'deny', 'reset_cooldown', 'reset_circuit'] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

/** Wake a delayed job so it checks again now; false when it is not waiting (running, ended, gone). */
export type Wake = (host: string, jobId: string) => Promise<boolean>;

export interface OperatorDeps {
  redis: RedisClient;
  prefix: string;
  history: Pick<HistoryStore, 'record'>;
  wake: Wake;
  /** BullMQ state of a job (`delayed`, `active`, `completed`, ... or `unknown`). */
  jobState(host: string, jobId: string): Promise<string>;
  now?: () => number;
}

/** `[HOST/]container/NAME`, `[HOST/]service/PROJECT/NAME`, `[HOST/]swarm/NAME`, `[HOST/]host` or `[HOST/]NAME`. */
export function parseIdentity(text: string): { host: string; identity: string } {
  const parts = text.split('/');
  const kinds = ['container', 'service', 'swarm', 'host'];
  const host = kinds.includes(parts[0]!) || parts.length === 1 ? DEFAULT_HOST : parts.shift()!;
  if (!HOST_NAME_RULE.test(host)) throw new BadInputError('target', `"${host}" is not a Docker host name`);
  const name = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
  const [kind, ...rest] = parts;
  const ok =
    (kind === 'host' && rest.length === 0) ||
    ((kind === 'container' || kind === 'swarm') && rest.length === 1 && name.test(rest[0]!)) ||
    (kind === 'service' && rest.length === 2 && (rest[0] === '' || name.test(rest[0]!)) && name.test(rest[1]!));
  if (ok) return { host, identity: parts.join('/') };
  if (parts.length === 1 && name.test(kind!)) return { host, identity: `container/${kind}` };
  throw new BadInputError(
    'target',
    `"${text}" is not a target: use [HOST/]NAME, [HOST/]container/NAME, [HOST/]service/PROJECT/NAME, [HOST/]swarm/NAME or [HOST/]host`,
  );
}

export function createOperator(deps: OperatorDeps) {
  const { redis } = deps;
  const now = deps.now ?? Date.now;
  const g = globalKeys(deps.prefix);
  const pauses = createPauses(deps);
  const approvals = createApprovals(deps);
  const unhandled = createUnhandled(deps);

  async function record(
    action: OperatorAction,
    o: { by: string; reason: string; remediation?: string; host?: string; target?: string; summary: string },
  ): Promise<void> {
    const t = now();
    const rec: HistoryRecord = {
      jobId: `operator.${action}.${t}.${randomBytes(3).toString('hex')}`,
      remediation: o.remediation ?? '',
      hash: '',
      phase: 'fire',
      host: o.host ?? DEFAULT_HOST,
      action,
      alertname: '',
      fingerprint: '',
      startsAt: new Date(t).toISOString(),
      target: o.target ?? '',
      targets: [],
      outcome: 'operator',
      summary: o.summary,
      escalation: undefined,
      attempts: 0,
      dryRun: false,
      receivedAt: t,
      finishedAt: t,
      durationMs: 0,
      steps: [],
      operator: { action, by: o.by, reason: o.reason },
    };
    await redis.hincrby(g.operatorCounts, action, 1);
    await deps.history.record(rec, 'final');
  }

  return {
    pauses,
    approvals,

    async pause(scope: PauseScope, o: { by: string; reason: string; forMs: number }): Promise<Pause> {
      const p = await pauses.pause(scope, o);
      await record('pause', {
        ...o,
        remediation: scope.kind === 'remediation' ? scope.id : undefined,
        host: scope.kind === 'target' ? scope.host : undefined,
        target: scope.kind === 'target' ? scope.name : undefined,
        summary: `paused ${scopeText(scope)} until ${new Date(p.until).toISOString()} by ${o.by}: ${o.reason}`,
      });
      return p;
    },

    /** End a pause now and wake the jobs it held; `woken` is how many were waiting. */
    async resume(id: string, o: { by: string; reason: string }): Promise<{ pause: Pause | undefined; woken: number }> {
      const { pause, held } = await pauses.resume(id);
      let woken = 0;
      for (const h of held) if (await deps.wake(h.host, h.jobId).catch(() => false)) woken++;
      if (pause) {
        await record('resume', {
          ...o,
          remediation: pause.scope.kind === 'remediation' ? pause.scope.id : undefined,
          host: pause.scope.kind === 'target' ? pause.scope.host : undefined,
          target: pause.scope.kind === 'target' ? pause.scope.name : undefined,
          summary: `resumed ${scopeText(pause.scope)} (paused by ${pause.by}) by ${o.by}${o.reason ? `: ${o.reason}` : ''}`,
        });
      }
      return { pause, woken };
    },

    /**
     * Answer an approval. `gone`: the job no longer waits for it (the alert resolved, or it was
     * removed), so the request is cancelled and nothing runs.
     */
    async answer(
      id: string,
      decision: 'approve' | 'deny',
      answer: ApprovalAnswer,
    ): Promise<{ result: SettleResult | 'gone'; approval: Approval | undefined }> {
      const current = await approvals.get(id);
      if (!current) return { result: 'missing', approval: undefined };
      if (current.state === 'pending') {
        const state = await deps.jobState(current.host, current.jobId);
        if (!['delayed', 'waiting', 'active', 'prioritized'].includes(state)) {
          const cancelled = await approvals.cancel(id);
          return { result: 'gone', approval: cancelled.approval ?? current };
        }
      }
      const settled = await approvals.answer(id, decision === 'approve' ? 'approved' : 'denied', answer);
      if (settled.result === 'ok' && settled.approval) {
        await redis.hincrby(g.operatorCounts, decision, 1);
        await deps.wake(settled.approval.host, settled.approval.jobId).catch(() => false);
      }
      return settled;
    },

    /**
     * Re-arm a (remediation, target): `cooldown` ends its cooldown now, `circuit` forgets the
     * runs counted in the budget window and closes the circuit. Returns whether there was
     * anything to clear.
     */
    async reset(
      kind: 'cooldown' | 'circuit',
      o: { remediation: string; target: string; by: string; reason: string },
    ): Promise<{ cleared: boolean; host: string; identity: string }> {
      const { host, identity } = parseIdentity(o.target);
      const k = hostKeys(deps.prefix, host);
      let cleared: boolean;
      if (kind === 'cooldown') {
        cleared = (await redis.del(k.cooldown(o.remediation, identity))) > 0;
        // Jobs waiting the cooldown out go on now (each checks its guards again).
        for (const e of await unhandled.entries()) {
          if (e.reason === 'cooldown' && e.remediation === o.remediation && e.host === host) {
            await deps.wake(e.host, e.jobId).catch(() => false);
          }
        }
      } else {
        const [runs, circuit] = await Promise.all([
          redis.del(k.runs(o.remediation, identity)),
          redis.del(k.circuit(o.remediation, identity)),
        ]);
        const open = await redis.zrem(g.circuits, `${o.remediation}|${host}|${identity}`);
        cleared = runs + circuit + open > 0;
      }
      await record(kind === 'cooldown' ? 'reset_cooldown' : 'reset_circuit', {
        by: o.by,
        reason: o.reason,
        remediation: o.remediation,
        host,
        target: identity.split('/').pop()!,
        summary:
          `${kind} of ${o.remediation} on ${host}/${identity} reset by ${o.by}: ${o.reason}` +
          (cleared ? '' : ` (there was no ${kind === 'cooldown' ? 'cooldown' : 'run or open circuit'} to clear)`),
      });
      return { cleared, host, identity };
    },

    /** Operator actions counted so far, per action (for the metric). */
    async counts(): Promise<Record<string, number>> {
      const h = await redis.hgetall(g.operatorCounts);
      return Object.fromEntries(Object.entries(h).map(([a, n]) => [a, Number(n)]));
    },
  };
}

export type Operator = ReturnType<typeof createOperator>;
