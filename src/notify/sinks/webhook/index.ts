import { Type } from '@sinclair/typebox';
import { ConfigError } from '../../../errors.js';
import { urlSecrets } from '../../http.js';
import { defineSink } from '../../sink.js';

/**
 * A generic webhook: one signed JSON body per transition, for automation. The signature is
 * `X-Remediator-Signature: sha256=<hex HMAC-SHA256 of the raw body with WEBHOOK_SINK_SECRET>`;
 * each transition has an idempotency key (header and body) that a retry repeats.
 */
export interface WebhookSettings {
  url: string;
  secret: string;
}

export const WEBHOOK_SECRET_MIN = 16;

export const webhook = defineSink<WebhookSettings>({
  name: 'webhook',
  title: 'generic webhook: one signed JSON body per transition',
  variables: {
    WEBHOOK_SINK_URL: {
      schema: Type.String({ pattern: '^https?://[^\\s]+$' }),
      hint: 'the receiver, an http(s):// URL, e.g. https://automation.example.com/remediator',
      secret: true,
    },
    WEBHOOK_SINK_SECRET: {
      schema: Type.String({ minLength: WEBHOOK_SECRET_MIN }),
      hint: `the shared HMAC secret, at least ${WEBHOOK_SECRET_MIN} characters, e.g. from openssl rand -hex 32`,
      secret: true,
    },
  },
  parse(v) {
    if (v.WEBHOOK_SINK_URL === undefined && v.WEBHOOK_SINK_SECRET === undefined) return undefined;
    if (v.WEBHOOK_SINK_URL === undefined)
      throw new ConfigError('WEBHOOK_SINK_URL', 'WEBHOOK_SINK_SECRET is set: set the URL to send to as well');
    if (v.WEBHOOK_SINK_SECRET === undefined)
      throw new ConfigError(
        'WEBHOOK_SINK_SECRET',
        'not set: every body is signed, so the webhook sink needs a shared secret (or WEBHOOK_SINK_SECRET_FILE)',
      );
    return { url: v.WEBHOOK_SINK_URL, secret: v.WEBHOOK_SINK_SECRET };
  },
  secrets: (s) => [...urlSecrets(s.url), s.secret],
  defaults: 'all',
  delivery: { concurrency: 4, limiter: { max: 50, duration: 1_000 } },
  create: async (settings) => (await import('./sink.js')).createWebhookSink(settings),
});
