// Issue 11, "found on the way": a restart cannot be interrupted in Docker, and used to hold the
// process past SHUTDOWN_TIMEOUT_SECONDS until it ended. Here a restart of a container that
// ignores SIGTERM (Docker waits out a 10 s stop timeout) is in flight when the real binary
// gets SIGTERM with a 2 s deadline: the process exits before Docker has finished the restart,
// the job goes back to the queue with its target still locked, and the rerun on another worker
// does not restart the container a second time. Read from Docker's events (recorded live) and
// Redis.
import Docker from 'dockerode';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hostKeys } from '../../src/keys.js';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { recordEvents, type EventRecorder } from '../support/docker-events.js';
import { fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';
import { spawnRemediator } from '../support/process.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('shutdown');
const cleanup: (() => Promise<unknown>)[] = [];
const redis = new Redis(inject('redisUrl'));
let events: EventRecorder;
beforeAll(async () => {
  events = await recordEvents(docker);
});
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  await events?.stop();
  await removeContainers(docker, p);
  redis.disconnect();
});

const DEADLINE_S = 2;
/** The documented bound: past the deadline, the process exits within this margin (a hard exit after it). */
const MARGIN_S = 10;
const STOP_TIMEOUT_S = 10;

describe('SIGTERM while a restart with a long stop timeout is in flight', () => {
  it('exits before Docker ends the restart; the job is handed back locked; the rerun does not restart again', async () => {
    const name = `${p}slowstop`;
    // tini passes SIGTERM on to a sleep that ignores it: Docker waits the whole stop timeout.
    await createTestContainer(docker, {
      name,
      labels: { 'remediator.enable': 'true' },
      cmd: ['sh', '-c', "trap '' TERM; exec sleep 3600"],
    });
    const prefix = `${p}q`.replace(/-/g, '');
    const dir = await remediationsDir({
      'restart.yaml': [
        'match: alertname="HighLatency"',
        'target:',
        '  container: "{{ labels.container }}"',
        'action:',
        '  type: restart',
        `  stopTimeoutSeconds: ${STOP_TIMEOUT_S}`,
        'verify:',
        '  running: true',
        '  within: 60s',
      ].join('\n'),
    });
    const api: Harness = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: dir,
      worker: false,
      prefix,
    });
    cleanup.push(() => api.stop());
    const first = spawnRemediator('worker', {
      REDIS_URL: inject('redisUrl'),
      DOCKER_HOST: inject('dockerHost'),
      QUEUE_PREFIX: prefix,
      REMEDIATIONS_DIR: dir,
      SHUTDOWN_TIMEOUT_SECONDS: String(DEADLINE_S),
      WORKER_PORT: '0',
    });
    cleanup.push(async () => first.kill('SIGKILL'));
    await first.waitForLine((l) => l.msg === 'worker started');
    const body = await fixture('firing-high-latency.json');
    body.alerts[0].labels.container = name;
    body.alerts[0].fingerprint = '5d00000000000001';
    const jobId = (await api.post(body)).body.jobs[0].jobId;

    // The restart is in Docker (SIGTERM sent, stop timeout running): now stop the process.
    const kill = await events.next((e) => e.name === name && e.verb === 'kill' && e.attributes.signal === '15');
    const t0 = Date.now();
    first.kill('SIGTERM');
    const code = await first.exited;
    const elapsed = Date.now() - t0;
    expect(code).toBe(0); // the graceful path, not the hard exit
    expect(elapsed).toBeLessThan((DEADLINE_S + MARGIN_S) * 1000);
    // Docker has not finished the restart yet: the process did not wait for it.
    await events.sync(name);
    const ofIt = () => events.events.filter((e) => e.name === name && e.t >= kill.t);
    expect(ofIt().filter((e) => e.verb === 'restart' || e.verb === 'start')).toEqual([]);

    // Handed back, no attempt spent, and the target still locked by the job for its rerun.
    const job = (await api.job(jobId))!;
    expect(['waiting', 'delayed']).toContain(await job.getState());
    expect(job.attemptsMade).toBe(0);
    expect(await redis.get(hostKeys(prefix, 'local').lock(`container/${name}`))).toBe(jobId);

    // The rerun, on another worker while Docker still runs the first restart, restarts nothing.
    const second = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: dir,
      prefix,
    });
    cleanup.push(() => second.stop());
    const done = await second.waitForJob(jobId, (STOP_TIMEOUT_S + 30) * 1000);
    expect(done.returnvalue).toMatchObject({
      outcome: 'succeeded',
      details: { restarted: [], alreadyRestarted: [name] },
      steps: [{ outcome: 'succeeded', attempts: 1 }],
    });
    await events.sync(name);
    // One restart in all: one SIGTERM, one start, one restart event; the container runs.
    expect(ofIt().filter((e) => e.verb === 'kill' && e.attributes.signal === '15')).toHaveLength(1);
    expect(ofIt().filter((e) => e.verb === 'start')).toHaveLength(1);
    expect(ofIt().filter((e) => e.verb === 'restart')).toHaveLength(1);
    expect((await docker.getContainer(name).inspect()).State.Running).toBe(true);
    console.log(`[shutdown] SIGTERM to exit: ${elapsed} ms (deadline ${DEADLINE_S * 1000} ms)`);
  }, 90_000);
});
