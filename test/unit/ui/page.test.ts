import { describe, expect, it } from 'vitest';
import type { HistoryRecord } from '../../../src/history/index.js';
import { aggregate } from '../../../src/stats/aggregate.js';
import { cellOf } from '../../../src/stats/buckets.js';
import { renderPage, type PageModel } from '../../../src/ui/page.js';
import { approvalEntry, pauseEntry } from '../../../src/ui/sources.js';
import { momentsOf } from '../../../src/ui/timeline.js';

// The operator page is drawn from other people's text (alert labels, summaries): every value is
// escaped, and the document names no other host to fetch from.

const NOW = Date.parse('2026-12-02T03:00:00Z');
const HOSTILE = '<script>alert(1)</script><img src=https://evil.example/x>';

const episode = (over: Partial<HistoryRecord>): HistoryRecord => ({
  jobId: 'flaky.f.1',
  remediation: 'flaky',
  hash: 'h',
  phase: 'fire',
  host: 'local',
  action: 'restart',
  alertname: 'A',
  fingerprint: 'f',
  startsAt: '2026-12-02T02:50:00.000Z',
  target: HOSTILE,
  targets: [],
  outcome: 'escalated',
  summary: `failed on ${HOSTILE}`,
  escalation: 'retries_exhausted',
  attempts: 1,
  dryRun: false,
  receivedAt: NOW - 600_000,
  finishedAt: NOW - 590_000,
  durationMs: 10_000,
  steps: [],
  firedAt: NOW - 600_000,
  firstActionAt: NOW - 598_000,
  resolvedAt: NOW - 500_000,
  endsAt: '2026-12-02T02:51:40.000Z',
  ...over,
});

function model(over: Partial<PageModel> = {}): PageModel {
  const cell = cellOf(HOSTILE, 'local');
  return {
    report: aggregate(
      [{ [`${cell}|runs`]: '1', [`${cell}|acted`]: '1' }],
      {},
      { since: NOW - 3_600_000, until: NOW, coveredFrom: NOW - 3_600_000 },
    ),
    episodes: [episode({})],
    circuits: [{ remediation: HOSTILE, host: 'local', subject: 'container/api', untilMs: NOW + 60_000 }],
    pauses: [
      pauseEntry({
        id: 'p1',
        scope: { kind: 'target', host: 'local', name: HOSTILE },
        by: 'ops',
        reason: HOSTILE,
        createdAt: NOW,
        until: NOW + 1,
      }),
    ],
    approvals: [],
    now: NOW,
    query: { since: `"><script>x</script>`, remediation: '', host: HOSTILE },
    remediations: ['flaky'],
    ...over,
  };
}

describe('renderPage', () => {
  it('escapes every value that comes from outside', () => {
    const page = renderPage(model());
    expect(page).not.toContain('<script');
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('names no other host: no http(s) URL, no protocol-relative one', () => {
    const cell = cellOf('flaky', 'local');
    const page = renderPage(
      model({
        report: aggregate([{ [`${cell}|runs`]: '1' }], {}, { since: 0, until: NOW, coveredFrom: 0 }),
        episodes: [episode({ target: 'api', summary: 'ok' })],
        circuits: [{ remediation: 'flaky', host: 'local', subject: 'container/api', untilMs: NOW + 60_000 }],
        pauses: [],
        query: { since: '1h', remediation: '', host: '' },
      }),
    );
    expect(page.match(/(https?:)?\/\/[a-z0-9.-]+/gi) ?? []).toEqual([]);
  });

  it('says so when there is nothing: no episode, no circuit, no pause, no approval', () => {
    const page = renderPage(
      model({
        report: aggregate([], {}, { since: 0, until: NOW, coveredFrom: 0 }),
        episodes: [],
        circuits: [],
        pauses: [],
      }),
    );
    for (const text of [
      'No episode ended in this span',
      'no episodes in this span',
      'No circuit is open',
      'Nothing is paused',
      'No step waits',
    ])
      expect(page).toContain(text);
  });
});

describe('the timeline', () => {
  it('places each moment relative to firing; resolved from Alertmanager endsAt', () => {
    expect(momentsOf(episode({}), NOW)).toMatchObject({
      acted: 2_000,
      finished: 10_000,
      resolved: 100_000,
      span: 100_000,
    });
    // Still queued: it runs up to now.
    const queued = momentsOf(
      episode({ outcome: 'queued', finishedAt: undefined, firstActionAt: undefined, resolvedAt: undefined }),
      NOW,
    );
    expect(queued).toMatchObject({ acted: undefined, resolved: undefined, span: 600_000 });
  });
});

describe('pauseEntry and approvalEntry', () => {
  it('say what a pause holds and what an approval would do, with the deadline', () => {
    expect(
      pauseEntry({ id: 'all', scope: { kind: 'all' }, by: 'erin', reason: 'storm', createdAt: 1, until: 9 }),
    ).toEqual({ id: 'all', what: 'everything (kill switch)', by: 'erin', until: 9, reason: 'storm' });
    expect(
      approvalEntry({
        id: 'a1',
        jobId: 'j',
        host: 'local',
        remediation: 'canary',
        alertname: 'HighErrorRate',
        step: { index: 1, name: 'rollback', action: 'rollback' },
        describe: 'roll api back',
        why: 'policy: rollback',
        requestedAt: 1,
        deadline: 5,
        state: 'pending',
      }),
    ).toEqual({
      id: 'a1',
      what: 'canary step rollback on local: roll api back',
      by: undefined,
      until: 5,
      reason: 'policy: rollback',
    });
  });
});
