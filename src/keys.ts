/**
 * Every Redis key remediator writes, in one place, and Redis Cluster safe.
 *
 * A Cluster routes a key by its hash tag (the text between the first `{` and `}`). Each group
 * of keys that one Lua script or one pipeline touches together shares a tag:
 * - `{<host>}`: everything about one Docker host: its BullMQ queue, its episodes, job memos,
 *   resolved markers, target locks, cooldowns, budgets and in-flight slots. One script can
 *   then take every guard of a job at once, and hosts spread over the Cluster's shards;
 * - `{history}`: history records and their indexes (one script writes a record atomically);
 * - `{notify}`: notification delivery: every sink's queue, per episode its sequence numbers and state;
 * - `{global}`: what spans hosts: pauses, the fleet-wide in-flight cap, open circuits.
 *
 * Values that come from outside (remediation ids, container names, label values) are
 * URI-encoded so a `:` or `{` in them can never change a key's shape or slot.
 */

const enc = (s: string): string => encodeURIComponent(s);

/** A Docker host's name: the same rule as container names (it appears in keys and queue names). */
export const HOST_NAME_RULE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
/** The host a remediation acts on when it names none (one engine, DOCKER_HOST). */
export const DEFAULT_HOST = 'local';
/**
 * Host names that are hash tags of other groups: a host called `global` would have
 * `{global}:inflight`, the fleet-wide in-flight cap, as its own in-flight key.
 */
export const RESERVED_HOST_NAMES: readonly string[] = ['global', 'history', 'notify'];

/** Why `name` cannot be a host name, or undefined when it can. */
export function hostNameProblem(name: string): string | undefined {
  if (!HOST_NAME_RULE.test(name)) return 'a host name is [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters';
  if (RESERVED_HOST_NAMES.includes(name)) return `"${name}" is reserved (${RESERVED_HOST_NAMES.join(', ')})`;
  return undefined;
}

/** Keys of one Docker host, all in the hash slot of `{host}`. */
export function hostKeys(prefix: string, host: string) {
  const t = `${prefix}:{${host}}`;
  return {
    /** BullMQ prefix of this host's remediation queue (`<t>:remediations:*`). */
    queuePrefix: t,
    /** The episode record: claimed by the webhook, then the job's state; outlives the job. */
    episode: (jobId: string) => `${t}:episode:${jobId}`,
    /** Set when Alertmanager said the episode resolved: a fire job that runs later does nothing. */
    resolved: (fireJobId: string) => `${t}:resolved:${fireJobId}`,
    /** Durable per-job scratch space: runbook cursor, step attempts, what an action did. */
    memo: (jobId: string) => `${t}:memo:${jobId}`,
    /** Per episode, shared by its fire and onResolved jobs (values an undo puts back). */
    episodeMemo: (fireJobId: string) => `${t}:emem:${fireJobId}`,
    /** One action at a time per resolved target identity (container, service, host). */
    lock: (identity: string) => `${t}:lock:${enc(identity)}`,
    /** Jobs waiting for that lock, woken when it is released (no polling). */
    lockWaiters: (identity: string) => `${t}:lockw:${enc(identity)}`,
    cooldown: (remediation: string, identity: string) => `${t}:cooldown:${enc(remediation)}:${enc(identity)}`,
    runs: (remediation: string, identity: string) => `${t}:runs:${enc(remediation)}:${enc(identity)}`,
    circuit: (remediation: string, identity: string) => `${t}:circuit:${enc(remediation)}:${enc(identity)}`,
    /** Actions in flight on this host (a semaphore with expiring slots). */
    inFlight: `${t}:inflight`,
    /** Disruptive actions in flight per Compose service (at most a share of its replicas). */
    share: (service: string) => `${t}:share:${enc(service)}`,
    /** Long-lived per-host state actions keep (e.g. the images a container ran, for rollback). */
    state: (field: string) => `${t}:state:${enc(field)}`,
    /** The Alertmanager silence a job created while acting. */
    silence: (jobId: string) => `${t}:silence:${jobId}`,
    /**
     * Set (with a TTL) while a remediation's fix does not hold on this host (its recurrence rate
     * is over `guards.recurrence`): the value is the reason, and ACQUIRE opens the circuit on it.
     */
    recurrenceOpen: (remediation: string) => `${t}:recopen:${enc(remediation)}`,
    /**
     * Set (atomically, beside BullMQ's job lock in this slot) when the host-down watchdog
     * escalated a job no worker took: a worker that takes it later ends it without acting.
     */
    hostDown: (jobId: string) => `${t}:hostdown:${jobId}`,
    /**
     * The onResolved job waiting out its `after:` for (remediation, alert fingerprint): a new
     * firing episode of the same alert (a re-fire) finds it here and cancels it.
     */
    pendingUndo: (remediation: string, fingerprint: string) => `${t}:undo:${enc(remediation)}:${enc(fingerprint)}`,
  };
}
export type HostKeys = ReturnType<typeof hostKeys>;

