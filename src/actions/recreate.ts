/**
 * `recreate`: replace a container with a new one from the same configuration (name, labels,
 * env, mounts, networks, restart policy, healthcheck...), optionally on another image or with
 * env overrides: the fix for a container whose state is wrong in a way a restart keeps. The
 * phases and their rollback live in recreate-core.ts; targets go one at a time.
 */
import { Type } from '@sinclair/typebox';
import type { ContainerInfo } from '../docker/port.js';
import { currentPlan, originalName, recreateContainer, type Recreated } from './recreate-core.js';
import { assertOptedIn, upPolicy } from './support.js';
import { defineAction, type ActionContext, type ActionResult } from './types.js';

/** An image reference as Docker takes it (`repo/app:1.2`, `app@sha256:…`, `sha256:…`). */
export const ImageRef = Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9._/:@-]{0,254}$' });

export const RecreateParams = Type.Object(
  {
    type: Type.Literal('recreate'),
    /** Run another image (it must be on the engine: remediator never pulls). */
    image: Type.Optional(ImageRef),
    /** Environment variables set on the new container, on top of the old one's. */
    env: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$' }), Type.String({ maxLength: 4096 }), {
        maxProperties: 64,
        // Without it a key breaking the pattern would pass unchecked.
        additionalProperties: false,
      }),
    ),
    /** Seconds Docker waits after SIGTERM when stopping the old container. */
    stopTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 600, default: 10 })),
    /**
     * Only the targets that are not running (a service's exited replicas, after a `start` could
     * not keep them up); the running ones are left as they are.
     */
    stoppedOnly: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

/** "(image app:2, env LOG_LEVEL)" for a sentence; empty without overrides. */
function overrides(p: { image?: string | undefined; env?: Record<string, string> | undefined }): string {
  const parts = [p.image ? `image ${p.image}` : '', p.env ? `env ${Object.keys(p.env).join(', ')}` : ''].filter(
    Boolean,
  );
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** The result of recreating each container, as recreate and rollback report it. */
export function recreatedResult(verb: string, done: Recreated[]): ActionResult {
  const lines = done.map(
    (r) =>
      `${r.name} ${r.oldId.slice(0, 12)} -> ${r.newId.slice(0, 12)}` +
      (r.oldImage !== r.newImage ? ` (image ${r.oldImage} -> ${r.newImage})` : '') +
      (r.already ? ' (already done)' : ''),
  );
  return {
    summary: `${verb} ${lines.join('; ')}`,
    changed: done.some((r) => !r.already),
    details: { containers: done },
    before: Object.fromEntries(done.map((r) => [r.name, { id: r.oldId, image: r.oldImage }])),
    after: Object.fromEntries(done.map((r) => [r.name, { id: r.newId, image: r.newImage }])),
    verifyIds: done.map((r) => r.newId),
  };
}

export const keepsOld = (ctx: ActionContext) =>
  `keeping the old container until the new one is up within ${Math.round(upPolicy(ctx).withinMs / 1000)}s`;

export const recreate = defineAction(RecreateParams, {
  scope: 'container',
  disruptive: true,
  needsApproval: () => 'recreate replaces the container with a new one',
  describe: (p, on) =>
    `recreate ${p.stoppedOnly ? `those of ${on} that are not running` : on}${overrides(p)}, keeping the old container until the new one is verified (stop timeout ${p.stopTimeoutSeconds ?? 10}s)`,
  async run(params, ctx) {
    assertOptedIn(ctx);
    // A rerun after a crash may find the new container already running: its plan says it is
    // still this step's to finish.
    const targets: ContainerInfo[] = [];
    for (const c of ctx.targets)
      if (!params.stoppedOnly || !c.running || (await currentPlan(ctx, originalName(c)))) targets.push(c);
    if (targets.length === 0) {
      return {
        summary: `nothing to recreate: ${ctx.targets.map((c) => c.name).join(', ')} running`,
        changed: false,
        details: { containers: [], running: ctx.targets.map((c) => c.name) },
      };
    }
    const names = targets.map((c) => c.name).join(', ');
    if (ctx.dryRun) {
      return {
        summary: `would recreate ${names}${overrides(params)}, ${keepsOld(ctx)}`,
        changed: false,
        details: { containers: names, image: params.image, env: params.env ? Object.keys(params.env) : [] },
      };
    }
    const done: Recreated[] = [];
    for (const c of targets) {
      done.push(
        await recreateContainer(ctx, c, {
          image: params.image,
          env: params.env,
          stopTimeoutSeconds: params.stopTimeoutSeconds ?? 10,
        }),
      );
    }
    return recreatedResult('recreated', done);
  },
});
