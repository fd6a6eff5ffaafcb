import { Type } from '@sinclair/typebox';
import { urlSecrets } from '../../http.js';
import { defineSink } from '../../sink.js';
import { STATE_CHANGES } from '../../summary.js';

/**
 * Mattermost, through an incoming webhook: one message per state change (webhooks cannot edit),
 * as Markdown text with a Slack-style attachment. The mention (`notify.sinks.mattermost.mention`,
 * e.g. `@here` or `@oncall`) goes in the text on an escalation.
 */
export interface MattermostSettings {
  url: string;
}

export const mattermost = defineSink<MattermostSettings>({
  name: 'mattermost',
  title: 'Mattermost incoming webhook: one message per state change',
  variables: {
    MATTERMOST_WEBHOOK_URL: {
      schema: Type.String({ pattern: '^https?://[^\\s]+$' }),
      hint: 'the incoming webhook URL, e.g. https://mattermost.example.com/hooks/xxxxxxxxxxxxxxxxxxxxxxxxxx',
      secret: true,
    },
  },
  parse: (v) => (v.MATTERMOST_WEBHOOK_URL === undefined ? undefined : { url: v.MATTERMOST_WEBHOOK_URL }),
  secrets: (s) => urlSecrets(s.url),
  defaults: STATE_CHANGES,
  delivery: { concurrency: 2, limiter: { max: 10, duration: 1_000 } },
  create: async (settings) => (await import('./sink.js')).createMattermostSink(settings),
});
