import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WebhookPayloadSchema } from '../../alertmanager/schema.js';
import type { AppDeps } from '../app.js';
import { authorize, challenge } from '../auth.js';

export const webhookRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/webhook/alertmanager',
      {
        bodyLimit: deps.config.bodyLimit,
        schema: { body: WebhookPayloadSchema },
        // Credentials are checked before the body is even read.
        onRequest: async (req, reply) => {
          if (!authorize(req.headers.authorization, deps.config.auth)) {
            reply.header('WWW-Authenticate', challenge(deps.config.auth));
            return reply.code(401).send({ error: 'unauthorized', message: 'missing or wrong credentials' });
          }
          if (deps.lifecycle.draining) {
            reply.header('Retry-After', '5');
            return reply.code(503).send({ error: 'shutting down', message: 'this instance is stopping; retry' });
          }
        },
      },
      async (req, reply) => {
        const result = await deps.producer.ingest(req.body);
        return reply.code(202).send({ status: 'accepted', ...result });
      },
    );
  };
