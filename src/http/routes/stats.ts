import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { coerceError, HistoryFilterError } from '../../errors.js';
import { parseTimeBound } from '../../history/index.js';
import { StatsReportSchema, type StatsReader } from '../../stats/index.js';

/**
 * `GET /api/v1/stats?since=&remediation=&host=`: how well each remediation works (from the
 * rollups, so it costs the same with 100 or 100,000 history records). Registered inside the
 * operator API's scope (api.ts), behind its credentials.
 */

export const DEFAULT_STATS_SINCE = '7d';

const StatsQuerystring = Type.Object(
  {
    since: Type.Optional(Type.String({ maxLength: 64 })),
    remediation: Type.Optional(Type.String({ maxLength: 64 })),
    host: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { additionalProperties: false },
);

const ErrorBody = Type.Object({ error: Type.String(), field: Type.Optional(Type.String()), message: Type.String() });

/** The query the route and `remediator report` take: since (an age or a date), remediation, host. */
export function statsQueryOf(
  raw: { since?: string | undefined; remediation?: string | undefined; host?: string | undefined },
  now = Date.now(),
) {
  const blank = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
  const since = parseTimeBound('since', blank(raw.since) ?? DEFAULT_STATS_SINCE, now);
  if (since > now) throw new HistoryFilterError('since', 'is in the future');
  return { since, remediation: blank(raw.remediation), host: blank(raw.host) };
}

export const statsRoutes =
  (stats: Pick<StatsReader, 'query'>): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/v1/stats',
      {
        schema: { querystring: StatsQuerystring, response: { 200: StatsReportSchema, 400: ErrorBody, 503: ErrorBody } },
      },
      async (req, reply) => {
        let q;
        try {
          q = statsQueryOf(req.query);
        } catch (err) {
          if (err instanceof HistoryFilterError)
            return reply.code(400).send({ error: 'invalid filter', field: err.field, message: err.message });
          throw err;
        }
        try {
          return await stats.query(q);
        } catch (err) {
          const message = coerceError(err).message;
          req.log.warn({ err: message }, 'stats unavailable');
          reply.header('Retry-After', '5');
          return reply.code(503).send({ error: 'unavailable', message: `stats cannot be answered now: ${message}` });
        }
      },
    );
  };
