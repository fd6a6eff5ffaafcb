import type { RedisClient } from '../redis.js';
import type { Config } from '../config.js';
import type { EngineControl } from '../engine/control.js';
import { createApprovals } from './approvals.js';
import { createFleetRate } from './fleet-rate.js';
import { createPauses } from './pauses.js';
import { createUnhandled } from './unhandled.js';

/**
 * The operator's controls on one Redis connection: pauses, approvals, the fleet's rate of
 * disruptive actions, the unhandled-episodes marks, and the view the engine takes of them.
 * Built by the composition root once per connection (the worker's waits out a Redis outage).
 */
export function createControl(
  redis: RedisClient,
  config: Pick<Config, 'queuePrefix' | 'approvals' | 'maxDisruptivePerMinute'>,
) {
  const prefix = config.queuePrefix;
  const pauses = createPauses({ redis, prefix });
  const approvals = createApprovals({ redis, prefix });
  const fleetRate = createFleetRate({ redis, prefix, perMinute: config.maxDisruptivePerMinute ?? 30 });
  const unhandled = createUnhandled({ redis, prefix });
  const engine: EngineControl = {
    pauses,
    approvals,
    fleetRate,
    approvalTimeoutMs: config.approvals?.timeoutMs ?? 900_000,
    approvalAboveContainers: config.approvals?.aboveContainers ?? 5,
  };
  return { pauses, approvals, fleetRate, unhandled, engine };
}

export type Control = ReturnType<typeof createControl>;
