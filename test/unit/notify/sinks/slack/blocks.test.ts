import { describe, expect, it } from 'vitest';
import {
  LIMITS,
  alertLinks,
  fitMessage,
  orderedLabels,
  renderParent,
  type Block,
  type SlackMessage,
} from '../../../../../src/notify/sinks/slack/blocks.js';
import type { LifecycleEvent } from '../../../../../src/lifecycle/events.js';
import { renderEscalation, renderReply } from '../../../../../src/notify/sinks/slack/details.js';
import { applyEvent, initialView, type ThreadView } from '../../../../../src/notify/view.js';
import type { RemediationJobData, RemediationJobResult } from '../../../../../src/queue/contract.js';
import { events, jobData, step } from '../../job-data.js';

/** Each of these strings is somewhere in the message's JSON. */
function expectParts(msg: SlackMessage, parts: string[]): void {
  const all = JSON.stringify(msg);
  for (const part of parts) expect(all).toContain(part);
}

const EVIL = '<!channel> <https://evil|x> & <@U123>';

/** Every text object of a message, with the limit Slack puts on it. */
function texts(msg: SlackMessage): { text: string; max: number; where: string }[] {
  const out: { text: string; max: number; where: string }[] = [{ text: msg.text, max: LIMITS.fallback, where: 'text' }];
  msg.blocks.forEach((b: Block, i) => {
    if (b.type === 'header') out.push({ text: b.text.text, max: LIMITS.header, where: `${i}.header` });
    if (b.type === 'section') {
      if (b.text) out.push({ text: b.text.text, max: LIMITS.text, where: `${i}.section` });
      (b.fields ?? []).forEach((f, j) => out.push({ text: f.text, max: LIMITS.field, where: `${i}.field${j}` }));
    }
    if (b.type === 'context')
      b.elements.forEach((e, j) => out.push({ text: e.text, max: LIMITS.text, where: `${i}.context${j}` }));
  });
  return out;
}

