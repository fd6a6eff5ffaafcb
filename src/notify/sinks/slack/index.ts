import type { Config } from '../../../config.js';
import { defineSink } from '../../sink.js';

/**
 * Slack: one thread per alert episode, its parent edited as the job moves, details in replies,
 * the on-call mentioned on escalation (Web API with a bot token); or, with an incoming webhook,
 * one new message per state change. Its variables (SLACK_*) predate the sinks and stay in
 * config.ts, so `config.slack` keeps its shape.
 */
export interface SlackSettings {
  botToken: string | undefined;
  webhookUrl: string | undefined;
  defaultChannel: string | undefined;
  apiUrl: string;
  /** ALERTMANAGER_EXTERNAL_URL / ALERTMANAGER_UI for the parent's links. */
  links: Config['alertmanagerLinks'];
}

export const slack = defineSink<SlackSettings>({
  name: 'slack',
  title: 'Slack: a thread per episode (Web API) or a message per state change (incoming webhook)',
  variables: {},
  parse: () => undefined,
  settings: (config) =>
    config.slack.botToken !== undefined || config.slack.webhookUrl !== undefined
      ? { ...config.slack, links: config.alertmanagerLinks }
      : undefined,
  // SLACK_BOT_TOKEN and SLACK_WEBHOOK_URL are in secretsOf(config) already, as config.slack.
  secrets: () => [],
  previewSettings: (config) => ({
    ...config.slack,
    botToken: undefined,
    webhookUrl: undefined,
    defaultChannel: config.slack.defaultChannel ?? '#alerts',
    links: config.alertmanagerLinks,
  }),
  defaults: 'all',
  // A re-send adds nothing to read; a one-step runbook's result is in the final reply.
  accepts: (e) => e.type !== 'job.duplicate' && !(e.type === 'step.finished' && e.step.count <= 1),
  // Slack's Web API allows about one message per second per channel, with bursts.
  delivery: { concurrency: 4, limiter: { max: 50, duration: 1_000 } },
  create: async (settings, deps) => (await import('./sink.js')).createSlackSink(settings, deps),
});
