// Issue 11, "found on the way": a job whose target lock is busy waits to be woken by the
// lock's release instead of asking Docker about its container every second. Every Engine API
// request goes through a counting proxy in front of the socket; the order of what the engine
// did comes from its event stream, recorded live.
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startDockerProxy, type DockerProxy, type ProxyCall } from '../../bench/lib/docker-proxy.js';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { recordEvents, type EventRecorder } from '../support/docker-events.js';
import { fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const socketPath = new URL(inject('dockerHost')).pathname;
const docker = new Docker({ socketPath });
const p = uniquePrefix('lockwait');
let proxy: DockerProxy | undefined;
let h: Harness | undefined;
let events: EventRecorder | undefined;
afterAll(async () => {
  await events?.stop();
  await h?.stop();
  await proxy?.close();
  await removeContainers(docker, p);
});

async function alertFor(container: string, n: number) {
  const body = await fixture('firing-high-latency.json');
  body.alerts[0].labels.container = container;
  body.alerts[0].fingerprint = `10c4${n}`.padEnd(16, '0');
  body.alerts[0].startsAt = new Date(Date.parse(body.alerts[0].startsAt) + n * 60_000).toISOString();
  return body;
}

/** Requests that look a container up: list containers, inspect one. */
const lookup = (c: ProxyCall) =>
  c.method === 'GET' && /\/containers\/(json|[^/]+\/json)(\?|$)/.test(c.path.replace(/^\/v[0-9.]+/, ''));

describe('a job waiting for a busy target lock', () => {
  it('asks Docker nothing while it waits, and is woken by the release: it acts right after, not at its delay', async () => {
    const name = `${p}busy`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    proxy = await startDockerProxy({
      socketPath: `/tmp/rmd-px-${randomBytes(4).toString('hex')}.sock`,
      upstream: socketPath,
    });
    h = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: proxy.dockerHost,
      remediationsDir: await remediationsDir({
        // Holds the container's lock for 6 s: long enough for a poll each second to show.
        'slow.yaml': [
          'match: alertname="HighLatency"',
          'target:',
          '  container: "{{ labels.container }}"',
          'action:',
          '  type: exec',
          '  command: ["sh", "-c", "sleep 6"]',
          '  timeoutSeconds: 60',
        ].join('\n'),
      }),
      env: { WORKER_CONCURRENCY: '4' },
    });
    const waits: { jobId: string; untilMs: number | undefined }[] = [];
    h.runtime.events.on('job.waiting', (e) => void waits.push({ jobId: e.jobId, untilMs: e.untilMs }));
    events = await recordEvents(docker);

    const a = (await h.post(await alertFor(name, 1))).body.jobs[0].jobId;
    const aStart = await events.next((e) => e.name === name && e.verb === 'exec_start');
    const from = proxy.mark();
    const b = (await h.post(await alertFor(name, 2))).body.jobs[0].jobId;
    // B tried, found the lock taken, and went back to the queue to wait.
    for (let i = 0; i < 100 && (await h.runtime.queue.getJobState(b)) !== 'delayed'; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await h.runtime.queue.getJobState(b)).toBe('delayed');
    const jobs = await Promise.all([h.waitForJob(a, 40_000), h.waitForJob(b, 40_000)]);
    expect(jobs.map((j) => j.returnvalue?.outcome)).toEqual(['succeeded', 'succeeded']);

    // Proxy order: from B's arrival until A's command was seen to end (A inspects its exec
    // once the stream ends), the only lookups are B's one look before it took its place.
    const aExec = aStart.attributes.execID!;
    const calls = proxy.calls(from);
    const aEnded = calls.findIndex((c) => c.method === 'GET' && c.path.includes(`/exec/${aExec}/json`));
    expect(aEnded).toBeGreaterThan(0);
    const duringWait = calls.slice(0, aEnded).filter(lookup);
    expect(duringWait.length).toBeLessThanOrEqual(2);

    // Engine order: B's command started after A's ended; and before B's own delay ran out
    // (it waits up to the lock's TTL, minutes): the release woke it.
    await events.sync(name);
    const runs = events.windows('exec', (e) => e.name === name && e.detail.endsWith('sh -c sleep 6'));
    expect(runs).toHaveLength(2);
    expect(runs[0]!.execId).toBe(aExec);
    expect(runs[1]!.start).toBeGreaterThan(runs[0]!.end);
    const bWait = waits.find((w) => w.jobId === b);
    expect(bWait?.untilMs).toBeGreaterThan(runs[1]!.start + 60_000);
    // Woken once: after the release, one look-up round (list, inspect) before B's command.
    const bExecCreate = calls.findIndex(
      (c, i) => i > aEnded && c.method === 'POST' && /\/containers\/[^/]+\/exec$/.test(c.path),
    );
    expect(calls.slice(aEnded, bExecCreate).filter(lookup).length).toBeLessThanOrEqual(3);
  });
});
