// POST /webhook/alertmanager: credentials before the body is read, the envelope checked (400
// only for a body that can never be valid), then each alert on its own: the well-formed ones
// are enqueued and the 202 lists every alert refused alone, so one bad alert never loses its
// group (Alertmanager drops a 4xx notification for good).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { splitAlerts, type IgnoredField, type RefusedAlert } from '../../alertmanager/split.js';
import { BadInputError } from '../../errors.js';
import type { IngestResult } from '../../queue/producer.js';
import type { AppDeps } from '../app.js';
import { authorize, challenge } from '../auth.js';

/** The 202's body: what was enqueued, and each alert refused alone (refusals are final). */
export interface AcceptedBody extends Omit<IngestResult, 'alerts'> {
  /** `accepted`: every alert taken; `partial`: some refused; `refused`: all of them refused. */
  status: 'accepted' | 'partial' | 'refused';
  /** Alerts in the body. */
  alerts: number;
  /** Alerts that were well-formed and went on to matching and enqueueing. */
  accepted: number;
  refused: RefusedAlert[];
  /** Group fields left out as invalid (the alerts went on without them). */
  ignored: IgnoredField[];
  /** Present when something was refused: says that a retry cannot help. */
  note?: string;
}

const FINAL =
  'refused alerts are final: a retry of the same alert cannot succeed; fix its source (label or annotation size, ' +
  'field types) in Prometheus or the sender';

export const webhookRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/webhook/alertmanager',
      {
        bodyLimit: deps.config.bodyLimit,
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
        let split;
        try {
          split = splitAlerts(req.body);
        } catch (err) {
          if (!(err instanceof BadInputError)) throw err;
          return reply.code(400).send({ error: 'invalid payload', field: err.field, message: err.message });
        }
        const { payload, refused, ignored } = split;
        const result = await deps.producer.ingest(payload);
        // Counted and logged once the delivery is accepted: a 503 (Alertmanager retries) counts nothing.
        for (const r of refused) {
          deps.metrics.alertsRefused.inc({ reason: r.reason });
          req.log.warn(
            {
              index: r.index,
              fingerprint: r.fingerprint,
              alertname: r.alertname,
              field: r.field,
              reason: r.reason,
              problem: r.message,
            },
            'alert refused: the rest of its delivery was accepted',
          );
        }
        if (ignored.length > 0) req.log.warn({ ignored }, 'invalid group fields left out of the delivery');
        const total = payload.alerts.length + refused.length;
        const body: AcceptedBody = {
          ...result,
          status: refused.length === 0 ? 'accepted' : payload.alerts.length === 0 ? 'refused' : 'partial',
          alerts: total,
          accepted: payload.alerts.length,
          refused,
          ignored,
          ...(refused.length > 0 && { note: FINAL }),
        };
        return reply.code(202).send(body);
      },
    );
  };
