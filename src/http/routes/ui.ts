import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../../config.js';
import { coerceError, HistoryFilterError } from '../../errors.js';
import { esc } from '../../ui/html.js';
import { renderPage } from '../../ui/page.js';
import type { UiSources } from '../../ui/sources.js';
import { authorize } from '../auth.js';
import { DEFAULT_STATS_SINCE, statsQueryOf } from './stats.js';

/**
 * The operator page under /ui, behind the admin credentials (ADMIN_USER / ADMIN_PASSWORD, as
 * /admin): did the fixes work? Server-rendered; the Content-Security-Policy lets the browser
 * load nothing at all beyond the document (no script, font, image or style from anywhere).
 */

export interface UiDeps {
  credentials: NonNullable<Config['admin']>;
  sources: UiSources;
  /** The catalog's remediation ids, for the page's filter. */
  remediations: () => string[];
  now?: () => number;
}

const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const UiQuery = Type.Object(
  {
    since: Type.Optional(Type.String({ maxLength: 64 })),
    remediation: Type.Optional(Type.String({ maxLength: 64 })),
    host: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { additionalProperties: false },
);

const message = (title: string, text: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>remediator: ${esc(title)}</title></head>` +
  `<body><h1>${esc(title)}</h1><p>${esc(text)}</p><p><a href="/ui">back</a></p></body></html>`;

export const uiRoutes =
  (deps: UiDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const auth: Config['auth'] = { disabled: false, token: undefined, basic: deps.credentials };
    const now = deps.now ?? Date.now;
    app.addHook('onRequest', async (req, reply) => {
      if (!authorize(req.headers.authorization, auth)) {
        reply.header('WWW-Authenticate', 'Basic realm="remediator admin", charset="UTF-8"');
        return reply
          .code(401)
          .type('text/plain; charset=utf-8')
          .send('the operator page needs the ADMIN_USER / ADMIN_PASSWORD credentials');
      }
    });
    app.addHook('onSend', async (_req, reply) => {
      reply.header('Content-Security-Policy', CSP);
      reply.header('X-Content-Type-Options', 'nosniff');
      reply.header('Cache-Control', 'no-store');
    });

    // `/ui` and `/ui/` (a bookmark either way).
    for (const url of ['/ui', '/ui/'])
      app.get(url, { schema: { querystring: UiQuery } }, async (req, reply) => {
        reply.type('text/html; charset=utf-8');
        let q;
        try {
          q = statsQueryOf(req.query, now());
        } catch (err) {
          if (err instanceof HistoryFilterError) return reply.code(400).send(message('Invalid filter', err.message));
          throw err;
        }
        try {
          const [report, episodes, circuits, pauses, approvals] = await Promise.all([
            deps.sources.stats(q),
            deps.sources.episodes({ ...q, limit: 50 }),
            deps.sources.openCircuits(),
            deps.sources.pauses(),
            deps.sources.approvals(),
          ]);
          return renderPage({
            report,
            episodes,
            circuits,
            pauses,
            approvals,
            now: now(),
            query: {
              since: req.query.since ?? DEFAULT_STATS_SINCE,
              remediation: q.remediation ?? '',
              host: q.host ?? '',
            },
            remediations: deps.remediations(),
          });
        } catch (err) {
          req.log.warn({ err: coerceError(err).message }, 'operator page unavailable');
          reply.header('Retry-After', '5');
          return reply.code(503).send(message('Unavailable', `Redis cannot be read now: ${coerceError(err).message}`));
        }
      });
  };