function expectWithinLimits(msg: SlackMessage): void {
  expect(msg.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
  for (const t of texts(msg)) expect(t.text.length, t.where).toBeLessThanOrEqual(t.max);
  for (const b of msg.blocks) {
    if (b.type === 'section') expect(b.fields?.length ?? 0).toBeLessThanOrEqual(LIMITS.fields);
    if (b.type === 'context') expect(b.elements.length).toBeLessThanOrEqual(LIMITS.contextElements);
  }
  // The renderers stay within the limits by themselves; the guard has nothing left to cut.
  expect(fitMessage(msg)).toEqual(msg);
}

/** The longest alert the webhook accepts in spirit: many long labels, long annotations, long URLs, hostile text everywhere. */
function longestAlert(): RemediationJobData {
  const d = jobData('firing-disk-full', {
    spec: { id: 'disk-full', steps: [step({ name: 'exec', action: { type: 'exec', command: ['df'] } })] },
  });
  const labels: Record<string, string> = { alertname: `DiskAlmostFull_${'X'.repeat(240)}${EVIL}` };
  for (let i = 0; i < 127; i++)
    labels[`label_${String(i).padStart(3, '0')}_${'k'.repeat(200)}`] = `${EVIL} ${'v'.repeat(4000)}`;
  labels.severity = 'critical';
  labels.instance = `${'host-'.repeat(50)}${EVIL}`;
  d.alert.labels = labels;
  d.alert.annotations = {
    summary: `${EVIL} ${'s'.repeat(16_000)}`,
    description: `${'<&>'.repeat(5_000)}`,
    runbook_url: `https://runbooks.example/${'r'.repeat(1_200)}?a=<b>&c=|d`,
  };
  d.alert.generatorURL = `http://prometheus:9090/graph?g0.expr=${encodeURIComponent('sum(rate(x[5m]))'.repeat(400))}&g0.tab=1`;
  d.group.externalURL = 'http://alertmanager.example:9093/';
  return d;
}

const longResult = (): RemediationJobResult => ({
  outcome: 'succeeded',
  summary: `ran ${EVIL} ${'y'.repeat(5000)}`,
  action: 'exec',
  targets: Array.from({ length: 100 }, (_, i) => `container-${i}-${'n'.repeat(200)}`),
  dryRun: false,
  durationMs: 12_345,
  steps: [],
  details: {
    command: ['df'],
    outputs: Array.from({ length: 10 }, (_, i) => ({
      container: `c${i}${EVIL}`,
      exitCode: 0,
      stdout: `${EVIL}\n${'o'.repeat(65_536)}`,
      stderr: '```<!here>```',
      truncated: true,
      durationMs: 5,
    })),
    bytesReclaimed: 123_456_789,
    containersDeleted: ['a', 'b'],
    imagesDeleted: 3,
  },
  verification: { ok: false, detail: `${EVIL}${'z'.repeat(5000)}`, durationMs: 60_000 },
});

function viewAfter(list: LifecycleEvent[]): ThreadView {
  return list.reduce((v, event) => applyEvent(v, event).view, initialView());
}

describe('Block Kit within Slack limits on the longest realistic alert', () => {
  const d = longestAlert();
  const jobId = `disk-full.${'f'.repeat(64)}.1795780469137`;
  const e = events(d, jobId);
  const finished = e.finished({ outcome: 'succeeded', result: longResult(), attempts: 3 });
  const escalated = e.finished({
    outcome: 'escalated',
    reason: `${EVIL} ${'e'.repeat(10_000)}`,
    escalation: 'retries_exhausted',
    attempts: 3,
  });

  it('the parent, in every state, stays within 50 blocks, 3,000 characters per text, 150 for the header', () => {
    const steps: LifecycleEvent[] = [
      e.queued(),
      e.running(1, 3),
      e.acting('exec', longResult().targets),
      e.retrying(1, 3, `${EVIL}${'r'.repeat(9000)}`),
      finished,
      e.resolved(),
    ];
    for (let i = 1; i <= steps.length; i++) expectWithinLimits(renderParent(viewAfter(steps.slice(0, i)), d, jobId));
  });

  it('the detail reply and the escalation stay within the limits too', () => {
    expectWithinLimits(renderReply(finished)!);
    expectWithinLimits(renderReply(e.retrying(2, 3, 'x'.repeat(20_000)))!);
    expectWithinLimits(renderEscalation(escalated)!);
  });

  it('no alert text reaches Slack unescaped: no <!channel>, <@U123>, <!here> or evil link anywhere', () => {
    const all = [
      renderParent(viewAfter([finished]), d, jobId),
      renderReply(finished)!,
      renderEscalation(escalated)!,
    ].map((m) => JSON.stringify(m));
    for (const s of all) {
      expect(s).not.toMatch(/<!channel>|<@U123>|<!here>|<https:\/\/evil/);
    }
    expect(all[0]).toContain('&lt;!channel&gt;');
  });

  it('the guard cuts whatever a future renderer overfills, and keeps at most 50 blocks', () => {
    const big: SlackMessage = {
      text: 'x'.repeat(50_000),
      blocks: Array.from({ length: 80 }, () => ({ type: 'section', text: { type: 'mrkdwn', text: '&'.repeat(4000) } })),
    };
    const fitted = fitMessage({
      ...big,
      blocks: big.blocks.map((b) =>
        b.type === 'section' ? { ...b, text: { type: 'mrkdwn' as const, text: '&amp;'.repeat(1000) } } : b,
      ),
    });
    expect(fitted.blocks).toHaveLength(50);
    for (const t of texts(fitted)) expect(t.text.length).toBeLessThanOrEqual(t.max);
    expect(JSON.stringify(fitted.blocks.at(-1))).toContain('31 more blocks left out');
  });
});

describe('the parent message', () => {
  it('shows the summary, the labels that matter first, and links to source, Alertmanager, silence and runbook', () => {
    const d = jobData();
    d.alert.generatorURL = 'http://prometheus:9090/graph?g0.expr=up&g0.tab=1';
    d.alert.annotations.runbook_url = 'https://runbooks.example/hl';
    const msg = renderParent(viewAfter([events(d).queued()]), d, 'high-latency.3e03c1ad0d5013c4.1795780469137');
    const all = JSON.stringify(msg);
    expect(msg.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'HighLatency', emoji: false } });
    expect(all).toContain('p99 latency 2.3s');
    expect(orderedLabels(d.alert.labels).map(([k]) => k)).toEqual(['severity', 'instance', 'container']);
    const links = alertLinks(d);
    expect(links[0]).toBe('<http://prometheus:9090/graph?g0.expr=up&amp;g0.tab=1|Source>');
    expect(links[1]).toMatch(
      /^<http:\/\/vm:19093\/#\/alerts\?filter=%7Balertname%3D%22HighLatency%22%2Cseverity%3D%22critical%22/,
    );
    expect(links[2]).toMatch(/^<http:\/\/vm:19093\/#\/silences\/new\?filter=/);
    expect(links[3]).toBe('<https://runbooks.example/hl|Runbook>');
    expect(all).toContain('job `high-latency.3e03c1ad0d5013c4.1795780469137`');
  });

  it('ALERTMANAGER_EXTERNAL_URL replaces the payload externalURL (often an internal host name)', () => {
    const d = jobData();
    const links = alertLinks(d, { externalUrl: 'https://am.example.com/am/', ui: true });
    expect(links[0]).toMatch(/^<https:\/\/am\.example\.com\/am\/#\/alerts\?filter=%7Balertname%3D%22HighLatency%22/);
    expect(links[1]).toMatch(/^<https:\/\/am\.example\.com\/am\/#\/silences\/new\?filter=/);
    expect(links.join(' ')).not.toContain('vm:19093');
    const msg = renderParent(viewAfter([events(d).queued()]), d, 'j', {
      externalUrl: 'https://am.example.com',
      ui: true,
    });
    expect(JSON.stringify(msg)).toContain('https://am.example.com/#/alerts');
  });

  it('without an Alertmanager UI: the alert links to the API, and there is no silence link', () => {
    const d = jobData();
    const links = alertLinks(d, { externalUrl: 'http://127.0.0.1:19093', ui: false });
    expect(links).toEqual([
      '<http://127.0.0.1:19093/api/v2/alerts?filter=alertname%3D%22HighLatency%22&amp;filter=severity%3D%22critical%22&amp;filter=instance%3D%22api%3A8000%22&amp;filter=container%3D%22api%22|Alertmanager (API)>',
    ]);
    expect(links.join(' ')).not.toMatch(/silence|#\//i);
  });

  it('leaves out links it cannot build safely (no generatorURL, no externalURL, a javascript: runbook)', () => {
    const d = jobData();
    d.alert.generatorURL = '';
    d.group.externalURL = undefined;
    d.alert.annotations.runbook_url = 'javascript:alert(1)';
    expect(alertLinks(d)).toEqual([]);
  });

  it('says "alert resolved" once Alertmanager does, keeping the outcome', () => {
    const d = jobData('resolved-high-latency');
    const e = events(d);
    const v = viewAfter([e.queued(), e.finished({ outcome: 'succeeded', attempts: 1 }), e.resolved()]);
    const state = JSON.stringify(renderParent(v, d, 'j').blocks[1]);
    expect(state).toContain('*Succeeded*');
    expect(state).toContain('*Alert resolved* <!date^1795780479^');
  });
});

describe('replies', () => {
  it('carry action and targets, duration, attempt, bytes reclaimed, replicas, verification and bounded output', () => {
    const d = jobData();
    const result: RemediationJobResult = {
      outcome: 'succeeded',
      summary: 'scaled worker from 1 to 2 replicas',
      action: 'scale',
      targets: ['shop-worker-1'],
      dryRun: false,
      durationMs: 1530,
      steps: [],
      details: {
        service: 'worker',
        before: 1,
        after: 2,
        max: 4,
        bytesReclaimed: 2048,
        outputs: [{ container: 'api', exitCode: 0, stdout: 'done', stderr: '', truncated: false }],
      },
      verification: { ok: true, detail: 'shop-worker-2 running', durationMs: 800 },
    };
    const msg = renderReply(events(d, 'job-1').finished({ outcome: 'succeeded', result, attempts: 2 }))!;
    expectParts(msg, [
      'Succeeded* in 1.5 s',
      'attempt 2/3',
      '`scale` → shop-worker-1',
      '*Replicas:* 1 → 2 (max 4) of worker',
      '*Reclaimed:* 2.0 KiB',
      ':white_check_mark: passed',
      '*Output of* api (exit 0)',
    ]);
  });

  it("show collect's evidence (state, stats, processes, log tail) and recreate's containers by name, never [object Object]", () => {
    const d = jobData();
    // The reply to step `index` of two, which ran `action` on api with these details.
    const reply = (index: number, action: string, details: Record<string, unknown>) =>
      renderReply(
        events(d, 'job-1').step(
          { index, name: action, action, count: 2 },
          {
            index,
            name: action,
            action,
            outcome: 'succeeded',
            decision: 'act',
            summary: `${action} api`,
            when: 'always',
            targets: ['api'],
            attempts: 1,
            startedAt: 1,
            finishedAt: 2,
            durationMs: 1,
            details,
          },
        ),
      )!;
    const collect = reply(0, 'collect', {
      containers: [
        {
          container: 'api',
          id: 'abc',
          inspect: { state: 'running', running: true, health: 'unhealthy', exitCode: 0, restartCount: 2 },
          logs: { text: 'GET /slow 3001ms\nGET /slow 2999ms', lines: 2, truncated: false },
          stats: { cpuPercent: 12.5, memoryBytes: 1024, memoryLimitBytes: 4096, periods: 10, throttledPeriods: 5 },
          top: { titles: ['PID'], processes: [['1'], ['7']], truncated: false },
        },
      ],
      failed: ['api: top (gone)'],
    });
    expectParts(collect, [
      '*Evidence of* api: running, unhealthy, 2 restarts, CPU 12.5%, memory 1.0 KiB of 4.0 KiB, throttled 50% of CFS periods, 2 processes',
      '*Log tail* (2 lines)',
      'GET /slow 2999ms',
      '*Containers:* api',
      '*Could not read:* api: top (gone)',
    ]);
    const recreate = reply(1, 'recreate', {
      containers: [{ name: 'api', oldId: 'a'.repeat(64), newId: 'b'.repeat(64) }],
    });
    expect(JSON.stringify(recreate)).toContain('*Containers:* api');
    for (const msg of [collect, recreate]) {
      expect(JSON.stringify(msg)).not.toContain('[object Object]');
      expectWithinLimits(msg);
    }
  });

  it('the escalation mentions the handle, broadcasts, and says why; none without a reason to escalate', () => {
    const d = jobData();
    const e = events(d, 'job-1').finished({
      outcome: 'escalated',
      reason: 'container api did not become healthy within 60s',
      escalation: 'verification_failed',
      attempts: 3,
    });
    const msg = renderEscalation(e)!;
    expect(msg.text.startsWith('<!subteam^S0ONCALL> ')).toBe(true);
    expect(msg.broadcast).toBe(true);
    expect(JSON.stringify(msg)).toContain('did not come back healthy');
    // The escalation carries the reason: no separate detail reply for a job that failed for good.
    expect(renderReply(e)).toBeUndefined();
    expect(renderEscalation({ ...e, outcome: 'failed', escalation: undefined })).toBeUndefined();
  });

  it('a bare @handle mention turns link_names on and defangs every @ in alert text', () => {
    const d = jobData(undefined, { spec: { notify: { channel: undefined, mention: '@oncall' } } });
    d.alert.labels.alertname = '@channel';
    const msg = renderEscalation(
      events(d, 'j').finished({
        outcome: 'circuit_open',
        reason: 'ping @here',
        escalation: 'circuit_open',
        attempts: 1,
      }),
    )!;
    expect(msg.linkNames).toBe(true);
    expect(msg.text.startsWith('@oncall ')).toBe(true);
    expect(JSON.stringify(msg)).not.toMatch(/@(channel|here)/);
    expect(JSON.stringify(msg)).toContain('circuit breaker is open');
  });
});
