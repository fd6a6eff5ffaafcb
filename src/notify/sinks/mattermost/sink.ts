import { createPerChangeSink } from '../../per-change.js';
import type { Sink } from '../../sink.js';
import type { MattermostSettings } from './index.js';
import { mattermostMessage } from './message.js';

/** The Mattermost sink: a Markdown message with an attachment whenever the episode's state moves on. */
export const createMattermostSink = (settings: MattermostSettings): Sink =>
  createPerChangeSink({
    name: 'mattermost',
    mode: 'markdown',
    endpoint: 'POST MATTERMOST_WEBHOOK_URL',
    url: settings.url,
    what: 'Mattermost webhook',
    render: mattermostMessage,
  }) as Sink;
