import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../app.js';
import { withTimeout } from '../../time.js';

async function check(fn: () => Promise<unknown>, ms = 1_000): Promise<string> {
  try {
    await withTimeout(fn(), ms, `no answer in ${ms} ms`);
    return 'ok';
  } catch (err) {
    return (err as Error).message;
  }
}

/** What the health routes read: shared by the HTTP app and the worker's own listener. */
export type HealthDeps = Pick<AppDeps, 'readiness' | 'catalog' | 'lifecycle' | 'metrics' | 'refreshQueueMetrics'>;

export const healthRoutes =
  (deps: HealthDeps): FastifyPluginAsync =>
  async (app) => {
    // Liveness: the process answers. Nothing external, so a Redis outage does not restart it.
    app.get('/healthz', async () => ({ status: 'ok' }));

    // Readiness: can this instance do its job now?
    app.get('/readyz', async (_req, reply) => {
      const checks: Record<string, string> = {
        redis: await check(() => deps.readiness.redis()),
        rules: deps.catalog().remediations.length > 0 ? 'ok' : 'no remediations loaded',
      };
      if (deps.readiness.docker) checks.docker = await check(() => deps.readiness.docker!());
      if (deps.lifecycle.draining) checks.lifecycle = 'shutting down';
      const ready = Object.values(checks).every((v) => v === 'ok');
      // Per Docker host: has it a worker, and what waits for it. Information, not readiness: a
      // host without a worker holds its jobs (then escalates them); this instance still works.
      const hosts = deps.readiness.hosts
        ? await withTimeout(deps.readiness.hosts(), 2_000, 'no answer in 2000 ms').catch((err: Error) => ({
            error: err.message,
          }))
        : undefined;
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not ready',
        checks,
        remediations: deps.catalog().remediations.length,
        ...(hosts && { hosts }),
      });
    });

    app.get('/metrics', async (_req, reply) => {
      await deps.refreshQueueMetrics?.().catch(() => undefined);
      return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    });
  };
