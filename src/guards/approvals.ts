import { createHash } from 'node:crypto';
import type { RedisClient } from '../redis.js';
import { globalKeys } from '../keys.js';
import { scriptWithKeys } from '../redis.js';

/**
 * Approval requests: a step that needs a human's yes waits (as a delayed job, no worker slot
 * held) until someone answers through Slack, the operator API or the CLI, or its deadline
 * passes. A request is one key in `{global}`; answering and expiring are one script each on
 * it, so an answer after the deadline, or a second answer, can never win.
 */

export type ApprovalState = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';

/** Who answered, when, why and how. */
export interface ApprovalAnswer {
  by: string;
  at: number;
  reason: string;
  via: 'slack' | 'api' | 'cli';
}

export interface Approval {
  /** 12 hex digits, the same for every run of one step of one job (a rerun finds its request). */
  id: string;
  jobId: string;
  host: string;
  remediation: string;
  alertname: string;
  step: { index: number; name: string; action: string };
  /** What it would do, for the human asked: "recreate api, keeping the old container ...". */
  describe: string;
  /** Why it needs an approval: "approve: true", or the policy's reason. */
  why: string;
  requestedAt: number;
  deadline: number;
  state: ApprovalState;
  answer?: ApprovalAnswer | undefined;
}

/** How long a request is kept after its deadline (for `remediator approvals --all`). */
export const APPROVAL_RETENTION_MS = 7 * 86_400_000;

export const approvalIdOf = (jobId: string, stepIndex: number): string =>
  createHash('sha256').update(`${jobId}|${stepIndex}`).digest('hex').slice(0, 12);

/** An approval id as typed by a human: 12 hex digits. */
export const APPROVAL_ID_RULE = /^[0-9a-f]{12}$/;

/**
 * KEYS[1] the request. ARGV[1] new state (approved/denied/expired/cancelled), [2] now ms,
 * [3] answer JSON ('' for none), [4] 'deadline' (expire only once it passed) or 'answer'
 * (only before it). Returns {result, record}: result ok | missing | answered | expired | early.
 */
const SETTLE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return {'missing', ''} end
local a = cjson.decode(raw)
local now = tonumber(ARGV[2])
if a.state ~= 'pending' then return {'answered', raw} end
if ARGV[4] == 'answer' and now >= a.deadline then return {'expired', raw} end
if ARGV[4] == 'deadline' and now < a.deadline then return {'early', raw} end
a.state = ARGV[1]
if ARGV[3] ~= '' then a.answer = cjson.decode(ARGV[3]) end
local out = cjson.encode(a)
redis.call('SET', KEYS[1], out, 'KEEPTTL')
return {'ok', out}`;

export type SettleResult = 'ok' | 'missing' | 'answered' | 'expired' | 'early';

export interface ApprovalsDeps {
  redis: RedisClient;
  prefix: string;
  now?: () => number;
}

export function createApprovals(deps: ApprovalsDeps) {
  const { redis } = deps;
  const k = globalKeys(deps.prefix);
  const now = deps.now ?? Date.now;
  const settleScript = scriptWithKeys(redis, 'remediatorApprovalSettle', SETTLE);

  async function settle(
    id: string,
    state: ApprovalState,
    answer: ApprovalAnswer | undefined,
    mode: 'answer' | 'deadline' | 'any',
  ): Promise<{ result: SettleResult; approval: Approval | undefined }> {
    const [result, raw] = (await settleScript(
      [k.approval(id)],
      [state, String(now()), answer ? JSON.stringify(answer) : '', mode],
    )) as [SettleResult, string];
    return { result, approval: raw ? (JSON.parse(raw) as Approval) : undefined };
  }

  return {
    async get(id: string): Promise<Approval | undefined> {
      const raw = await redis.get(k.approval(id));
      return raw ? (JSON.parse(raw) as Approval) : undefined;
    },

    /** Ask once: a request that exists already (a rerun of the step) is returned as it is. */
    async request(a: Omit<Approval, 'state' | 'answer'>): Promise<Approval> {
      const record: Approval = { ...a, state: 'pending' };
      const ttlMs = Math.max(1, a.deadline - now()) + APPROVAL_RETENTION_MS;
      const t = now();
      const replies = await redis
        .multi()
        .set(k.approval(a.id), JSON.stringify(record), 'PX', ttlMs, 'NX')
        .zadd(k.approvals, a.requestedAt, a.id)
        .zremrangebyscore(k.approvals, '-inf', t - APPROVAL_RETENTION_MS)
        .get(k.approval(a.id))
        .exec();
      const stored = replies?.[3]?.[1];
      return typeof stored === 'string' ? (JSON.parse(stored) as Approval) : record;
    },

    /** A human's answer; refused once answered, expired or cancelled. */
    answer(id: string, decision: 'approved' | 'denied', answer: ApprovalAnswer) {
      return settle(id, decision, answer, 'answer');
    },

    /** The deadline passed: from now on no answer is taken (the step escalates). */
    expire(id: string) {
      return settle(id, 'expired', undefined, 'deadline');
    },

    /** The job ended without it (the alert resolved meanwhile): no answer is taken any more. */
    cancel(id: string) {
      return settle(id, 'cancelled', undefined, 'any');
    },

    /** Requests, newest first; only pending ones unless `all`. */
    async list(o: { all?: boolean; limit?: number } = {}): Promise<Approval[]> {
      const ids = await redis.zrevrange(k.approvals, 0, (o.limit ?? 200) - 1);
      if (ids.length === 0) return [];
      const raws = await redis.mget(...ids.map((id) => k.approval(id)));
      const out = raws.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as Approval);
      const t = now();
      return o.all ? out : out.filter((a) => a.state === 'pending' && a.deadline > t);
    },
  };
}

export type Approvals = ReturnType<typeof createApprovals>;
