import { createHash } from 'node:crypto';
import { SlackPermanentError } from '../../../errors.js';
import type { Change, Outgoing, Sink, SinkDeps } from '../../sink.js';
import { applyEvent, initialView, type ThreadView } from '../../view.js';
import { fitMessage, renderParent, type SlackMessage } from './blocks.js';
import { renderEscalation, renderReply } from './details.js';
import type { SlackSettings } from './index.js';
import { slackRequest } from './requests.js';
import type { SlackTransport } from './transport.js';

/**
 * The Slack sink: one thread per episode. Its state of an episode is the parent's ts and
 * channel (kept as soon as Slack answers, so any worker edits the same thread) and the view the
 * parent shows; each change edits the parent when what it shows changed, then posts the reply
 * and the escalation into the thread. With an incoming webhook each state change worth reading
 * is one new message carrying the details and the mention.
 */
export interface SlackState {
  view: ThreadView;
  /** A change of this episode was delivered (an alert resolved without one has no thread). */
  seen: boolean;
  ts?: string | undefined;
  channel?: string | undefined;
  /** Digest of the parent as last sent: an identical edit is not sent. */
  rendered?: string | undefined;
}

const digest = (m: SlackMessage) => createHash('sha256').update(JSON.stringify(m)).digest('hex').slice(0, 16);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function createSlackSink(settings: SlackSettings, deps: Pick<SinkDeps, 'log'>): Sink<SlackState> {
  const canEdit = settings.webhookUrl === undefined || settings.botToken !== undefined;
  let transport: Promise<SlackTransport> | undefined;
  // The Slack SDK is loaded on the first real send only (the preview never loads it).
  const transportOf = (): Promise<SlackTransport> =>
    (transport ??= import('./transport.js').then((t) => {
      if (settings.botToken)
        return t.webApiTransport({ token: settings.botToken, apiUrl: settings.apiUrl, log: deps.log });
      if (settings.webhookUrl) return t.webhookTransport({ url: settings.webhookUrl });
      throw new SlackPermanentError('not_configured', 'slack: neither SLACK_BOT_TOKEN nor SLACK_WEBHOOK_URL is set');
    }));

  async function deliver({ episode, event, policy, state, io }: Change<SlackState>): Promise<void> {
    if (event.type === 'alert.resolved' && !state.seen) return; // no thread for this episode
    const data = event.data;
    const { view, changed } = applyEvent(state.view, event);
    const parent = fitMessage(renderParent(view, data, episode, settings.links));
    const reply = renderReply(event);
    const escalation = renderEscalation(event, policy.mention);
    const channel = state.channel ?? data.remediation.notify.channel ?? settings.defaultChannel ?? '';
    const keep = () => {
      state.view = view;
      state.seen = true;
    };

    if (!canEdit) {
      // Webhook: no threads, no edits; every state change worth reading is one new message.
      if (event.type === 'job.acting' || (!changed && !reply && !escalation)) return;
      const extra = [...(reply?.blocks ?? []), ...(escalation?.blocks ?? [])];
      const msg = fitMessage({
        text: escalation?.text ?? parent.text,
        blocks: [...parent.blocks, ...(extra.length ? [{ type: 'divider' as const }, ...extra] : [])],
        linkNames: escalation?.linkNames ?? false,
      });
      await io.call('message', slackRequest.webhook(msg));
      return keep();
    }

    const postParent = async (key: string) => {
      const answer = await io.call(key, slackRequest.post(channel, parent));
      // Kept at once: a retry of a later request, or the next change, edits this message.
      state.ts = str(answer.ts);
      state.channel = str(answer.channel) ?? channel;
      state.rendered = digest(parent);
    };
    if (!state.ts) await postParent('parent');
    else if (changed && state.rendered !== digest(parent)) {
      try {
        await io.call('parent', slackRequest.update(state.channel ?? channel, state.ts, parent));
      } catch (err) {
        // The parent was deleted by someone: start the thread again rather than lose it.
        if (!(err instanceof SlackPermanentError && err.code === 'message_not_found')) throw err;
        await postParent('parent.again');
      }
      state.rendered = digest(parent);
    }
    const to = state.channel ?? channel;
    if (reply) await io.call('reply', slackRequest.post(to, fitMessage(reply), state.ts));
    if (escalation) await io.call('escalation', slackRequest.post(to, fitMessage(escalation), state.ts));
    keep();
  }

  return {
    name: 'slack',
    mode: canEdit ? 'web-api' : 'webhook',
    initial: () => ({ view: initialView(), seen: false }),
    deliver,
    async send(req: Outgoing) {
      return (await transportOf()).call(req.endpoint, req.body as Record<string, unknown>);
    },
    previewAnswer: (req, id) => {
      const body = req.body as { channel?: unknown; ts?: unknown };
      return { ok: true, channel: body.channel, ts: typeof body.ts === 'string' ? body.ts : `preview.${id}` };
    },
  };
}
