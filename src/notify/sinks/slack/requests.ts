import type { Outgoing } from '../../sink.js';
import type { SlackMessage } from './blocks.js';

/**
 * The requests Slack gets, built in one place: the sink renders them, the transport sends them
 * as they are, and the preview writes them as they are. Pure.
 */

/** Arguments of `chat.postMessage`: a new message, or a reply when `threadTs` is given. */
export function postArgs(channel: string, msg: SlackMessage, threadTs?: string): Record<string, unknown> {
  return {
    channel,
    text: msg.text,
    blocks: msg.blocks,
    ...(threadTs && { thread_ts: threadTs, reply_broadcast: msg.broadcast ?? false }),
    link_names: msg.linkNames ?? false,
    unfurl_links: false,
    unfurl_media: false,
  };
}

/** Arguments of `chat.update`: the thread's parent edited in place. */
export function updateArgs(channel: string, ts: string, msg: SlackMessage): Record<string, unknown> {
  return { channel, ts, text: msg.text, blocks: msg.blocks, link_names: msg.linkNames ?? false };
}

/** The body of an incoming webhook's POST (the channel is the webhook's own). */
export function webhookBody(msg: SlackMessage): Record<string, unknown> {
  return {
    text: msg.text,
    blocks: msg.blocks,
    link_names: msg.linkNames ?? false,
    unfurl_links: false,
    unfurl_media: false,
  };
}

/** What the Slack sink sends, as one {@link Outgoing} each. */
export const slackRequest = {
  post: (channel: string, msg: SlackMessage, threadTs?: string): Outgoing => ({
    endpoint: 'chat.postMessage',
    headers: {},
    body: postArgs(channel, msg, threadTs),
  }),
  update: (channel: string, ts: string, msg: SlackMessage): Outgoing => ({
    endpoint: 'chat.update',
    headers: {},
    body: updateArgs(channel, ts, msg),
  }),
  webhook: (msg: SlackMessage): Outgoing => ({
    endpoint: 'POST SLACK_WEBHOOK_URL',
    headers: { 'content-type': 'application/json' },
    body: webhookBody(msg),
  }),
};
