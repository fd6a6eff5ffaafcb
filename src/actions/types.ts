import type { Static, TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { ContainerInfo, DockerPort } from '../docker/port.js';

/**
 * Durable scratch space in Redis. A job can run again after a worker died mid-action
 * (at-least-once); an action writes what it is about to do here first, and on the rerun reads
 * it back to check whether the Docker call already happened.
 */
export interface JobMemo {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

/** The Compose (or label-selected) service an action works on, for `scale`. */
export interface ServiceRef {
  name: string;
  project: string | undefined;
  /** Labels that select the service's replicas. */
  selector: Record<string, string>;
}

/** A Swarm service, when the target is `swarmService:` (scale and rollback go through the Swarm API). */
export interface SwarmServiceRef {
  id: string;
  name: string;
  /** Spec version, for ServiceUpdate's optimistic concurrency. */
  version: number;
  labels: Record<string, string>;
}

/** Everything an action may use. Actions import nothing else with side effects. */
export interface ActionContext {
  docker: DockerPort;
  log: Logger;
  /** Aborted at the step's timeout and at the shutdown deadline: stop and clean up. */
  signal: AbortSignal;
  dryRun: boolean;
  /** Per (job, step), across attempts: what this step did, for a rerun after a crash. */
  memo: JobMemo;
  /** Per alert episode, shared by its fire and onResolved jobs: e.g. the values an undo restores. */
  episode: JobMemo;
  /** Per Docker host, long-lived: e.g. the images a container ran before (rollback). */
  hostState: JobMemo;
  jobId: string;
  /** The Docker host acted on (a name from the hosts file, or `local`). */
  host: string;
  /** Failed attempts of this step before this one (a rerun after a crash keeps the count). */
  attempt: number;
  /** Resolved, opted-in containers (for host-wide actions such as prune: empty). */
  targets: ContainerInfo[];
  service: ServiceRef | undefined;
  swarm: SwarmServiceRef | undefined;
  /** Label that marks a container as remediable, e.g. remediator.enable. */
  optInLabel: string;
  /** The step's verification policy, for actions that check their own change (recreate). */
  verify: { running: boolean; healthy: boolean; withinMs: number } | undefined;
}

/** What an action did (or, in dry-run, would have done). Stored in the job's result. */
export interface ActionResult {
  /** One line a human reads in Slack or the history. */
  summary: string;
  /** False when the action found nothing to do (already done, at bound). */
  changed: boolean;
  details: Record<string, unknown>;
  /** State before and after, as the engine reported it (replicas, limits, networks, image). */
  before?: Record<string, unknown> | undefined;
  after?: Record<string, unknown> | undefined;
  /**
   * Containers to verify afterwards when they are not the resolved targets (a recreate's new
   * container, a scale-out's replicas). Ids.
   */
  verifyIds?: string[] | undefined;
}

/** Which targets an action needs resolved before it runs. */
export type ActionScope = 'container' | 'service' | 'host';

/** A problem a cross-field check found, with its path inside the action (`/max`). */
export interface ParamProblem {
  path: string;
  reason: string;
}

/**
 * One action type, declared in its own file: what the engine, `check`, `simulate` and the
 * notifications need to know about it comes from here, not from special cases elsewhere.
 */
export interface ActionHandler<P> {
  /** The parameters' schema, with a `type` literal; `check` validates the file against it. */
  schema: TSchema;
  scope: ActionScope;
  /**
   * Interrupts what the target serves (restart, stop, kill, recreate, pause, disconnect): such
   * steps count against a Compose service's share, the blast-radius limits and approval policy.
   */
  disruptive: boolean | ((params: P) => boolean);
  /**
   * What a container-state verification means after this action: `running` (the default for
   * container and service scope: running, and healthy where it has a health check), or `none`
   * (stop, pause, kill: the target is not meant to run; only a `verify.query` applies).
   */
  verifies?: 'running' | 'none';
  /**
   * Honours `ctx.signal`: aborted, it stops its work (exec kills its process) and settles only
   * once it has. The engine then waits for it before releasing the target's lock. Other
   * actions are single Docker calls that cannot be interrupted.
   */
  abortable?: boolean;
  /**
   * Why this action, with these params, needs a human's approval before it acts (the approval
   * policy), or undefined when it does not. A step's `approve:` overrides it either way.
   */
  needsApproval?(params: P): string | undefined;
  /** Cross-field checks beyond the schema (min ≤ max, ...), for `check` and every start. */
  check?(params: P): ParamProblem[];
  /** What it will do, for a human: "restart api (stop timeout 10s)". `on` names the targets. */
  describe(params: P, on: string): string;
  run(params: P, ctx: ActionContext): Promise<ActionResult>;
}

/** Declare an action: its params type comes from its schema, so `run` is checked against it. */
export function defineAction<S extends TSchema>(
  schema: S,
  definition: NoInfer<Omit<ActionHandler<Static<S>>, 'schema'>>,
): ActionHandler<Static<S>> {
  return { schema, ...definition };
}

/** Whether an action with these params is disruptive. */
export function isDisruptive<P>(handler: ActionHandler<P>, params: P): boolean {
  return typeof handler.disruptive === 'function' ? handler.disruptive(params) : handler.disruptive;
}

/** "api", "api, web", "api, web and 3 more": target names for a sentence. */
export function namesOf(targets: { name: string }[], max = 3): string {
  const names = targets.map((t) => t.name);
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}
