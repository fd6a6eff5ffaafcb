import { describe, expect, it } from 'vitest';
import type { LifecycleEvent } from '../../../../src/lifecycle/events.js';
import { threadOf } from '../../../../src/notify/contract.js';
import { wants } from '../../../../src/notify/policy.js';
import { slack } from '../../../../src/notify/sinks/slack/index.js';
import { createSlackSink } from '../../../../src/notify/sinks/slack/sink.js';
import { previewChange, type PreviewLine, type PreviewState } from '../../../../src/notify/sinks/preview/write.js';
import { webhook } from '../../../../src/notify/sinks/webhook/index.js';
import { createWebhookSink } from '../../../../src/notify/sinks/webhook/sink.js';
import pino from 'pino';
import { events, jobData } from '../job-data.js';
import { runSink } from '../io.js';

const links = { externalUrl: undefined, ui: true };
const slackSink = createSlackSink(
  { botToken: undefined, webhookUrl: undefined, defaultChannel: '#alerts', apiUrl: 'https://slack.com/api/', links },
  { log: pino({ level: 'silent' }) },
);
const hook = createWebhookSink({ url: 'http://127.0.0.1:1/h', secret: 'whsec-0123456789abcdef' });
const e = events();
const story: LifecycleEvent[] = [
  e.queued(),
  e.running(1, 3),
  e.acting('restart', ['api']),
  e.finished({ outcome: 'escalated', escalation: 'retries_exhausted', attempts: 3 }),
  e.resolved(),
];

async function preview(list: LifecycleEvent[]): Promise<PreviewLine[]> {
  const targets = [
    { sink: slackSink, wants: (x: LifecycleEvent) => wants(slack, x) },
    { sink: hook, wants: (x: LifecycleEvent) => wants(webhook, x) },
  ];
  const state: PreviewState = { targets: {} };
  const lines: PreviewLine[] = [];
  const keys = new Set<string>();
  for (const [i, event] of list.entries()) {
    await previewChange(targets, state, { episode: threadOf(event.data), seq: i + 1, event }, async (key, line) => {
      keys.add(`${i}.${key}`);
      lines.push(line);
    });
  }
  expect(keys.size).toBe(lines.length); // every line has its own key within its change
  return lines;
}

describe('the preview', () => {
  it("writes exactly the requests each sink's own delivery makes, in order", async () => {
    const lines = await preview(story);
    const direct = await runSink(slackSink, slack, story, (req, n) => slackSink.previewAnswer(req, `x${n}`));
    const slackLines = lines.filter((l) => l.preview === 'slack');
    const norm = (b: any) => ({ ...b, ts: b.ts && 'ts', thread_ts: b.thread_ts && 'ts' });
    expect(slackLines.map((l) => [l.endpoint, norm(l.body)])).toEqual(
      direct.sent.map((s) => [s.req.endpoint, norm(s.req.body)]),
    );
    expect(slackLines.map((l) => l.endpoint)).toEqual([
      'chat.postMessage',
      'chat.update',
      'chat.update',
      'chat.update',
      'chat.postMessage',
      'chat.update',
    ]);
    const hooks = lines.filter((l) => l.preview === 'webhook');
    const sentHooks = (await runSink(hook, webhook, story)).sent;
    expect(hooks.map((l) => JSON.stringify(l.body))).toEqual(sentHooks.map((s) => s.req.body));
    expect(hooks.map((l) => l.headers)).toEqual(sentHooks.map((s) => s.req.headers));
    expect(lines[0]).toMatchObject({
      episode: threadOf(e.queued().data),
      transition: 'job.queued',
      endpoint: 'chat.postMessage',
    });
  });

  it("follows each remediation's policy: a sink turned off is not previewed", async () => {
    const off = events(
      jobData(undefined, {
        spec: { notify: { channel: undefined, mention: undefined, sinks: { slack: { enabled: false } } } },
      }),
    );
    const lines = await preview([off.queued(), off.finished({ outcome: 'succeeded' })]);
    expect(lines.map((l) => l.preview)).toEqual(['webhook', 'webhook']);
  });
});
