// Issue 11, item 1: locks follow what a target resolves to, never how a file spells it. Four
// remediations reach one real container four ways (by name, by a label selector, by a label
// key, through its Compose service) and fire at once; Docker's event stream, recorded live,
// shows that nothing they did to the container or its service ever overlapped, and that the
// exec running under one was never killed by a restart from another.
import Docker from 'dockerode';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { anyOverlap, recordEvents, type DockerEvent, type EventRecorder } from '../support/docker-events.js';
import { fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('lockid');
let h: Harness | undefined;
let events: EventRecorder | undefined;
afterAll(async () => {
  await events?.stop();
  await h?.stop();
  await removeContainers(docker, p);
});

const project = `${p}shop`;
const service = 'web';
const tier = `${p}tier`;
const marker = `${p}marker`;
const match = 'match: alertname="HighLatency"';
const once = 'retry:\n  attempts: 1';

/** The four spellings of one container; `withLabel` is left out where the old format lacks it. */
const FILES: Record<string, string> = {
  // Runs long enough that a restart from another remediation would kill it mid-run.
  'exec-by-name.yaml': `${match}\ntarget:\n  container: "{{ labels.container }}"\naction:\n  type: exec\n  command: ["sh", "-c", "sleep 3; echo finished"]\n  timeoutSeconds: 30\n${once}\n`,
  'restart-by-labels.yaml': `${match}\ntarget:\n  labels:\n    tier: "{{ labels.tier }}"\n  maxContainers: 5\naction:\n  type: restart\n  stopTimeoutSeconds: 1\n${once}\n`,
  'restart-with-label.yaml': `${match}\ntarget:\n  withLabel: ${marker}\n  maxContainers: 5\naction:\n  type: restart\n  stopTimeoutSeconds: 1\n${once}\n`,
  'scale-service.yaml': `${match}\ntarget:\n  service: "{{ labels.service }}"\n  project: "{{ labels.project }}"\naction:\n  type: scale\n  by: 1\n  max: 2\n${once}\n`,
};

describe('one container reached by name, by labels, by a label key and through its service', () => {
  it('four remediations fired at once act on it one at a time: no overlap in Docker, the exec never killed', async () => {
    const name = `${project}-${service}-1`;
    await createTestContainer(docker, {
      name,
      labels: {
        'remediator.enable': 'true',
        'com.docker.compose.project': project,
        'com.docker.compose.service': service,
        'com.docker.compose.container-number': '1',
        tier,
        [marker]: 'yes',
      },
    });
    h = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: await remediationsDir(FILES),
      // Every job can be taken at once: only the target lock may serialise them.
      env: { WORKER_CONCURRENCY: '8', MAX_IN_FLIGHT: '10' },
    });
    events = await recordEvents(docker);

    const body = await fixture('firing-high-latency.json');
    body.alerts[0].labels = { ...body.alerts[0].labels, container: name, tier, service, project };
    body.alerts[0].fingerprint = '1d0c000000000001';
    const res = await h.post(body);
    expect(res.status).toBe(202);
    const ids: string[] = res.body.jobs.map((j: { jobId: string }) => j.jobId);
    expect(ids).toHaveLength(Object.keys(FILES).length);
    const jobs = await Promise.all(ids.map((id) => h!.waitForJob(id, 60_000)));
    const outcomes = Object.fromEntries(
      jobs.map((j) => [j.data.remediation.id, j.returnvalue?.outcome ?? j.failedReason]),
    );
    expect(outcomes).toEqual(Object.fromEntries(Object.keys(FILES).map((f) => [f.replace('.yaml', ''), 'succeeded'])));

    await events.sync(name);
    const ofService = (e: DockerEvent) =>
      e.attributes['com.docker.compose.project'] === project && e.attributes['com.docker.compose.service'] === service;
    const execs = events.windows('exec', ofService);
    const restarts = events.windows('restart', ofService);
    const created = events.windows('create', ofService);
    // The exec ran once, to its end: no restart killed it (a killed one exits 137 and runs again).
    expect(execs.map((w) => ({ container: w.container, exitCode: w.exitCode }))).toEqual([
      { container: name, exitCode: '0' },
    ]);
    expect(created).toHaveLength(1); // the scale-out's replica
    // Each restart remediation restarted the container (and the replica, once it existed).
    expect(restarts.filter((w) => w.container === name)).toHaveLength(2);
    const all = [...execs, ...restarts, ...created].sort((a, b) => a.start - b.start);
    const overlaps = all.flatMap((a, i) =>
      all
        .slice(i + 1)
        .flatMap((b) =>
          a.start < b.end && b.start < a.end ? [`${a.kind} ${a.container} / ${b.kind} ${b.container}`] : [],
        ),
    );
    expect(overlaps).toEqual([]);
    expect(anyOverlap(all)).toBe(false);
  });
});
