import { Type } from '@sinclair/typebox';
import { urlSecrets } from '../../http.js';
import { defineSink } from '../../sink.js';
import { STATE_CHANGES } from '../../summary.js';

/**
 * Microsoft Teams, through an incoming webhook (a channel's Incoming Webhook connector or a
 * Workflows "post to a channel when a webhook request is received"): one Adaptive Card per
 * state change. Webhooks cannot edit a card, so each change is a new one.
 */
export interface TeamsSettings {
  url: string;
}

export const teams = defineSink<TeamsSettings>({
  name: 'teams',
  title: 'Microsoft Teams incoming webhook: one Adaptive Card per state change',
  variables: {
    TEAMS_WEBHOOK_URL: {
      schema: Type.String({ pattern: '^https?://[^\\s]+$' }),
      hint: "the channel's incoming webhook URL, e.g. https://example.webhook.office.com/webhookb2/...",
      secret: true,
    },
  },
  parse: (v) => (v.TEAMS_WEBHOOK_URL === undefined ? undefined : { url: v.TEAMS_WEBHOOK_URL }),
  secrets: (s) => urlSecrets(s.url),
  defaults: STATE_CHANGES,
  // Teams throttles a webhook at about 4 requests per second.
  delivery: { concurrency: 2, limiter: { max: 4, duration: 1_000 } },
  create: async (settings) => (await import('./sink.js')).createTeamsSink(settings),
});
