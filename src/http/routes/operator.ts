import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { BadInputError, coerceError } from '../../errors.js';
import { APPROVAL_ID_RULE } from '../../guards/approvals.js';
import type { Operator } from '../../guards/operator.js';
import { parseFor, pauseIdOf, scopeFrom } from '../../guards/pauses.js';
import { bearerMatches } from '../auth.js';

/**
 * The operator API: answer approvals, pause and resume, re-arm a cooldown or a circuit. It has
 * its own bearer token (OPERATOR_TOKEN), separate from the webhook's (whoever can post alerts
 * must not be able to approve what they trigger) and from the queue UI's; without it these
 * routes are not mounted. The CLI does the same through Redis (see README "Staying in control").
 */

export interface OperatorRouteDeps {
  token: string;
  operator: Operator;
}

const Who = {
  by: Type.String({ minLength: 1, maxLength: 200 }),
  reason: Type.String({ minLength: 1, maxLength: 1000 }),
};
const Scope = {
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
  remediation: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  all: Type.Optional(Type.Boolean()),
};

const STATUS: Record<string, number> = { ok: 200, missing: 404, answered: 409, gone: 409, expired: 410 };

function badInput(reply: FastifyReply, err: unknown) {
  if (err instanceof BadInputError) {
    return reply.code(400).send({ error: 'bad request', field: err.field, message: err.message });
  }
  throw err;
}

export const operatorRoutes =
  (deps: OperatorRouteDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const op = deps.operator;
    app.addHook('onRequest', async (req, reply) => {
      if (!bearerMatches(req.headers.authorization, deps.token)) {
        reply.header('WWW-Authenticate', 'Bearer realm="remediator operator"');
        return reply.code(401).send({ error: 'unauthorized', message: 'the operator API needs OPERATOR_TOKEN' });
      }
    });
    app.setErrorHandler((err, req, reply) => {
      if ((err as { validation?: unknown }).validation) {
        return reply.code(400).send({ error: 'bad request', message: coerceError(err).message });
      }
      req.log.warn({ err: coerceError(err).message }, 'operator request failed');
      reply.header('Retry-After', '5');
      return reply.code(503).send({ error: 'unavailable', message: 'Redis cannot be reached now; retry' });
    });

    app.get(
      '/api/v1/approvals',
      { schema: { querystring: Type.Object({ all: Type.Optional(Type.String({ maxLength: 5 })) }) } },
      async (req) => ({ approvals: await op.approvals.list({ all: req.query.all === 'true' }) }),
    );

    app.post(
      '/api/v1/approvals/:id',
      {
        schema: {
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          body: Type.Object(
            { decision: Type.Union([Type.Literal('approve'), Type.Literal('deny')]), ...Who },
            { additionalProperties: false },
          ),
        },
      },
      async (req, reply) => {
        const { id } = req.params;
        if (!APPROVAL_ID_RULE.test(id)) {
          return reply.code(400).send({ error: 'bad request', field: 'id', message: 'expected 12 hex digits' });
        }
        const { decision, by, reason } = req.body;
        const { result, approval } = await op.answer(id, decision, { by, reason, at: Date.now(), via: 'api' });
        return reply.code(STATUS[result] ?? 409).send({ result, approval });
      },
    );

    app.get('/api/v1/pauses', async () => ({ pauses: await op.pauses.list() }));

    app.post(
      '/api/v1/pauses',
      {
        schema: {
          body: Type.Object(
            { ...Scope, for: Type.String({ minLength: 2, maxLength: 16 }), ...Who },
            { additionalProperties: false },
          ),
        },
      },
      async (req, reply) => {
        try {
          const scope = scopeFrom(req.body);
          const pause = await op.pause(scope, {
            by: req.body.by,
            reason: req.body.reason,
            forMs: parseFor(req.body.for),
          });
          return reply.code(201).send({ pause });
        } catch (err) {
          return badInput(reply, err);
        }
      },
    );

    app.post(
      '/api/v1/resume',
      {
        schema: {
          body: Type.Object(
            { ...Scope, by: Who.by, reason: Type.Optional(Who.reason) },
            { additionalProperties: false },
          ),
        },
      },
      async (req, reply) => {
        try {
          const id = pauseIdOf(scopeFrom(req.body));
          const { pause, woken } = await op.resume(id, { by: req.body.by, reason: req.body.reason ?? '' });
          if (!pause) return reply.code(404).send({ error: 'not found', message: `no pause ${id}` });
          return { resumed: pause, woken };
        } catch (err) {
          return badInput(reply, err);
        }
      },
    );

    app.post(
      '/api/v1/reset',
      {
        schema: {
          body: Type.Object(
            {
              what: Type.Union([Type.Literal('cooldown'), Type.Literal('circuit')]),
              remediation: Type.String({ minLength: 1, maxLength: 64 }),
              target: Type.String({ minLength: 1, maxLength: 300 }),
              ...Who,
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req, reply) => {
        try {
          const { what, ...o } = req.body;
          return await op.reset(what, o);
        } catch (err) {
          return badInput(reply, err);
        }
      },
    );
  };
