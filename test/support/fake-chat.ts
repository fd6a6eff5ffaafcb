// Local servers answering as Microsoft Teams' and Mattermost's incoming webhooks do. Teams takes
// {type:"message", attachments:[{contentType:"application/vnd.microsoft.card.adaptive", content:
// <AdaptiveCard>}]} of at most 28 KB and answers 200 "1" (400 for a bad payload, 413 when too
// large); a card's <at>x</at> needs a matching mention entity. Mattermost takes {text, attachments}
// and answers 200 "ok" (400 with its JSON error when there is neither).
import { startFakeServer, type FakeServer } from './fake-http.js';

export interface FakeChat extends FakeServer {
  /** Messages taken, as sent. */
  messages(): any[];
}

const CARD = 'application/vnd.microsoft.card.adaptive';

export function teamsProblem(m: any, bytes: number): { status: number; body: string } | undefined {
  if (bytes > 28 * 1024) return { status: 413, body: 'Webhook message delivery failed: payload too large' };
  const card = m?.attachments?.[0]?.content;
  if (m?.type !== 'message' || m.attachments?.[0]?.contentType !== CARD || card?.type !== 'AdaptiveCard')
    return { status: 400, body: 'Bad payload received by generic incoming webhook.' };
  if (typeof card.version !== 'string' || !Array.isArray(card.body) || card.body.length === 0)
    return { status: 400, body: 'Bad payload received by generic incoming webhook.' };
  const text = JSON.stringify(card.body);
  const mentioned = new Set((card.msteams?.entities ?? []).map((e: any) => e.text));
  for (const at of text.match(/<at>[^<]*<\/at>/g) ?? [])
    if (!mentioned.has(at)) return { status: 400, body: 'Mention without a matching entity.' };
  return undefined;
}

export async function startFakeTeams(): Promise<FakeChat> {
  const server = await startFakeServer('webhookb2', (call) => {
    const problem = teamsProblem(call.json, Buffer.byteLength(call.raw));
    return problem ?? { status: 200, body: '1' };
  });
  return { ...server, messages: () => server.accepted().map((c) => c.json) };
}

export async function startFakeMattermost(): Promise<FakeChat> {
  const server = await startFakeServer('hooks', (call) => {
    const m = call.json;
    if (!m || (typeof m.text !== 'string' && !Array.isArray(m.attachments)) || (m.text === '' && !m.attachments))
      return {
        status: 400,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          id: 'web.incoming_webhook.text.app_error',
          message: 'No text specified.',
          status_code: 400,
        }),
      };
    if (typeof m.text === 'string' && m.text.length > 16_383)
      return { status: 400, body: '{"id":"web.incoming_webhook.text.length.app_error","status_code":400}' };
    return { status: 200, body: 'ok' };
  });
  return { ...server, messages: () => server.accepted().map((c) => c.json) };
}
