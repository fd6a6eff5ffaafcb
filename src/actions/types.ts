import type { Static, TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { ContainerInfo, DockerPort } from '../docker/port.js';

/**
 * Durable per-job scratch space in Redis. A job can run again after a worker died mid-action
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

/** Everything an action may use. Actions import nothing else with side effects. */
export interface ActionContext {
  docker: DockerPort;
  log: Logger;
  signal: AbortSignal;
  dryRun: boolean;
  memo: JobMemo;
  jobId: string;
  /** Failed attempts before this one (a rerun after a crash keeps the count; a retry adds one). */
  attempt: number;
  /** Resolved, opted-in containers (for host-wide actions such as prune: empty). */
  targets: ContainerInfo[];
  service: ServiceRef | undefined;
  /** Label that marks a container as remediable, e.g. remediator.enable. */
  optInLabel: string;
}

/** What an action did (or, in dry-run, would have done). Stored in the job's result. */
export interface ActionResult {
  /** One line a human reads in Slack or the history. */
  summary: string;
  /** False when the action found nothing to do (already done, at bound). */
  changed: boolean;
  details: Record<string, unknown>;
}

/** Which targets an action needs resolved before it runs. */
export type ActionScope = 'container' | 'service' | 'host';

export interface ActionHandler<S extends TSchema = TSchema> {
  schema: S;
  scope: ActionScope;
  run(params: Static<S>, ctx: ActionContext): Promise<ActionResult>;
}

export const defineAction = <S extends TSchema>(handler: ActionHandler<S>): ActionHandler<S> => handler;
