// Did the fix work? Four scenarios through the real pipeline (real Redis, real Docker Engine,
// see test/support/effectiveness.ts): then GET /api/v1/stats and `remediator report` must give
// the counts Docker's live event stream shows and the times the Alertmanager payloads carry,
// each computed here on its own; history tells each episode's story; the metrics count the
// recurrences and times to resolve; a fix that did not hold opened the circuit and said why.
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { historyCommand } from '../../src/cli/history.js';
import { reportCommand } from '../../src/cli/report.js';
import type { HistoryRecord } from '../../src/history/index.js';
import type { EffectRow, StatsReport } from '../../src/stats/index.js';
import { removeContainers, uniquePrefix } from '../support/docker.js';
import {
  SCENARIO_FILES,
  recordDockerEvents,
  runScenarios,
  type DockerEvent,
  type SentEpisode,
} from '../support/effectiveness.js';
import { TOKEN, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('eff');
let h: Harness;
let sent: SentEpisode[];
let events: DockerEvent[];
const records = new Map<string, HistoryRecord>();

beforeAll(async () => {
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: await remediationsDir(SCENARIO_FILES),
  });
  const recorder = await recordDockerEvents(docker, p);
  events = recorder.events;
  try {
    sent = await runScenarios(h, docker, p);
    // The engine's last events of a restart may reach the stream a moment after the job ended.
    for (let i = 0; i < 50 && events.filter((e) => e.action === 'restart').length < 6; i++)
      await new Promise((r) => setTimeout(r, 100));
  } finally {
    recorder.stop();
  }
  for (const s of sent) records.set(s.jobId, (await h.runtime.history.get(s.jobId))!);
}, 180_000);

afterAll(async () => {
  await h?.stop();
  await removeContainers(docker, p);
});

