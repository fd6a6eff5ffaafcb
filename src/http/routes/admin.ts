import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../../config.js';
import { authorize } from '../auth.js';

export interface AdminDeps {
  /** ADMIN_USER / ADMIN_PASSWORD: separate from the webhook's, so Alertmanager's secret cannot open the UI. */
  credentials: NonNullable<Config['admin']>;
  /** The queues to show: "remediations", and each notification sink's ("notify-slack", ...) when this process has them. */
  queues: Queue[];
  basePath?: string;
}

export const ADMIN_BASE_PATH = '/admin';

/** The page without `<link href="http(s)://...">` elements (stylesheets, preconnects to other hosts). */
export const withoutExternalLinks = (html: string): string =>
  html.replace(/<link\b[^>]*\bhref=["']?(?:https?:)?\/\/[^>]*>[ \t]*\n?/gi, '');

/** The outcome the engine wrote as a job's progress, if it did. */
function outcomeOf(progress: unknown): { outcome: string; summary: string } | undefined {
  if (typeof progress !== 'object' || progress === null) return undefined;
  const { outcome, summary } = progress as { outcome?: unknown; summary?: unknown };
  if (typeof outcome !== 'string') return undefined;
  const text = typeof summary === 'string' ? summary : '';
  return { outcome, summary: text.length > 160 ? `${text.slice(0, 157)}...` : text };
}

/**
 * The queue UI (bull-board) under /admin, behind basic auth. The hook sits in this plugin's
 * own context, so it covers the page, its API and its static files, and nothing else.
 */
export const adminRoutes =
  (deps: AdminDeps): FastifyPluginAsync =>
  async (app) => {
    const base = deps.basePath ?? ADMIN_BASE_PATH;
    const auth: Config['auth'] = { disabled: false, token: undefined, basic: deps.credentials };
    app.addHook('onRequest', async (req, reply) => {
      if (!authorize(req.headers.authorization, auth)) {
        // The challenge makes a browser ask for the admin credentials.
        reply.header('WWW-Authenticate', 'Basic realm="remediator admin", charset="UTF-8"');
        return reply
          .code(401)
          .send({ error: 'unauthorized', message: 'the queue UI needs the ADMIN_USER / ADMIN_PASSWORD credentials' });
      }
    });
    // bull-board's page links its fonts from Google: a request to a third party from the
    // operator's browser, on a page that may sit on a network without internet. Absolute
    // <link>s go; the UI falls back to the system fonts and loads everything else from here.
    app.addHook('onSend', async (_req, reply, payload) => {
      const type = String(reply.getHeader('content-type') ?? '');
      return typeof payload === 'string' && type.startsWith('text/html') ? withoutExternalLinks(payload) : payload;
    });
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(base);
    createBullBoard({
      queues: deps.queues.map((q) => {
        const adapter = new BullMQAdapter(q, {
          description: `BullMQ queue "${q.name}" (prefix ${q.opts.prefix ?? 'bull'})`,
        });
        // BullMQ calls every job that ended without an error "completed", and bull-board shows
        // it green: a cooldown, a skip or a dry run would read as a fix. The card's title says
        // the outcome the engine recorded (its progress), and the data starts with it.
        adapter.setFormatter('name', (job: { name?: string; progress?: unknown }) => {
          const o = outcomeOf(job.progress);
          return o ? `${job.name ?? ''} · ${o.outcome}: ${o.summary}` : (job.name ?? '');
        });
        return adapter;
      }),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'remediator', hideDocsLink: true } },
    });
    await app.register(serverAdapter.registerPlugin(), { prefix: base });
  };