/** Keys that span hosts, in the slot of `{global}`. */
export function globalKeys(prefix: string) {
  const t = `${prefix}:{global}`;
  return {
    /** Actions in flight across every host (MAX_IN_FLIGHT_GLOBAL). */
    inFlight: `${t}:inflight`,
    /** Open circuits: member `remediation|host|identity`, score = when it closes (ms). */
    circuits: `${t}:circuits`,
    /** Pauses: hash id -> JSON; `pausesVersion` bumps on every change. */
    pauses: `${t}:pauses`,
    pausesVersion: `${t}:pauses:v`,
    /** Jobs held by a pause (member `host|jobId`), woken by a resume. */
    pauseWaiters: `${t}:pauses:waiters`,
    /** Disruptive actions started per minute across the fleet (a sliding window). */
    disruptive: `${t}:disruptive`,
    /** Approval requests: zset id -> requested at (ms), the index of `approval(id)`. */
    approvals: `${t}:approvals`,
    /** One approval request (JSON), expiring after its retention. */
    approval: (id: string) => `${t}:approval:${enc(id)}`,
    /** Firing episodes no job is acting on, and why: hash `host|fireJobId` -> JSON. */
    unhandled: `${t}:unhandled`,
    /** Signatures of Slack interactions already taken (replays are refused). */
    slackSeen: (signature: string) => `${t}:slack:seen:${enc(signature)}`,
    /** Operator actions (pause, resume, reset, approve, deny) counted per action: hash. */
    operatorCounts: `${t}:operator:counts`,
    /** Worker heartbeats per host: hash host -> last seen ms. */
    heartbeats: `${t}:heartbeats`,
  };
}
export type GlobalKeys = ReturnType<typeof globalKeys>;

/** History records and their indexes, in the slot of `{history}`. */
export function historyKeys(prefix: string) {
  const t = `${prefix}:{history}`;
  return {
    recPrefix: `${t}:rec:`,
    rec: (jobId: string) => `${t}:rec:${enc(jobId)}`,
    time: `${t}:time`,
    idx: (field: string, value: string) => `${t}:idx:${field}:${enc(value)}`,
    /** Effectiveness rollups (counters per remediation, step and host). */
    stats: (bucket: string) => `${t}:stats:${bucket}`,
    /** What `stats(bucket)` keys start with (the Lua scripts build bucket keys from it). */
    statsPrefix: `${t}:stats:`,
    /** The last success of a remediation for one alert (fingerprint): what a re-fire recurs after. */
    lastSuccess: (remediation: string, fingerprint: string) =>
      `${t}:stats:last:${enc(remediation)}:${enc(fingerprint)}`,
  };
}
export type HistoryKeys = ReturnType<typeof historyKeys>;

/**
 * Notification delivery, in the slot of `{notify}`: one BullMQ queue per sink, and per (sink,
 * episode) the counter that numbers its changes and the record of what it delivered.
 */
export function notifyKeys(prefix: string) {
  const t = `${prefix}:{notify}`;
  return {
    /** BullMQ prefix of every sink's delivery queue. */
    queuePrefix: t,
    /** BullMQ name of one sink's delivery queue (`notify-slack`, `notify-pagerduty`, ...). */
    queue: (sink: string) => `notify-${sink}`,
    /** Counter handing out the seq numbers of one sink's changes of one episode. */
    seq: (sink: string, episode: string) => `${t}:seq:${enc(sink)}:${enc(episode)}`,
    /** Hash: last seq delivered (`done`) and the sink's state of the episode (`state`, JSON). */
    delivery: (sink: string, episode: string) => `${t}:delivery:${enc(sink)}:${enc(episode)}`,
  };
}
export type NotifyKeys = ReturnType<typeof notifyKeys>;
