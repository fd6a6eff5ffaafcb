import { Type, type Static } from '@sinclair/typebox';
import { exec, ExecParams } from './exec.js';
import { kill, KillParams } from './kill.js';
import { prune, PruneParams } from './prune.js';
import { restart, RestartParams } from './restart.js';
import { scale, ScaleParams } from './scale.js';
import { start, StartParams } from './start.js';
import { stop, StopParams } from './stop.js';
import type { ActionHandler } from './types.js';

/** Every action a remediation file may name, as one schema discriminated by `type`. */
export const ActionSchema = Type.Union([
  RestartParams,
  StartParams,
  StopParams,
  KillParams,
  ExecParams,
  ScaleParams,
  PruneParams,
]);
export type ActionParams = Static<typeof ActionSchema>;
export type ActionType = ActionParams['type'];

/** A handler per action type: a missing one does not compile. */
export const actions: { [K in ActionType]: ActionHandler } = {
  restart: restart as ActionHandler,
  start: start as ActionHandler,
  stop: stop as ActionHandler,
  kill: kill as ActionHandler,
  exec: exec as ActionHandler,
  scale: scale as ActionHandler,
  prune: prune as ActionHandler,
};

export const ACTION_TYPES = Object.keys(actions) as ActionType[];
