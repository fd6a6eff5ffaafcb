// Hot reload of remediations/ against real Redis and Docker: a broken file keeps the old
// catalog serving (logged, counted); a good one changes matching for the next webhook while a
// job queued before it finishes under its old definition. SIGHUP through the real binary.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/lib/daemons.js';
import { createTestContainer, inspectStartedAt, removeContainers, uniquePrefix } from '../support/docker.js';
import { TOKEN, fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'remediator.js');
const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('reload');
const OLD =
  'match: alertname="HighLatency"\ntarget:\n  container: "{{ labels.container }}"\naction:\n  type: restart\ndelay: 4s\nretry:\n  attempts: 1\n';
const NEW =
  'match:\n  - alertname="HighLatency"\n  - severity="page"\ntarget:\n  container: "{{ labels.container }}"\naction:\n  type: stop\n  stopTimeoutSeconds: 2\nretry:\n  attempts: 1\n';
const BROKEN = `${OLD}cooldwon: 5m\n`;

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function alert(container: string, fingerprint: string, severity = 'critical') {
  const body = await fixture('firing-high-latency.json');
  Object.assign(body.alerts[0].labels, { container, severity });
  body.alerts[0].fingerprint = fingerprint;
  return body;
}

const failures = async (url: string) =>
  Number(/^remediator_catalog_reload_failures_total (\d+)/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1]);

describe('hot reload in a running remediator', () => {
  let h: Harness;
  let dir: string;
  let oldHash: string;
  beforeAll(async () => {
    dir = await remediationsDir({ 'restart.yaml': OLD });
    h = await startHarness({ redisUrl: inject('redisUrl'), dockerHost: inject('dockerHost'), remediationsDir: dir });
    oldHash = h.runtime.catalog().get('restart')!.hash;
  });
  afterAll(async () => {
    await h?.stop();
    await removeContainers(docker, p);
  });

  it('a broken file is rejected with every problem in the log and a metric, and the old catalog keeps serving', async () => {
    await writeFile(path.join(dir, 'restart.yaml'), BROKEN);
    const r = await h.runtime.reload('test');
    expect(r.result).toBe('rejected');
    expect(h.runtime.catalog().get('restart')!.hash).toBe(oldHash);
    const line = h.logs.find((l) => l.msg === 'catalog reload rejected: the previous catalog stays in force');
    expect(line).toMatchObject({
      trigger: 'test',
      kept: ['restart'],
      problems: [{ file: path.join(dir, 'restart.yaml'), path: '/cooldwon' }],
    });
    // At least this reload (the file watcher may have seen the same write and rejected it too).
    const counted = await failures(h.url);
    expect(counted).toBeGreaterThanOrEqual(1);

    // The file watcher sees the next bad write by itself.
    const seenBefore = h.logs.length;
    await writeFile(path.join(dir, 'restart.yaml'), `${BROKEN}# again\n`);
    await until('the watcher to reject it', () =>
      h.logs
        .slice(seenBefore)
        .some((l) => l.trigger === 'file change' && String(l.msg).startsWith('catalog reload rejected')),
    );
    expect(await failures(h.url)).toBeGreaterThan(counted);

    // The old definition still matches, and a job is made from it.
    const res = await h.post(await alert(`${p}absent`, 'rl00000000000001'));
    expect(res.body.jobs).toMatchObject([{ remediation: 'restart', status: 'enqueued' }]);
    expect((await h.job(res.body.jobs[0].jobId))!.data.remediation.hash).toBe(oldHash);

    const rules = (await (
      await fetch(`${h.url}/api/v1/rules`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as any;
    expect(rules).toMatchObject({
      dir,
      remediations: [{ id: 'restart', hash: oldHash, action: 'restart' }],
      lastReload: { trigger: 'file change', result: 'rejected' },
    });
    expect(Date.parse(rules.loadedAt)).toBeLessThan(Date.now());
  });

  it('a good file changes matching for the next webhook; a job queued before finishes under its old definition', async () => {
    const before = `${p}before`;
    const after = `${p}after`;
    await createTestContainer(docker, { name: before, labels: { 'remediator.enable': 'true' } });
    await createTestContainer(docker, { name: after, labels: { 'remediator.enable': 'true' } });
    const startedBefore = await inspectStartedAt(docker, before);

    // In flight: queued under OLD (restart after a 4 s delay) before the reload.
    const first = await h.post(await alert(before, 'rl00000000000002'));
    const inFlight = first.body.jobs[0].jobId;
    await writeFile(path.join(dir, 'restart.yaml'), NEW);
    await until('the watcher to apply the new file', () => h.runtime.catalog().get('restart')!.hash !== oldHash);
    expect(['delayed', 'waiting', 'active']).toContain(await (await h.job(inFlight))!.getState());

    // The next webhook is matched against NEW: severity=critical no longer matches, page does.
    const unmatched = await h.post(await alert(after, 'rl00000000000003'));
    expect(unmatched.body).toMatchObject({ alerts: 1, unmatched: 1, jobs: [] });
    const matched = await h.post(await alert(after, 'rl00000000000004', 'page'));
    const newJob = await h.waitForJob(matched.body.jobs[0].jobId);
    expect(newJob.returnvalue).toMatchObject({ outcome: 'succeeded', action: 'stop' });
    expect((await docker.getContainer(after).inspect()).State.Running).toBe(false);

    const old = await h.waitForJob(inFlight);
    expect(old.data.remediation.hash).toBe(oldHash);
    expect(old.returnvalue).toMatchObject({ outcome: 'succeeded', action: 'restart', targets: [before] });
    expect(Date.parse(await inspectStartedAt(docker, before))).toBeGreaterThan(Date.parse(startedBefore));
    expect((await docker.getContainer(before).inspect()).State.Running).toBe(true);
  });
});

describe('SIGHUP', () => {
  it('reloads remediations/ in the real binary: a broken file is rejected and logged, the process keeps running', async () => {
    const dir = await remediationsDir({ 'restart.yaml': OLD });
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        PORT: String(port),
        REDIS_URL: inject('redisUrl'),
        REMEDIATIONS_DIR: dir,
        WEBHOOK_TOKEN: TOKEN,
        QUEUE_PREFIX: `${p.replace(/-$/, '')}hup`,
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const lines = () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    try {
      await until('HTTP listening', () => out.includes('HTTP listening'), 30_000);
      await writeFile(path.join(dir, 'restart.yaml'), BROKEN);
      child.kill('SIGHUP');
      const rejected = await until('a SIGHUP reload', () => lines().find((l) => l.trigger === 'SIGHUP'));
      expect(rejected).toMatchObject({
        msg: 'catalog reload rejected: the previous catalog stays in force',
        problems: [{ path: '/cooldwon' }],
      });
      expect(child.exitCode).toBeNull();
      const health = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(((await health.json()) as any).checks.rules).toBe('ok');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
