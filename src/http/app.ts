import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { Catalog } from '../catalog/catalog.js';
import type { Config } from '../config.js';
import { EnqueueUnavailableError } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { Producer } from '../queue/producer.js';
import type { AdminDeps } from './routes/admin.js';
import type { UiDeps } from './routes/ui.js';
import { apiRoutes, type ApiDeps } from './routes/api.js';
import { healthRoutes } from './routes/health.js';
import { operatorRoutes, type OperatorRouteDeps } from './routes/operator.js';
import { slackInteractionRoutes, type SlackInteractionDeps } from './routes/slack-interactions.js';
import { webhookRoutes } from './routes/webhook.js';

export interface AppDeps {
  config: Pick<Config, 'auth' | 'bodyLimit'>;
  log: Logger;
  metrics: Metrics;
  producer: Producer;
  catalog: () => Catalog;
  readiness: {
    redis: () => Promise<unknown>;
    docker?: (() => Promise<unknown>) | undefined;
    /** Per Docker host: worker up or down, jobs waiting (shown by /readyz, not a readiness check). */
    hosts?: (() => Promise<Record<string, unknown>>) | undefined;
  };
  refreshQueueMetrics?: () => Promise<void>;
  /** Set when the process is stopping: the webhook answers 503 so Alertmanager retries elsewhere. */
  lifecycle: { draining: boolean };
  /** Operator API (/api/v1: history, simulate, rules); each part is mounted only when given. */
  history?: ApiDeps['history'];
  simulate?: ApiDeps['simulate'];
  catalogStatus?: ApiDeps['catalogStatus'];
  stats?: ApiDeps['stats'];
  /** The operator page under /ui (admin credentials); absent: not mounted, 404. */
  ui?: UiDeps | undefined;
  /** Queue UI under /admin; absent (ADMIN_USER/ADMIN_PASSWORD unset): not mounted, 404. */
  admin?: AdminDeps | undefined;
  /** Approvals, pauses, reset behind OPERATOR_TOKEN; absent: not mounted, 404. */
  operator?: OperatorRouteDeps | undefined;
  /** POST /slack/interactions (Approve / Deny buttons); absent (no SLACK_SIGNING_SECRET): 404. */
  slackInteractions?: SlackInteractionDeps | undefined;
}

/** Build the HTTP app. It never listens: the caller does, and tests use app.inject. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // One line per job state change is what operators read; per-request lines would drown it.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.bodyLimit,
    // `__proto__` / `constructor.prototype` in a body is refused with 400, not merged.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onResponse', async (req, reply) => {
    if (req.url.startsWith('/webhook/')) {
      deps.metrics.webhookRequests.inc({ code: String(reply.statusCode) });
      // The route, never the URL: a query string or an unknown path can carry a token.
      if (reply.statusCode >= 400)
        req.log.warn(
          { statusCode: reply.statusCode, method: req.method, route: req.routeOptions.url ?? '(no route)' },
          'webhook request refused',
        );
    }
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof EnqueueUnavailableError) {
      req.log.error({ err: err.message }, 'Redis cannot take the alerts: answering 503 so Alertmanager retries');
      reply.header('Retry-After', '5');
      return reply.code(503).send({ error: 'unavailable', message: 'alerts could not be queued now; retry' });
    }
    if (err.validation) {
      return reply.code(400).send({
        error: 'invalid payload',
        message: `${err.validationContext ?? 'body'}${err.validation[0]?.instancePath ?? ''} ${err.validation[0]?.message ?? err.message}`,
      });
    }
    const status = err.statusCode ?? 500;
    if (status < 500) return reply.code(status).send({ error: err.code ?? 'bad request', message: err.message });
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal error', message: 'internal error' });
  });

  app.register(webhookRoutes(deps));
  app.register(healthRoutes(deps));
  app.register(apiRoutes(deps));
  if (deps.operator) app.register(operatorRoutes(deps.operator));
  if (deps.slackInteractions) app.register(slackInteractionRoutes(deps.slackInteractions));
  // bull-board is loaded only when the UI is on (it costs memory in every process otherwise).
  const admin = deps.admin;
  if (admin) app.register(async (scope) => scope.register((await import('./routes/admin.js')).adminRoutes(admin)));
  const ui = deps.ui;
  if (ui) app.register(async (scope) => scope.register((await import('./routes/ui.js')).uiRoutes(ui)));
  return app;
}
