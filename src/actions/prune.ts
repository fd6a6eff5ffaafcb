import { Type, type Static } from '@sinclair/typebox';
import { plural } from '../plural.js';
import { defineAction } from './types.js';

export const PruneParams = Type.Object(
  {
    type: Type.Literal('prune'),
    /** Stopped containers, only those carrying the opt-in label. */
    containers: Type.Optional(Type.Boolean({ default: true })),
    /** dangling (untagged) images, every unused image, or none. */
    images: Type.Optional(Type.Union([Type.Literal('dangling'), Type.Literal('unused'), Type.Literal(false)])),
    buildCache: Type.Optional(Type.Boolean({ default: true })),
    networks: Type.Optional(Type.Boolean({ default: false })),
    /** Volumes hold data: only when the remediation says so. */
    volumes: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

type Prune = Static<typeof PruneParams>;

/** What a prune removes, defaults applied. */
function pruneWhat(p: Prune) {
  return {
    containers: p.containers ?? true,
    images: p.images ?? 'dangling',
    buildCache: p.buildCache ?? true,
    networks: p.networks ?? false,
    volumes: p.volumes ?? false,
  };
}

/** "stopped opted-in containers, dangling images, the build cache". */
function pruneList(p: Prune): string {
  return Object.entries(pruneWhat(p))
    .filter(([, v]) => v !== false)
    .map(([k, v]) =>
      k === 'images'
        ? `${v} images`
        : k === 'containers'
          ? 'stopped opted-in containers'
          : k === 'buildCache'
            ? 'the build cache'
            : k,
    )
    .join(', ');
}

export const prune = defineAction(PruneParams, {
  scope: 'host',
  disruptive: false,
  needsApproval: (p) => (p.volumes ? 'prune with volumes: true deletes data' : undefined),
  describe: (p) => `prune ${pruneList(p)}`,
  async run(params, ctx) {
    const what = pruneWhat(params);
    const list = pruneList(params);
    if (ctx.dryRun) return { summary: `would prune ${list}`, changed: false, details: { ...what } };
    const report = await ctx.docker.prune({
      containersWithLabel: what.containers ? `${ctx.optInLabel}=true` : undefined,
      images: what.images,
      buildCache: what.buildCache,
      networks: what.networks,
      volumes: what.volumes,
    });
    ctx.log.info({ bytesReclaimed: report.bytesReclaimed }, 'docker pruned');
    const mb = (report.bytesReclaimed / 1_048_576).toFixed(1);
    return {
      summary: `pruned ${list}: ${mb} MiB reclaimed (${plural(report.containersDeleted.length, 'container')}, ${plural(report.imagesDeleted, 'image')})`,
      changed: report.bytesReclaimed > 0 || report.containersDeleted.length > 0 || report.imagesDeleted > 0,
      details: { ...report },
    };
  },
});
