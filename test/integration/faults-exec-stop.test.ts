// Issue 11, item 2: a timed-out or aborted exec is stopped before its lock is released, so a
// retry (or the rerun of a job handed back at shutdown) never runs beside it. Proved from
// inside the container: each run of the command first counts, in /proc, the long-running
// children earlier runs left, and writes the count down; Docker's event stream, recorded
// live, shows each run's exec ending before the next one starts.
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { anyOverlap, recordEvents, type EventRecorder } from '../support/docker-events.js';
import { TOKEN, fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';
import { spawnRemediator } from '../support/process.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('execstop');
const cleanup: (() => Promise<unknown>)[] = [];
let events: EventRecorder;
beforeAll(async () => {
  events = await recordEvents(docker);
});
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  await events?.stop();
  await removeContainers(docker, p);
});

/**
 * The command under test, a shell script as a cleanup job would be: it counts the `sleep 987`
 * processes still alive in the container (earlier runs' children), appends the count to
 * /tmp/probe, then runs `sleep 987` as a child (not exec'd: killing the script alone would
 * leave it behind). `ignoreTerm` makes the script and its child ignore SIGTERM. `quickRerun`:
 * a run that finds an earlier count exits 0 at once (the rerun of a handed-back job).
 */
function probe(o: { ignoreTerm: boolean; quickRerun?: boolean }): string[] {
  const script = [
    'n=0',
    'for f in /proc/[0-9]*/cmdline; do [ "$(cat $f 2>/dev/null)" = sleep987 ] && n=$((n+1)); done',
    'echo $n >> /tmp/probe',
    ...(o.quickRerun ? ['[ "$(wc -l < /tmp/probe)" -gt 1 ] && exit 0'] : []),
    ...(o.ignoreTerm ? ["trap '' TERM"] : []),
    'sleep 987',
    'echo finished',
  ].join('; ');
  return ['sh', '-c', script];
}

const execFile = (command: string[], extra: string) =>
  [
    'match: alertname="HighLatency"',
    'target:',
    '  container: "{{ labels.container }}"',
    'action:',
    '  type: exec',
    `  command: ${JSON.stringify(command)}`,
    extra,
  ].join('\n');

async function alertFor(container: string, fingerprint: string) {
  const body = await fixture('firing-high-latency.json');
  body.alerts[0].labels.container = container;
  body.alerts[0].fingerprint = fingerprint;
  return body;
}

/** What the container itself says: the counts each run wrote, and the `sleep 987` left running. */
async function inside(name: string): Promise<{ counts: string[]; left: number }> {
  const exec = await docker.getContainer(name).exec({ Cmd: ['cat', '/tmp/probe'], AttachStdout: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new (await import('node:stream')).PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  docker.modem.demuxStream(stream, out, out);
  await new Promise((r) => stream.on('end', r));
  const top = (await docker.getContainer(name).top()) as { Processes?: string[][] };
  const left = (top.Processes ?? []).filter((row) => row.at(-1) === 'sleep 987').length;
  return { counts: text.split('\n').filter(Boolean), left };
}

/** The runs of the probe in `name`, from Docker's events. */
async function probeRuns(name: string) {
  await events.sync(name);
  return events.windows('exec', (e) => e.name === name && e.detail.includes('sleep987'));
}

describe('an exec past its timeoutSeconds, retried', () => {
  it.each([
    ['dies on SIGTERM', false],
    ['ignores SIGTERM (killed)', true],
  ])('a script that %s, and its child, are gone before the retry starts; never two at once', async (_what, ignore) => {
    const name = `${p}${ignore ? 'ign' : 'term'}`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const h: Harness = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: await remediationsDir({
        'slow.yaml': execFile(
          probe({ ignoreTerm: ignore }),
          '  timeoutSeconds: 2\nretry:\n  attempts: 3\n  backoff: 100ms\n  jitter: 0',
        ),
      }),
    });
    cleanup.push(() => h.stop());
    const res = await h.post(await alertFor(name, ignore ? 'e1ec000000000001' : 'e1ec000000000002'));
    const job = await h.waitForJob(res.body.jobs[0].jobId, 45_000);
    // Each run found no `sleep 987` of an earlier run alive when it started, and none is left.
    expect(await inside(name)).toEqual({ counts: ['0', '0', '0'], left: 0 });
    expect(job.failedReason).toMatch(/no exit after 2000 ms.*stopped/);
    expect((await h.runtime.history.get(job.id!))?.steps).toMatchObject([{ outcome: 'failed', attempts: 3 }]);
    const runs = await probeRuns(name);
    expect(runs).toHaveLength(3);
    expect(anyOverlap(runs)).toBe(false);
    expect(runs.every((r) => r.exitCode !== '0' && r.end < Infinity)).toBe(true);
  });
});

describe('an exec running when the process gets SIGTERM, past SHUTDOWN_TIMEOUT_SECONDS', () => {
  it('is stopped, with its child, before the job is handed back; the rerun starts with nothing of it left', async () => {
    const name = `${p}shutdown`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const prefix = `${p}q`.replace(/-/g, '');
    const dir = await remediationsDir({
      'slow.yaml': execFile(probe({ ignoreTerm: true, quickRerun: true }), '  timeoutSeconds: 120'),
    });
    const env = {
      REDIS_URL: inject('redisUrl'),
      DOCKER_HOST: inject('dockerHost'),
      QUEUE_PREFIX: prefix,
      REMEDIATIONS_DIR: dir,
      WEBHOOK_TOKEN: TOKEN,
      SHUTDOWN_TIMEOUT_SECONDS: '1',
      WORKER_PORT: '0',
    };
    const api = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: dir,
      worker: false,
      prefix,
    });
    cleanup.push(() => api.stop());
    const first = spawnRemediator('worker', env);
    cleanup.push(async () => first.kill('SIGKILL'));
    await first.waitForLine((l) => l.msg === 'worker started');
    const jobId = (await api.post(await alertFor(name, 'e1ec000000000003'))).body.jobs[0].jobId;
    await events.next((e) => e.name === name && e.verb === 'exec_start' && e.detail.includes('sleep987'));
    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // Handed back (no attempt spent), and nothing of the run left in the container.
    const job = (await api.job(jobId))!;
    expect(['waiting', 'delayed']).toContain(await job.getState());
    expect(job.attemptsMade).toBe(0);
    expect(await inside(name)).toEqual({ counts: ['0'], left: 0 });

    // The rerun on another worker starts with nothing of the first run alive, and finishes.
    const second = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: dir,
      prefix,
    });
    cleanup.push(() => second.stop());
    const done = await second.waitForJob(jobId, 30_000);
    expect(done.returnvalue).toMatchObject({ outcome: 'succeeded', steps: [{ outcome: 'succeeded', attempts: 1 }] });
    expect(await inside(name)).toEqual({ counts: ['0', '0'], left: 0 });
    const runs = await probeRuns(name);
    expect(runs.map((r) => r.exitCode)).toEqual([expect.not.stringMatching(/^0$/), '0']);
    expect(anyOverlap(runs)).toBe(false);
  });
});