async function stats(query = '?since=1h', token = TOKEN): Promise<{ status: number; body: any }> {
  const res = await fetch(`${h.url}/api/v1/stats${query}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

/** What Docker saw during one episode (between its POST and its job's end). */
const dockerOf = (s: SentEpisode) =>
  events.filter((e) => e.name === s.container && e.at >= s.sentAt - 5 && e.at <= s.doneAt + 5);
const acted = (s: SentEpisode) => dockerOf(s).some((e) => e.action === 'restart' || e.action === 'exec_start');
const fired = (s: SentEpisode) => Date.parse(s.startsAt);
const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);

/** The figures of one remediation as the payloads and Docker's events say them. */
function expected(remediation: string) {
  const eps = sent.filter((s) => s.remediation === remediation);
  const mttr = eps.map((s) => Date.parse(s.endsAt) - fired(s));
  const successes = eps.filter((s) => acted(s) && s.outcome === 'succeeded');
  // A success followed by a new episode of the same alert (fingerprint) within the hour.
  const recurred = successes.filter((s) =>
    eps.some(
      (n) => n !== s && n.fingerprint === s.fingerprint && fired(n) > s.sentAt && fired(n) - s.doneAt <= 3_600_000,
    ),
  );
  return {
    runs: eps.length,
    acted: eps.filter(acted).length,
    restarts: eps.reduce((n, s) => n + dockerOf(s).filter((e) => e.action === 'restart').length, 0),
    execs: eps.reduce((n, s) => n + dockerOf(s).filter((e) => e.action === 'exec_start').length, 0),
    mttr: { count: mttr.length, minMs: Math.min(...mttr), maxMs: Math.max(...mttr), meanMs: mean(mttr) },
    recurred: recurred.length,
    succeeded: successes.length,
  };
}

const row = (r: StatsReport, remediation: string): EffectRow =>
  r.remediations.find((x) => x.remediation === remediation)!;

describe('the scenarios, as Docker saw them', () => {
  it("each restart once per acted episode; the cooldown's waiting job (resolved meanwhile) and the open circuit touched nothing", () => {
    expect(sent.map((s) => `${s.remediation}:${s.outcome}`)).toEqual([
      'holds:succeeded',
      'ladder:succeeded',
      'flaky:succeeded',
      'flaky:succeeded',
      'flaky:succeeded',
      'flaky:circuit_open',
      'cool:succeeded',
      'cool:cancelled',
    ]);
    expect(['holds', 'ladder', 'flaky', 'cool'].map((r) => [expected(r).restarts, expected(r).execs])).toEqual([
      [1, 0],
      [1, 1],
      [3, 0],
      [1, 0],
    ]);
  });
});

describe('GET /api/v1/stats', () => {
  it('gives the counts Docker shows and the times the payloads carry, per remediation', async () => {
    const res = await stats();
    expect(res.status).toBe(200);
    for (const name of ['holds', 'ladder', 'flaky', 'cool']) {
      const e = expected(name);
      const x = row(res.body, name);
      expect(x, name).toMatchObject({ runs: e.runs, acted: e.acted, succeeded: e.succeeded });
      expect(x.timeToResolve, name).toMatchObject(e.mttr);
      expect(x.recurrence.within1h.count, name).toBe(e.recurred);
      expect(x.recurrence.within24h.count, name).toBe(e.recurred);
      expect(x.successRate, name).toBe(e.acted === 0 ? null : e.succeeded / e.acted);
    }
    const flaky = row(res.body, 'flaky');
    expect(flaky).toMatchObject({ circuitOpen: 1, escalations: 1, escalationReasons: { circuit_open: 1 } });
    expect(flaky.recurrence.within1h).toEqual({ count: 3, rate: 1 });
    // A cooldown defers the job now: the waiting one was cancelled by its resolve, not counted `cooldown`.
    expect(row(res.body, 'cool')).toMatchObject({ cooldown: 0, outcomes: { succeeded: 1, cancelled: 1 } });
    expect(res.body.total).toMatchObject({ runs: 8, acted: 6, succeeded: 6, cooldown: 0, circuitOpen: 1, skipped: 0 });
  });

  it('first action and verified times agree with Docker: acted before its first event, verified after its start', async () => {
    const res = (await stats()).body as StatsReport;
    for (const name of ['holds', 'ladder', 'flaky', 'cool']) {
      const eps = sent.filter((s) => s.remediation === name && acted(s));
      const ttfa = eps.map((s) => {
        const r = records.get(s.jobId)!;
        const first = dockerOf(s).find((e) => e.action === 'kill' || e.action === 'exec_start')!;
        expect(r.firstActionAt!, s.jobId).toBeLessThanOrEqual(first.at + 1);
        expect(first.at, s.jobId).toBeLessThanOrEqual(r.steps[0]!.finishedAt! + 1);
        return r.firstActionAt! - fired(s);
      });
      const ttv = eps.map((s) => {
        const r = records.get(s.jobId)!;
        const start = dockerOf(s)
          .filter((e) => e.action === 'start')
          .at(-1)!;
        expect(start.at, s.jobId).toBeLessThanOrEqual(r.verifiedAt! + 1);
        return r.verifiedAt! - fired(s);
      });
      const x = row(res, name);
      expect(x.timeToFirstAction, name).toMatchObject({
        count: eps.length,
        minMs: Math.min(...ttfa),
        meanMs: mean(ttfa),
      });
      expect(x.timeToVerified, name).toMatchObject({ count: eps.length, maxMs: Math.max(...ttv), meanMs: mean(ttv) });
    }
  });

  it('per step: the ladder restart failed its verification, the cleanup step fixed it', async () => {
    const steps = ((await stats('?remediation=ladder')).body as StatsReport).steps;
    expect(
      steps.map((s) => [s.step, s.runs, s.succeeded, s.failed, s.verifications.run, s.verifications.passed]),
    ).toEqual([
      ['cleanup', 1, 1, 0, 1, 1],
      ['restart', 1, 0, 1, 1, 0],
    ]);
  });

  it('filters by remediation and host; needs the webhook credentials; a bad since is a 400 naming it', async () => {
    const one = (await stats('?since=1h&remediation=flaky')).body as StatsReport;
    expect(one.remediations.map((x) => x.remediation)).toEqual(['flaky']);
    expect(one.total.runs).toBe(4);
    expect(((await stats('?host=local')).body as StatsReport).total.runs).toBe(8);
    expect(((await stats('?host=elsewhere')).body as StatsReport).total.runs).toBe(0);
    expect((await stats('', 'wrong-token-0123456789')).status).toBe(401);
    expect(await stats('?since=soon')).toMatchObject({ status: 400, body: { field: 'since' } });
    expect((await stats('?sinse=1h')).status).toBe(400);
  });
});

describe('remediator report', () => {
  const env = () => ({ PATH: process.env.PATH ?? '', REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: h.prefix });
  async function report(args: string[]): Promise<string> {
    let out = '';
    const code = await reportCommand(args, {
      out: { write: (x: string) => (out += x) },
      err: { write: () => 0 },
      stdin: [],
      env: env(),
    });
    expect(code).toBe(0);
    return out;
  }

  it('--json says what the API says; the table shows each remediation', async () => {
    const json = JSON.parse(await report(['--since', '1h', '--json'])) as StatsReport;
    const api = (await stats()).body as StatsReport;
    expect(json.remediations).toEqual(api.remediations);
    expect(json.steps).toEqual(api.steps);
    const table = await report(['--since', '1h']);
    expect(table).toMatch(/^REMEDIATION\s+RUNS\s+ACTED\s+SUCCESS/m);
    expect(table).toMatch(/^flaky\s+4\s+3\s+3\/3 \(100%\)/m);
    expect(table).toMatch(/^cool\s+2\s+1\s+1\/1 \(100%\)/m);
    expect(table).toMatch(/^ladder\s+cleanup\s+1\s+1\s+0/m);
  });
});

describe('the story in history', () => {
  it('fired, acted, verified, resolved (Alertmanager endsAt), and the re-fires after each fix', () => {
    const flaky = sent.filter((s) => s.remediation === 'flaky').map((s) => records.get(s.jobId)!);
    for (const s of sent) {
      const r = records.get(s.jobId)!;
      expect(r, s.jobId).toMatchObject({ firedAt: fired(s), endsAt: s.endsAt });
      // Heard after the job ended, or (the job waiting out a cooldown) after the payload's endsAt.
      expect(r.resolvedAt!).toBeGreaterThanOrEqual(Math.min(s.doneAt, Date.parse(s.endsAt)));
      if (acted(s)) expect(r.firstActionAt!).toBeGreaterThanOrEqual(s.sentAt);
      else expect(r.firstActionAt).toBeUndefined();
    }
    for (let i = 1; i < 4; i++) {
      expect(flaky[i]!.recurrenceOf?.jobId).toBe(flaky[i - 1]!.jobId);
      expect(flaky[i - 1]!.refiredBy?.jobId).toBe(flaky[i]!.jobId);
    }
    expect(flaky[3]!.summary).toMatch(/circuit open: the fix does not hold: 2 of 3 successes of flaky on local/);
  });

  it('remediator history says when it resolved and shows the tail of the exec output', async () => {
    let out = '';
    const env = { PATH: process.env.PATH ?? '', REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: h.prefix };
    await historyCommand(['--remediation', 'ladder'], {
      out: { write: (x: string) => (out += x) },
      err: { write: () => 0 },
      stdin: [],
      env,
    });
    const ladder = sent.find((s) => s.remediation === 'ladder')!;
    expect(out).toContain(`resolved   ${ladder.endsAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`);
    expect(out).toMatch(/output {5}cleanup in \S+ladder \(exit 0\):\n\s+\| cleaned 3 files\n\s+! done/);
  });
});

describe('metrics', () => {
  it('recurrences per remediation and window, and the time-to-resolve histogram', async () => {
    const text = await (await fetch(`${h.url}/metrics`)).text();
    const value = (line: string) =>
      Number(new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('remediator_recurrences_total{remediation="flaky",within="1h"}')).toBe(3);
    expect(value('remediator_recurrences_total{remediation="flaky",within="24h"}')).toBe(3);
    for (const name of ['holds', 'ladder', 'flaky', 'cool']) {
      const e = sent.filter((s) => s.remediation === name);
      expect(value(`remediator_time_to_resolve_seconds_count{remediation="${name}"}`)).toBe(e.length);
      const sum = e.reduce((n, s) => n + (Date.parse(s.endsAt) - fired(s)) / 1000, 0);
      expect(value(`remediator_time_to_resolve_seconds_sum{remediation="${name}"}`)).toBeCloseTo(sum, 6);
    }
  });
});
