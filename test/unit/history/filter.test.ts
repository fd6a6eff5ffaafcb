import { describe, expect, it } from 'vitest';
import {
  decodeCursor,
  encodeCursor,
  parseHistoryFilter,
  parseTimeBound,
  targetName,
  toRecord,
} from '../../../src/history/index.js';
import { loadRemediations } from '../../../src/catalog/load.js';
import { toSpec } from '../../../src/catalog/remediation.js';
import { episodeOf } from '../../../src/alertmanager/episode.js';
import type { RemediationJobData } from '../../../src/queue/contract.js';
import { REMEDIATIONS_DIR, alertOf } from '../fixtures.js';
import { HistoryFilterError } from '../../../src/errors.js';

const NOW = Date.parse('2026-11-27T12:00:00Z');

describe('parseTimeBound', () => {
  it.each([
    ['2h', NOW - 2 * 3_600_000],
    ['90m', NOW - 90 * 60_000],
    ['7d', NOW - 7 * 86_400_000],
    ['1795780469', 1_795_780_469_000],
    ['1795780469137', 1_795_780_469_137],
    ['2026-11-27T11:54:29Z', Date.parse('2026-11-27T11:54:29Z')],
  ])('%s', (text, ms) => {
    expect(parseTimeBound('since', text, NOW)).toBe(ms);
  });

  it('a word that is no time names the field', () => {
    expect(() => parseTimeBound('until', 'yesterday', NOW)).toThrow(/^until: "yesterday" is not a time/);
  });
});

describe('parseHistoryFilter', () => {
  it('keeps the filters, drops empty values and defaults the page size', () => {
    expect(parseHistoryFilter({ alertname: 'HighLatency', target: '', outcome: 'failed', since: '1h' }, NOW)).toEqual({
      alertname: 'HighLatency',
      remediation: undefined,
      target: undefined,
      outcome: 'failed',
      since: NOW - 3_600_000,
      until: undefined,
      limit: 50,
      cursor: undefined,
    });
  });

  it.each([
    [{ outcome: 'great' }, 'outcome'],
    [{ limit: '0' }, 'limit'],
    [{ limit: '501' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ since: '1h', until: '2h' }, 'since'],
    [{ cursor: 'bm9wZQ' }, 'cursor'],
  ])('%j is refused naming %s', (raw, field) => {
    try {
      parseHistoryFilter(raw, NOW);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HistoryFilterError);
      expect((err as HistoryFilterError).field).toBe(field);
    }
  });
});

describe('cursor', () => {
  it('round-trips a position, job ids with dots included', () => {
    const c = { at: 1_795_780_469_137, jobId: 'high-latency.3e03c1ad0d5013c4.1795780469137.resolved' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
  });
});

describe('toRecord', () => {
  async function data(container: string): Promise<RemediationJobData> {
    const r = (await loadRemediations(REMEDIATIONS_DIR)).find((x) => x.id === 'high-latency')!;
    const a = structuredClone(alertOf('firing-high-latency'));
    a.labels.container = container;
    return {
      phase: 'fire',
      host: 'local',
      remediation: toSpec(r),
      alert: { ...a, annotations: a.annotations ?? {}, endsAt: a.endsAt, generatorURL: a.generatorURL },
      episode: episodeOf(a),
      group: { receiver: 'remediator', externalURL: undefined, groupKey: undefined },
      receivedAt: NOW,
    };
  }

  it('a queued job: who, what, on which target, with the definition hash', async () => {
    const d = await data('api');
    expect(toRecord('j1', d, 'queued')).toMatchObject({
      jobId: 'j1',
      remediation: 'high-latency',
      hash: d.remediation.hash,
      action: 'restart',
      alertname: 'HighLatency',
      target: 'api',
      outcome: 'queued',
      summary: 'queued',
      receivedAt: NOW,
      finishedAt: undefined,
    });
  });

  it('a finished job keeps the result summary, the containers acted on and the escalation', async () => {
    const result = {
      outcome: 'succeeded' as const,
      summary: 'restarted api',
      action: 'restart',
      targets: ['api'],
      dryRun: false,
      durationMs: 1200,
      details: {},
      steps: [],
    };
    expect(toRecord('j1', await data('api'), 'succeeded', { result, attempts: 1, finishedAt: NOW + 5 })).toMatchObject({
      outcome: 'succeeded',
      summary: 'restarted api',
      targets: ['api'],
      attempts: 1,
      durationMs: 1200,
      finishedAt: NOW + 5,
    });
  });

  it('a refused target is recorded with no target and the reason as summary', async () => {
    const d = await data('api;rm -rf /');
    expect(targetName(d)).toBe('');
    expect(toRecord('j1', d, 'refused', { reason: 'target refused: labels.container' })).toMatchObject({
      target: '',
      summary: 'target refused: labels.container',
    });
  });
});
