// Every notification sink on at once, each against its local server: Slack's Web API, a signed
// webhook receiver, PagerDuty's Events API v2, Teams' and Mattermost's incoming webhooks, and the
// preview writing to a file. For the end-to-end notification tests.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startFakeMattermost, startFakeTeams, type FakeChat } from './fake-chat.js';
import { startFakePagerDuty, type FakePagerDuty } from './fake-pagerduty.js';
import { startFakeSlack, until, type FakeSlack } from './fake-slack.js';
import { startFakeWebhook, type FakeWebhook } from './fake-webhook.js';
import type { Harness } from './harness.js';

export interface AllSinks {
  slack: FakeSlack;
  webhook: FakeWebhook;
  pagerduty: FakePagerDuty;
  teams: FakeChat;
  mattermost: FakeChat;
  previewFile: string;
  /** The environment that turns every sink on, pointed at the local servers. */
  env: Record<string, string>;
  /** Every secret the environment holds, in the forms a log line could show. */
  secrets: string[];
  /** The preview's lines so far. */
  preview(): Promise<any[]>;
  close(): Promise<void>;
}

export async function startAllSinks(): Promise<AllSinks> {
  const secret = `whsec-${randomBytes(16).toString('hex')}`;
  const [slack, webhook, pagerduty, teams, mattermost] = await Promise.all([
    startFakeSlack(),
    startFakeWebhook(secret),
    startFakePagerDuty(),
    startFakeTeams(),
    startFakeMattermost(),
  ]);
  const previewFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'rmd-preview-')), 'preview.jsonl');
  const env = {
    SLACK_BOT_TOKEN: slack.token,
    SLACK_CHANNEL: '#alerts',
    SLACK_API_URL: slack.apiUrl,
    WEBHOOK_SINK_URL: webhook.url,
    WEBHOOK_SINK_SECRET: secret,
    PAGERDUTY_ROUTING_KEY: pagerduty.routingKey,
    PAGERDUTY_EVENTS_URL: pagerduty.url,
    TEAMS_WEBHOOK_URL: teams.url,
    MATTERMOST_WEBHOOK_URL: mattermost.url,
    NOTIFY_PREVIEW: previewFile,
  };
  const pathOf = (u: string) => new URL(u).pathname;
  const secrets = [
    slack.token,
    secret,
    pagerduty.routingKey,
    pathOf(webhook.url),
    pathOf(teams.url),
    pathOf(mattermost.url),
    pathOf(webhook.url).split('/').at(-1)!,
    pathOf(teams.url).split('/').at(-1)!,
    pathOf(mattermost.url).split('/').at(-1)!,
  ];
  return {
    slack,
    webhook,
    pagerduty,
    teams,
    mattermost,
    previewFile,
    env,
    secrets,
    async preview() {
      const text = await readFile(previewFile, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    },
    async close() {
      await Promise.all([slack, webhook, pagerduty, teams, mattermost].map((s) => s.close()));
    },
  };
}

/** Every sink's queue of the harness drained: nothing waiting, delayed, active or prioritized. */
export async function drained(h: Harness, timeoutMs = 40_000): Promise<void> {
  await until(
    'every notification queue to drain',
    async () => {
      for (const q of h.runtime.notifications!.queues) {
        const c = await q.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
        if (Object.values(c).some((n) => n > 0)) return false;
      }
      return true;
    },
    timeoutMs,
  );
}

/** The messages of a chat sink (Teams, Mattermost) about one episode, in order. */
export const chatOf = (chat: FakeChat, episode: string): any[] =>
  chat.messages().filter((m) => JSON.stringify(m).includes(`job ${episode}`));

/** The state word a Teams card shows (its second text block). */
export const teamsState = (m: any): string => m.attachments[0].content.body[1].text;

/** The state word a Mattermost message shows (`:emoji: **State**: ...`). */
export const mattermostState = (m: any): string | undefined => /\*\*([^*]+)\*\*/.exec(m.text)?.[1];
