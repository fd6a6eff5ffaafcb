import { describe, expect, it } from 'vitest';
import { renderHistory } from '../../../src/cli/history.js';
import { renderSimulation } from '../../../src/cli/simulate-view.js';
import { paint } from '../../../src/cli/term.js';
import type { HistoryRecord } from '../../../src/history/index.js';
import type { SimulationReport } from '../../../src/simulate/index.js';

const ESC = '\u001b[';

function report(): SimulationReport {
  return {
    at: '2026-11-27T12:00:00.000Z',
    receiver: 'remediator',
    status: 'firing',
    truncatedAlerts: 1,
    dryRun: false,
    docker: true,
    catalog: { dir: 'remediations', loadedAt: '2026-11-27T11:00:00.000Z', remediations: 2 },
    alerts: [
      {
        index: 1,
        alertname: 'HighLatency',
        status: 'firing',
        fingerprint: '3e03c1ad0d5013c4',
        startsAt: '2026-11-27T11:54:29.137452655Z',
        labels: { alertname: 'HighLatency', container: 'api' },
        remediations: [
          {
            remediation: 'high-latency',
            file: 'remediations/high-latency.yaml',
            hash: 'abc',
            matched: true,
            matchers: [{ text: 'alertname="HighLatency"', label: 'alertname', value: 'HighLatency', ok: true }],
            jobs: [
              {
                jobId: 'high-latency.3e03c1ad0d5013c4.1795780469137',
                phase: 'fire',
                action: 'restart',
                webhook: { decision: 'enqueue', detail: 'new episode: one job would be queued', episode: undefined },
                delayMs: 0,
                target: {
                  scope: 'container',
                  description: 'container api',
                  locks: ['container/api'],
                  exists: true,
                  containers: [{ name: 'api', running: true, optedIn: true }],
                },
                guards: {
                  blocker: 'cooldown',
                  lock: { holder: undefined, identity: undefined, ttlMs: 0 },
                  cooldown: { holder: 'j0', subject: 'container/api', remainingMs: 90_000, configuredMs: 300_000 },
                  budget: { runsInWindow: 1, limit: 3, windowMs: 3_600_000, reopensInMs: 0 },
                  inFlight: { used: 0, max: 10 },
                  share: undefined,
                },
                dryRun: { global: false, remediation: false },
                worker: {
                  decision: 'deferred',
                  detail: 'high-latency ran on container api recently: cooldown, 90s left',
                },
                steps: [],
              },
            ],
          },
          {
            remediation: 'disk-full',
            file: 'remediations/disk-full.yaml',
            hash: 'def',
            matched: false,
            matchers: [{ text: 'alertname="disk_full"', label: 'alertname', value: 'HighLatency', ok: false }],
            jobs: [],
          },
        ],
      },
    ],
    summary: { alerts: 1, unmatched: 0, enqueue: 1, duplicate: 0, cancel: 0, act: 0 },
  };
}

describe('renderSimulation', () => {
  it('prints per alert each remediation, its matchers, and the job facts, without colour off a TTY', () => {
    const text = renderSimulation(report(), paint(false));
    expect(text).not.toContain(ESC);
    expect(text).toContain('alert 1  HighLatency  firing  fingerprint 3e03c1ad0d5013c4');
    expect(text).toMatch(/✓ high-latency\s+alertname="HighLatency" ✓/);
    expect(text).toMatch(/✗ disk-full\s+alertname="disk_full" ✗ \(alertname="HighLatency"\)/);
    expect(text).toMatch(/webhook\s+enqueue: new episode/);
    expect(text).toMatch(/target\s+container api: exists: api running/);
    expect(text).toMatch(
      /guards\s+lock free · cooldown active on container\/api \(90s left\) · budget 1\/3 per 60m · in flight 0\/10/,
    );
    expect(text).toMatch(/worker\s+deferred: high-latency ran on container api recently/);
    expect(text).toContain('left out 1 alert of this group');
    expect(text).toContain(
      'plan: 1 job would be queued (0 would act now), 0 duplicates, 0 cancelled, 0 alerts unmatched',
    );
    expect(text).toContain('nothing was enqueued');
  });

  it('colours decisions on a terminal', () => {
    const text = renderSimulation(report(), paint(true));
    expect(text).toContain(`${ESC}32menqueue${ESC}39m`);
    expect(text).toContain(`${ESC}33mdeferred${ESC}39m`);
  });
});

describe('renderHistory', () => {
  const rec: HistoryRecord = {
    jobId: 'high-latency.x.1',
    remediation: 'high-latency',
    hash: 'abc',
    phase: 'fire',
    host: 'local',
    action: 'restart',
    alertname: 'HighLatency',
    fingerprint: 'x',
    startsAt: '2026-11-27T11:54:29Z',
    target: 'api',
    targets: ['api'],
    outcome: 'failed',
    summary: 'container api not found on this Docker host',
    escalation: undefined,
    attempts: 1,
    dryRun: false,
    receivedAt: Date.parse('2026-11-27T11:54:30Z'),
    finishedAt: undefined,
    durationMs: undefined,
    steps: [],
  };

  it('one row per record under a header, and the command for the next page', () => {
    const text = renderHistory({ records: [rec], nextCursor: 'CUR' }, paint(false), 'remediator history --cursor CUR');
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^TIME\s+REMEDIATION\s+ALERT\s+TARGET\s+OUTCOME\s+TRIES\s+SUMMARY$/);
    expect(lines[1]).toMatch(
      /^2026-11-27 11:54:30Z\s+high-latency\s+HighLatency\s+api\s+failed\s+1\s+container api not found/,
    );
    expect(text).toContain('1 record, more:\n  remediator history --cursor CUR');
  });

  it('says so when nothing matches', () => {
    expect(renderHistory({ records: [], nextCursor: undefined }, paint(false), undefined)).toBe(
      'no remediations recorded for this filter\n',
    );
  });
  it('under a record: the pause that held it and the answer to its approval, with who, when and why', () => {
    const held: HistoryRecord = {
      ...rec,
      outcome: 'succeeded',
      summary: 'restarted api',
      pauses: [
        {
          step: 'restart',
          scope: 'everything (kill switch)',
          by: 'erin@ops',
          reason: 'storm: hands off',
          from: Date.parse('2026-11-27T11:50:00Z'),
          until: Date.parse('2026-11-27T12:50:00Z'),
          heldAt: Date.parse('2026-11-27T11:54:31Z'),
        },
      ],
      approvals: [
        { step: 'recreate', decision: 'approved', by: 'bob', at: Date.parse('2026-11-27T11:58:00Z'), reason: 'go' },
      ],
    };
    const lines = renderHistory({ records: [held], nextCursor: undefined }, paint(false), undefined).split('\n');
    expect(lines).toContain(
      "    paused     restart held 2026-11-27 11:54:31Z by erin@ops's pause of everything (kill switch) (set 2026-11-27 11:50:00Z, until 2026-11-27 12:50:00Z): storm: hands off",
    );
    expect(lines).toContain('    approved   recreate by bob 2026-11-27 11:58:00Z: go');
  });
});
