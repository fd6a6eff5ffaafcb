import { postJson } from '../../http.js';
import type { Change, Sink } from '../../sink.js';
import { signature, webhookBody } from './body.js';
import type { WebhookSettings } from './index.js';

/**
 * The webhook sink: every change is one POST of its JSON body, signed over the exact bytes
 * sent. The idempotency key names the change (episode and its place in the chain), so a retry
 * after a timeout carries the same key and a receiver can drop the repeat.
 */
export const SIGNATURE_HEADER = 'x-remediator-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export function createWebhookSink(settings: WebhookSettings): Sink<Record<string, never>> {
  async function deliver({ episode, seq, event, io }: Change<Record<string, never>>): Promise<void> {
    const key = `${episode}.n${seq}`;
    const raw = JSON.stringify(webhookBody(event, episode, key));
    await io.call('post', {
      endpoint: 'POST WEBHOOK_SINK_URL',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signature(settings.secret, raw),
        [IDEMPOTENCY_HEADER]: key,
        'x-remediator-event': event.type,
      },
      body: raw,
    });
  }
  return {
    name: 'webhook',
    mode: 'signed-json',
    initial: () => ({}),
    deliver,
    async send(req) {
      const res = await postJson(settings.url, req, 'webhook sink');
      return { status: res.status };
    },
    previewAnswer: () => ({ status: 200 }),
  };
}
