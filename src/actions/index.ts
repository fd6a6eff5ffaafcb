import { Type, type Static } from '@sinclair/typebox';
import { collect, CollectParams } from './collect.js';
import { exec, ExecParams } from './exec.js';
import { kill, KillParams } from './kill.js';
import { network, NetworkParams } from './network.js';
import { pause, PauseParams } from './pause.js';
import { prune, PruneParams } from './prune.js';
import { recreate, RecreateParams } from './recreate.js';
import { redeploy, RedeployParams } from './redeploy.js';
import { restart, RestartParams } from './restart.js';
import { rollback, RollbackParams } from './rollback.js';
import { scale, ScaleParams } from './scale.js';
import { start, StartParams } from './start.js';
import { stop, StopParams } from './stop.js';
import { unpause, UnpauseParams } from './unpause.js';
import { update, UpdateParams } from './update.js';
import { isDisruptive, type ActionContext, type ActionHandler, type ActionResult } from './types.js';

/** Every action a remediation file may name, as one schema discriminated by `type`. */
export const ActionSchema = Type.Union([
  RestartParams,
  StartParams,
  StopParams,
  KillParams,
  ExecParams,
  ScaleParams,
  PruneParams,
  PauseParams,
  UnpauseParams,
  UpdateParams,
  NetworkParams,
  RecreateParams,
  RollbackParams,
  RedeployParams,
  CollectParams,
]);
export type ActionParams = Static<typeof ActionSchema>;
export type ActionType = ActionParams['type'];
/** The parameters of one action type. */
export type ParamsOf<K extends ActionType> = Extract<ActionParams, { type: K }>;
type ParamMap = { [K in ActionType]: ParamsOf<K> };

/**
 * A handler per action type, each keeping its own parameter type: a missing handler, or one
 * whose params do not match its `type`, does not compile.
 */
export const actions: { [K in ActionType]: ActionHandler<ParamMap[K]> } = {
  restart,
  start,
  stop,
  kill,
  exec,
  scale,
  prune,
  pause,
  unpause,
  update,
  network,
  recreate,
  rollback,
  redeploy,
  collect,
};

export const ACTION_TYPES = Object.keys(actions) as ActionType[];

/** The handler of an action type, typed for its params. */
export function handlerOf<K extends ActionType>(type: K): ActionHandler<ParamMap[K]> {
  return actions[type];
}

/** Run an action with its own handler: the type ties params to handler, no cast to a base. */
export function runAction<K extends ActionType>(
  type: K,
  params: ParamMap[K],
  ctx: ActionContext,
): Promise<ActionResult> {
  return handlerOf(type).run(params, ctx);
}

/** What an action will do, for a human. */
export function describeAction<K extends ActionType>(type: K, params: ParamMap[K], on: string): string {
  return handlerOf(type).describe(params, on);
}

/** Why the approval policy asks a human before this action, with these params; undefined: it does not. */
export function actionNeedsApproval<K extends ActionType>(type: K, params: ParamMap[K]): string | undefined {
  return handlerOf(type).needsApproval?.(params);
}

/** Whether this action, with these params, interrupts what its target serves. */
export function actionIsDisruptive<K extends ActionType>(type: K, params: ParamMap[K]): boolean {
  return isDisruptive(handlerOf(type), params);
}
