/**
 * `redeploy`: `docker service update --force` for a Swarm service: every task is replaced
 * with the same spec (fresh containers, rescheduled). Swarm targets only; a container's
 * equivalent is `recreate`.
 */
import { Type } from '@sinclair/typebox';
import { RefusedError } from '../errors.js';
import { redeployService } from './swarm.js';
import { defineAction } from './types.js';

export const RedeployParams = Type.Object({ type: Type.Literal('redeploy') }, { additionalProperties: false });

export const redeploy = defineAction(RedeployParams, {
  scope: 'service',
  disruptive: true,
  describe: (_p, on) => `redeploy Swarm service ${on} (update --force: every task replaced)`,
  async run(_params, ctx) {
    if (!ctx.swarm) throw new RefusedError('redeploy needs a Swarm service target; for a container use recreate');
    return redeployService(ctx);
  },
});
