/**
 * `collect`: evidence before a disruptive step (the logs a restart would make moot): a log
 * tail bounded in lines and bytes, an inspect summary (state, exit code, OOM kill, health log,
 * restarts, image, limits), one stats sample (CPU %, memory) and the process list. Each part
 * is read on its own: one that fails is named in the result and never fails the step.
 */
import { Type } from '@sinclair/typebox';
import type { ContainerInfo } from '../docker/port.js';
import { assertOptedIn } from './support.js';
import { defineAction, type ActionContext } from './types.js';

export const CollectParams = Type.Object(
  {
    type: Type.Literal('collect'),
    logLines: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000, default: 200 })),
    /** Bytes of log tail kept per container (it goes to the history and Slack). */
    logBytes: Type.Optional(Type.Integer({ minimum: 256, maximum: 65_536, default: 16_384 })),
    stats: Type.Optional(Type.Boolean({ default: true })),
    top: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

/** Processes kept from `top`, and characters of each field. */
const MAX_PROCESSES = 50;
const MAX_FIELD = 256;

function summaryOf(c: ContainerInfo) {
  return {
    state: c.state,
    running: c.running,
    paused: c.paused,
    health: c.health,
    exitCode: c.exitCode,
    oomKilled: c.oomKilled,
    startedAt: c.startedAt,
    restartCount: c.restartCount,
    image: c.image,
    imageId: c.imageId,
    limits: c.limits,
    networks: c.networks.map((n) => n.name),
    healthLog: c.healthLog.slice(-3),
  };
}

const what = (p: {
  stats?: boolean | undefined;
  top?: boolean | undefined;
  logLines?: number | undefined;
  logBytes?: number | undefined;
}) =>
  [
    `logs (last ${p.logLines ?? 200} lines, at most ${Math.round((p.logBytes ?? 16_384) / 1024)} KiB)`,
    'inspect',
    p.stats !== false ? 'stats' : '',
    p.top !== false ? 'top' : '',
  ]
    .filter(Boolean)
    .join(', ');

/** One part of the evidence, or the reason it could not be read. */
async function part<T>(
  failed: string[],
  name: string,
  label: string,
  read: () => Promise<T>,
): Promise<T | { error: string }> {
  try {
    return await read();
  } catch (err) {
    const error = (err instanceof Error ? err.message : String(err)).slice(0, 500);
    failed.push(`${name}: ${label} (${error})`);
    return { error };
  }
}

async function evidence(ctx: ActionContext, c: ContainerInfo, p: Parameters<typeof what>[0], failed: string[]) {
  const [inspect, logs, stats, top] = await Promise.all([
    part(failed, c.name, 'inspect', async () => summaryOf(await ctx.docker.inspect(c.id))),
    part(failed, c.name, 'logs', () =>
      ctx.docker.logs(c.id, { tailLines: p.logLines ?? 200, maxBytes: p.logBytes ?? 16_384 }),
    ),
    p.stats === false ? undefined : part(failed, c.name, 'stats', () => ctx.docker.stats(c.id)),
    p.top === false
      ? undefined
      : part(failed, c.name, 'top', async () => {
          const t = await ctx.docker.top(c.id);
          return {
            titles: t.titles,
            processes: t.processes.slice(0, MAX_PROCESSES).map((row) => row.map((f) => f.slice(0, MAX_FIELD))),
            truncated: t.processes.length > MAX_PROCESSES,
          };
        }),
  ]);
  return { container: c.name, id: c.id, inspect, logs, ...(stats && { stats }), ...(top && { top }) };
}

export const collect = defineAction(CollectParams, {
  scope: 'container',
  disruptive: false,
  // Reads only: there is nothing about the target to verify afterwards.
  verifies: 'none',
  describe: (p, on) => `collect ${what(p)} of ${on}`,
  async run(params, ctx) {
    assertOptedIn(ctx);
    const names = ctx.targets.map((c) => c.name).join(', ');
    if (ctx.dryRun) return { summary: `would collect ${what(params)} of ${names}`, changed: false, details: {} };
    const failed: string[] = [];
    const containers = [];
    // One container at a time: a stats sample holds a connection for about a second.
    for (const c of ctx.targets) containers.push(await evidence(ctx, c, params, failed));
    ctx.log.info({ containers: ctx.targets.length, failed: failed.length }, 'evidence collected');
    return {
      summary:
        `collected ${what(params)} of ${names}` +
        (failed.length > 0 ? `; could not read ${failed.map((f) => f.split(' (')[0]).join(', ')}` : ''),
      changed: false,
      details: { containers, failed },
    };
  },
});
