import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { healthRoutes, type HealthDeps } from './routes/health.js';

/**
 * The listener of `remediator worker` (the worker role alone): /healthz, /readyz and /metrics,
 * nothing else. It gives the image's HEALTHCHECK something to ask and Prometheus the worker's
 * own counters (remediations by outcome, escalations), which only the worker process has; it
 * takes no webhook and serves no API, so it needs no secret. It never listens: the runtime does.
 */
export interface WorkerAppDeps extends HealthDeps {
  log: Logger;
}

export function buildWorkerApp(deps: WorkerAppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // Only GETs without a body come here.
    bodyLimit: 1024,
    return503OnClosing: true,
  });
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status < 500) return reply.code(status).send({ error: err.code ?? 'bad request', message: err.message });
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal error', message: 'internal error' });
  });
  app.register(healthRoutes(deps));
  return app;
}
