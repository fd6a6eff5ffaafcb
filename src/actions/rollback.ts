/**
 * `rollback`: run the image a container ran before its last change. The image comes from the
 * label `remediator.rollback.image` when the container names one, else from the image history
 * remediator keeps per host (image-history.ts); it must still be on the engine (no pulls).
 * Then it is a recreate on that image, with the same guarantees. For a Swarm service target it
 * is the Swarm API's own rollback to PreviousSpec.
 */
import { Type } from '@sinclair/typebox';
import type { ContainerInfo } from '../docker/port.js';
import { RefusedError, TargetNotFoundError } from '../errors.js';
import { ROLLBACK_IMAGE_LABEL, imageHistory, markRolledBack, previousImage, recordImage } from './image-history.js';
import { currentPlan, originalName, recreateContainer, type Recreated } from './recreate-core.js';
import { keepsOld, recreatedResult } from './recreate.js';
import { assertOptedIn } from './support.js';
import { rollbackService } from './swarm.js';
import { defineAction, type ActionContext } from './types.js';

export const RollbackParams = Type.Object(
  {
    type: Type.Literal('rollback'),
    stopTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 600, default: 10 })),
  },
  { additionalProperties: false },
);

interface Choice {
  /** What the new container is created with: the recorded tag, or the id when the tag moved. */
  image: string;
  imageId: string;
  source: string;
}

async function imageIdOf(ctx: ActionContext, ref: string): Promise<string | undefined> {
  try {
    return (await ctx.docker.inspectImage(ref)).id;
  } catch (err) {
    if (err instanceof TargetNotFoundError) return undefined;
    throw err;
  }
}

/** The image to go back to, checked to be on the engine. */
async function choose(ctx: ActionContext, c: ContainerInfo): Promise<Choice> {
  const named = c.labels[ROLLBACK_IMAGE_LABEL];
  if (named !== undefined) {
    const id = await imageIdOf(ctx, named);
    if (!id)
      throw new TargetNotFoundError(`rollback image ${named} (label ${ROLLBACK_IMAGE_LABEL}) is not on the engine`);
    return { image: named, imageId: id, source: `label ${ROLLBACK_IMAGE_LABEL}` };
  }
  const history = await imageHistory(ctx.hostState, c.name);
  const prev = previousImage(history, c.imageId);
  if (!prev) {
    throw new RefusedError(
      `no earlier image recorded for ${c.name} (it runs ${c.image}; ${history.length} image(s) seen); set label ${ROLLBACK_IMAGE_LABEL}`,
    );
  }
  const source = `image history, seen ${prev.seenAt}`;
  // The tag may have moved to another build since: then the recorded id is the one to run.
  if ((await imageIdOf(ctx, prev.image)) === prev.imageId) return { image: prev.image, imageId: prev.imageId, source };
  if (await imageIdOf(ctx, prev.imageId)) return { image: prev.imageId, imageId: prev.imageId, source };
  throw new TargetNotFoundError(
    `the earlier image of ${c.name}, ${prev.image} (${prev.imageId}), is no longer on the engine`,
  );
}

export const rollback = defineAction(RollbackParams, {
  scope: 'container',
  disruptive: true,
  needsApproval: () => 'rollback puts an earlier image back in production',
  describe: (_p, on) =>
    `roll ${on} back to the image it ran before (label ${ROLLBACK_IMAGE_LABEL}, else the recorded history; Swarm: PreviousSpec), keeping the old container until the new one is verified`,
  async run(params, ctx) {
    if (ctx.swarm) return rollbackService(ctx);
    assertOptedIn(ctx);
    const lines: string[] = [];
    const same: string[] = [];
    const done: Recreated[] = [];
    const choices: Record<string, Choice> = {};
    for (const c of ctx.targets) {
      // A rerun resumes with the image chosen first: the history has moved on since.
      const pending = ctx.dryRun ? undefined : await currentPlan(ctx, originalName(c));
      const choice = pending
        ? { image: pending.image, imageId: '', source: 'the interrupted run' }
        : await choose(ctx, c);
      choices[c.name] = choice;
      if (!pending && choice.imageId === c.imageId) {
        same.push(`${c.name} already runs ${choice.image}`);
        continue;
      }
      if (ctx.dryRun) {
        lines.push(`would roll back ${c.name} from ${c.image} to ${choice.image} (${choice.source}), ${keepsOld(ctx)}`);
        continue;
      }
      if (!pending) await recordImage(ctx.hostState, c);
      const r = await recreateContainer(ctx, c, {
        image: choice.image,
        stopTimeoutSeconds: params.stopTimeoutSeconds ?? 10,
      });
      // The image left is not a place to roll back to later; the one now running is the newest seen.
      await markRolledBack(ctx.hostState, r.name, r.oldImageId);
      const now = await ctx.docker.inspect(r.newId);
      await recordImage(ctx.hostState, now);
      done.push(r);
    }
    if (ctx.dryRun || done.length === 0) {
      return { summary: [...lines, ...same].join('; '), changed: false, details: { choices } };
    }
    const result = recreatedResult('rolled back', done);
    return {
      ...result,
      summary: [result.summary, ...same].join('; '),
      details: { ...result.details, choices },
    };
  },
});
