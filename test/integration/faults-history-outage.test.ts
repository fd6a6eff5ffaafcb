// Issue 11, item 4: no outcome is lost from history when Redis goes away. A private Redis with
// AOF is stopped for 0.5 s, 3 s and 10 s while jobs run; their commands end during the outage
// or after it, some exiting 0 and some 1. Afterwards every job's history record carries the
// outcome Docker's event stream (recorded live) says its command had; none is left `queued`.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRedis, type RedisHandle } from '../../scripts/lib/daemons.js';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { recordEvents, type EventRecorder } from '../support/docker-events.js';
import { fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('histout');
let redis: RedisHandle;
let h: Harness;
let events: EventRecorder;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  redis = await startRedis({ dir: await mkdtemp(path.join(os.tmpdir(), 'rmd-hist-')), aof: true });
  h = await startHarness({
    redisUrl: redis.url,
    dockerHost: inject('dockerHost'),
    remediationsDir: await remediationsDir({
      // The container says how long its command takes and how it exits (SLEEP, CODE).
      'work.yaml': [
        'match: alertname="HighLatency"',
        'target:',
        '  container: "{{ labels.container }}"',
        'action:',
        '  type: exec',
        '  command: ["sh", "-c", "sleep $SLEEP; exit $CODE"]',
        '  timeoutSeconds: 60',
        'retry:',
        '  attempts: 1',
      ].join('\n'),
    }),
    env: { WORKER_CONCURRENCY: '8' },
  });
  events = await recordEvents(docker);
});
afterAll(async () => {
  await events?.stop();
  await h?.stop();
  await redis?.stop();
  await removeContainers(docker, p);
});

/** A job's state, or undefined while Redis cannot answer. */
const stateOf = (id: string) => h.runtime.queue.getJobState(id).catch(() => undefined);

describe.each([500, 3_000, 10_000])('Redis down for %i ms while jobs run and finish', (outageMs) => {
  it('every job ends in history with the outcome its command had in Docker; none stays queued', async () => {
    // Commands ending at a quarter, half, three quarters and the end of the outage; even ones exit 1.
    const jobs = [0, 1, 2, 3].map((i) => ({
      name: `${p}${outageMs}-${i}`,
      seconds: (((i + 1) * outageMs) / 4 / 1000).toFixed(2),
      code: i % 2,
    }));
    for (const j of jobs) {
      await createTestContainer(docker, {
        name: j.name,
        labels: { 'remediator.enable': 'true' },
        env: { SLEEP: j.seconds, CODE: String(j.code) },
      });
    }
    const ids: string[] = [];
    for (const [i, j] of jobs.entries()) {
      const body = await fixture('firing-high-latency.json');
      body.alerts[0].labels.container = j.name;
      body.alerts[0].fingerprint = `${outageMs.toString(16)}${i}`.padStart(16, '0');
      const res = await h.post(body);
      expect(res.status).toBe(202);
      ids.push(res.body.jobs[0].jobId);
    }
    // Every command is running: then Redis goes away for the outage, and comes back (AOF).
    const started = (name: string) => (e: { name: string; verb: string }) => e.name === name && e.verb === 'exec_start';
    for (const j of jobs) await events.next(started(j.name));
    await redis.stop();
    await sleep(outageMs);
    await redis.restart();

    for (let i = 0; i < 600 && !(await finished(ids)); i++) await sleep(100);
    expect(await finished(ids)).toBe(true);

    await events.sync(jobs[0]!.name);
    for (const [i, j] of jobs.entries()) {
      // What Docker saw: the command ran in the job's container and exited with its code.
      const runs = events.windows('exec', (e) => e.name === j.name && e.detail.includes('sleep $SLEEP'));
      expect(runs.length).toBeGreaterThan(0);
      expect(runs.every((r) => r.exitCode === String(j.code))).toBe(true);
      // What history says: that outcome, not `queued`.
      const record = await h.runtime.history.get(ids[i]!);
      expect({ job: ids[i], outcome: record?.outcome }).toEqual({
        job: ids[i],
        outcome: j.code === 0 ? 'succeeded' : 'escalated',
      });
      expect(record?.steps).toMatchObject([{ outcome: j.code === 0 ? 'succeeded' : 'failed' }]);
    }
    const page = await h.runtime.history.query({ outcome: 'queued', limit: 100 });
    expect(page.records.filter((r) => ids.includes(r.jobId))).toEqual([]);
  });
});

async function finished(ids: string[]): Promise<boolean> {
  for (const id of ids) {
    const s = await stateOf(id);
    if (s !== 'completed' && s !== 'failed') return false;
  }
  return true;
}
