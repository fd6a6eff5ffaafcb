import { describe, expect, it } from 'vitest';
import type { LifecycleEvent } from '../../../../src/lifecycle/events.js';
import { mattermost } from '../../../../src/notify/sinks/mattermost/index.js';
import { createMattermostSink } from '../../../../src/notify/sinks/mattermost/sink.js';
import { teams } from '../../../../src/notify/sinks/teams/index.js';
import { createTeamsSink } from '../../../../src/notify/sinks/teams/sink.js';
import { teamsProblem } from '../../../support/fake-chat.js';
import { events, jobData } from '../job-data.js';
import { runSink } from '../io.js';

const EVIL = '<!channel> @here [click](https://evil.example) <at>boss</at> **bold**';
const teamsSink = createTeamsSink({ url: 'http://127.0.0.1:1/webhookb2/x' });
const mmSink = createMattermostSink({ url: 'http://127.0.0.1:1/hooks/x' });
const e = events();
const ref = { index: 0, name: 'restart', action: 'restart', count: 1 };
const story: LifecycleEvent[] = [
  e.queued(),
  e.running(1, 3, ref),
  e.acting('restart', ['api'], ref),
  e.retrying(1, 3, 'engine 500', ref),
  e.running(2, 3, ref),
  e.acting('restart', ['api'], ref),
  e.finished({ outcome: 'succeeded', attempts: 2 }),
  e.resolved(),
];
const cardOf = (body: unknown) => (body as any).attachments[0].content;
const stateOfCard = (body: unknown) => cardOf(body).body[1].text;

describe('Teams and Mattermost: one message per state change', () => {
  it('Teams posts an Adaptive Card per state a reader sees, as the incoming webhook takes it', async () => {
    const { sent } = await runSink(teamsSink, teams, story);
    expect(sent.map((s) => stateOfCard(s.req.body))).toEqual([
      'Queued',
      'Running',
      'Retrying',
      'Running',
      'Succeeded',
      'Succeeded',
    ]);
    expect(JSON.stringify(cardOf(sent.at(-1)!.req.body).body)).toContain('Alert resolved');
    for (const s of sent) expect(teamsProblem(s.req.body, JSON.stringify(s.req.body).length)).toBeUndefined();
    expect(sent[0]!.req.endpoint).toBe('POST TEAMS_WEBHOOK_URL');
  });

  it('Mattermost does the same with Markdown text and an attachment', async () => {
    const { sent } = await runSink(mmSink, mattermost, story);
    expect(sent.map((s) => /\*\*([^*]+)\*\*/.exec((s.req.body as any).text)?.[1])).toEqual([
      'Queued',
      'Running',
      'Retrying',
      'Running',
      'Succeeded',
      'Succeeded',
    ]);
    expect((sent[0]!.req.body as any).attachments[0].fields).toContainEqual({
      short: true,
      title: 'Remediation',
      value: 'high-latency',
    });
  });

  it('an alert resolved with nothing posted yet posts nothing (the policy can leave earlier changes out)', async () => {
    expect((await runSink(teamsSink, teams, [e.resolved()])).sent).toEqual([]);
  });

  it('alert text cannot hide a link, ping a channel or mention anyone; the configured mention is an entity', async () => {
    const d = jobData(undefined, {
      spec: {
        notify: {
          channel: undefined,
          mention: undefined,
          sinks: {
            teams: { enabled: true, mention: 'oncall@example.com' },
            mattermost: { enabled: true, mention: '@oncall' },
          },
        },
      },
    });
    d.alert.labels.alertname = EVIL;
    d.alert.annotations.summary = EVIL;
    const x = events(d);
    const bad = [x.queued(), x.finished({ outcome: 'escalated', escalation: 'retries_exhausted', reason: EVIL })];
    const card = (await runSink(teamsSink, teams, bad)).sent.at(-1)!.req.body;
    const text = JSON.stringify(cardOf(card).body);
    expect(text).not.toMatch(/\[click\]\(|<at>boss|<!channel>|@here|\*\*bold/);
    expect(text).toContain('<at>oncall@example.com</at> A human is needed');
    expect(cardOf(card).msteams.entities).toHaveLength(1);
    expect(teamsProblem(card, 100)).toBeUndefined();
    const mm = (await runSink(mmSink, mattermost, bad)).sent.at(-1)!.req.body as any;
    expect(JSON.stringify(mm)).not.toMatch(/\[click\]\(|<!channel>|@here|\*\*bold/);
    expect(mm.text).toContain('@oncall :rotating_light: **A human is needed:**');
  });
});
