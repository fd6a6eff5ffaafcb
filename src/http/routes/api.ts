import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { WebhookPayloadSchema } from '../../alertmanager/schema.js';
import type { Catalog } from '../../catalog/catalog.js';
import { primaryAction } from '../../catalog/remediation.js';
import { whenText } from '../../engine/decide.js';
import type { ReloadStatus } from '../../catalog/reload.js';
import type { Config } from '../../config.js';
import { coerceError, HistoryFilterError } from '../../errors.js';
import { parseHistoryFilter, type HistoryStore } from '../../history/index.js';
import type { Simulator } from '../../simulate/index.js';
import type { StatsReader } from '../../stats/index.js';
import { authorize, challenge } from '../auth.js';
import { statsRoutes } from './stats.js';

/** What the operator API needs; each part is optional and its routes exist only when given. */
export interface ApiDeps {
  config: Pick<Config, 'auth' | 'bodyLimit'>;
  catalog: () => Catalog;
  history?: Pick<HistoryStore, 'query'> | undefined;
  simulate?: Simulator | undefined;
  catalogStatus?: (() => ReloadStatus | undefined) | undefined;
  /** Effectiveness rollups (GET /api/v1/stats). */
  stats?: Pick<StatsReader, 'query'> | undefined;
}

const HistoryQuery = Type.Object(
  {
    alertname: Type.Optional(Type.String({ maxLength: 256 })),
    remediation: Type.Optional(Type.String({ maxLength: 64 })),
    target: Type.Optional(Type.String({ maxLength: 256 })),
    outcome: Type.Optional(Type.String({ maxLength: 32 })),
    since: Type.Optional(Type.String({ maxLength: 64 })),
    until: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Optional(Type.String({ maxLength: 8 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  // A misspelt filter (`?alert=`) is an error, not a silently unfiltered page.
  { additionalProperties: false },
);

/** Redis (or Docker) not answering is a 503 to retry, not a 500: nothing is wrong with the request. */
function unavailable(reply: FastifyReply, log: FastifyBaseLogger, what: string, err: unknown) {
  const message = coerceError(err).message;
  log.warn({ err: message }, `${what} unavailable`);
  reply.header('Retry-After', '5');
  return reply.code(503).send({ error: 'unavailable', message: `${what} cannot be answered now: ${message}` });
}

/**
 * The operator API under /api/v1, behind the webhook's credentials (Alertmanager's secret is
 * also what scripts use): history, simulate and the loaded rules.
 */
export const apiRoutes =
  (deps: ApiDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.addHook('onRequest', async (req, reply) => {
      if (!authorize(req.headers.authorization, deps.config.auth)) {
        reply.header('WWW-Authenticate', challenge(deps.config.auth));
        return reply.code(401).send({ error: 'unauthorized', message: 'missing or wrong credentials' });
      }
    });

    app.get('/api/v1/rules', async () => {
      const c = deps.catalog();
      return {
        dir: c.dir,
        loadedAt: c.loadedAt.toISOString(),
        remediations: c.remediations.map((r) => ({
          id: r.id,
          file: r.file,
          hash: r.hash,
          description: r.description,
          match: r.match,
          action: primaryAction(r, 'fire'),
          steps: r.steps.map((st) => ({
            name: st.name,
            action: st.action.type,
            when: whenText(st.when),
            onFailure: st.onFailure,
            onSuccess: st.onSuccess,
          })),
          onResolved: r.onResolved?.action.type,
          target: r.target,
          delayMs: r.delayMs,
          guards: r.guards,
          dryRun: r.dryRun,
        })),
        lastReload: deps.catalogStatus?.(),
      };
    });

    const { history, simulate } = deps;
    // In this scope, so behind the same credentials.
    if (deps.stats) await app.register(statsRoutes(deps.stats));
    if (history) {
      app.get('/api/v1/remediations', { schema: { querystring: HistoryQuery } }, async (req, reply) => {
        let filter;
        try {
          filter = parseHistoryFilter(req.query);
        } catch (err) {
          if (err instanceof HistoryFilterError)
            return reply.code(400).send({ error: 'invalid filter', field: err.field, message: err.message });
          throw err;
        }
        try {
          return await history.query(filter);
        } catch (err) {
          return unavailable(reply, req.log, 'history', err);
        }
      });
    }

    if (simulate) {
      app.post(
        '/api/v1/simulate',
        { bodyLimit: deps.config.bodyLimit, schema: { body: WebhookPayloadSchema } },
        async (req, reply) => {
          try {
            return await simulate(req.body);
          } catch (err) {
            return unavailable(reply, req.log, 'simulate', err);
          }
        },
      );
    }
  };
