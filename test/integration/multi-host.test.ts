// Beyond one machine, with real engines side by side as hosts: `a` is the global set-up's
// dockerd, `b` a private one, `c` a private one reached over TCP+TLS with certificates made by
// openssl. The webhook runs in this process; each host has its own worker, the real binary
// (`remediator worker --host H`). Docker's event streams of every engine are recorded live, so
// "acted on b, never on a" and "ran once" are read from the engines themselves.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pollUntil } from '../../scripts/lib/procs.js';
import {
  dockerFromHost,
  ensureBusyboxImage,
  startDockerd,
  type DockerdHandle,
  type TlsDockerdHandle,
} from '../../scripts/lib/daemons.js';
import type { HistoryRecord } from '../../src/history/index.js';
import { recordEvents, type EventRecorder } from '../support/docker-events.js';
import { createTestContainer, inspectStartedAt, removeContainers, uniquePrefix } from '../support/docker.js';
import { remediationsDir, startHarness, type Harness } from '../support/harness.js';
import { spawnRemediator, type Proc } from '../support/process.js';

const p = uniquePrefix('hosts');
const api = `${p}api`;
const ESCALATE_S = 30;
let root: string;
let bd: DockerdHandle;
let cd: TlsDockerdHandle;
const engines: Record<'a' | 'b' | 'c', Docker> = {} as never;
const events: Partial<Record<'a' | 'b' | 'c', EventRecorder>> = {};
let hostsFile: string;
let wrongHostsFile: string;
let dir: string;
let http: Harness;
const workers: Partial<Record<string, Proc>> = {};
let workerEnv: Record<string, string>;

const REMEDIATION = `match:
  - alertname="HostRestart"
target:
  host: "{{ labels.instance | host }}"
  container: "{{ labels.container }}"
action:
  type: restart
  stopTimeoutSeconds: 5
retry: { attempts: 2, backoff: 500ms, maxBackoff: 1s, jitter: 0 }
verify: { running: true, within: 20s }
guards: { cooldown: 0s, budget: { runs: 100, window: 1h } }
`;

function alert(host: string, container = api) {
  const fp = randomBytes(8).toString('hex');
  return {
    version: '4',
    status: 'firing',
    receiver: 'remediator',
    groupKey: `{}:{alertname="HostRestart"}`,
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'HostRestart', instance: `${host}:9100`, container },
        annotations: {},
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        fingerprint: fp,
      },
    ],
  };
}

async function startWorker(host: string, file = hostsFile): Promise<Proc> {
  const w = spawnRemediator('worker', { ...workerEnv, HOSTS_FILE: file }, ['--host', host]);
  workers[host] = w;
  await w.waitForLine((l) => l.msg === 'worker started' && l.hosts?.includes(host), 60_000);
  return w;
}

async function stopWorker(host: string): Promise<void> {
  const w = workers[host];
  if (!w) return;
  w.kill('SIGTERM');
  await w.exited;
  delete workers[host];
}

async function post(body: unknown): Promise<{ jobId: string; status: string; reason?: string }> {
  const res = await http.post(body);
  expect(res.status).toBe(202);
  return res.body.jobs[0];
}

/** The job's final history record (the worker or watchdog wrote it). */
async function finished(jobId: string, timeoutMs = 60_000): Promise<HistoryRecord> {
  let rec: HistoryRecord | undefined;
  await pollUntil(`history of ${jobId}`, timeoutMs, async () => {
    rec = await http.runtime.history.get(jobId);
    return rec !== undefined && rec.outcome !== 'queued';
  });
  return rec!;
}

const restarts = (host: 'a' | 'b' | 'c', name: string) =>
  events[host]!.windows('restart').filter((w) => w.container === name).length;

beforeAll(async () => {
  root = await mkdtemp('/tmp/rmd-');
  [bd, cd] = await Promise.all([
    startDockerd({ root: path.join(root, 'b') }),
    startDockerd({ root: path.join(root, 'c'), tls: true }),
  ]);
  await Promise.all([ensureBusyboxImage(bd.dockerHost), ensureBusyboxImage(cd.dockerHost)]);
  engines.a = dockerFromHost(inject('dockerHost'));
  engines.b = dockerFromHost(bd.dockerHost);
  engines.c = dockerFromHost(cd.dockerHost);
  for (const h of ['a', 'b', 'c'] as const) events[h] = await recordEvents(engines[h]);
  const hostsText = (cert: { ca: string; cert: string; key: string }) =>
    [
      'hosts:',
      '  a:',
      `    engine: ${inject('dockerHost')}`,
      '    default: true',
      '  b:',
      `    engine: ${bd.dockerHost}`,
      '  c:',
      `    engine: ${cd.tcpHost}`,
      `    tls: { ca: ${cert.ca}, cert: ${cert.cert}, key: ${cert.key} }`,
      '',
    ].join('\n');
  hostsFile = path.join(root, 'hosts.yaml');
  wrongHostsFile = path.join(root, 'hosts-wrong-cert.yaml');
  await writeFile(hostsFile, hostsText(cd.certs.client));
  await writeFile(wrongHostsFile, hostsText(cd.certs.wrongClient));
  dir = await remediationsDir({ 'host-restart.yaml': REMEDIATION });
  const shared = {
    HOSTS_FILE: hostsFile,
    HOST_DOWN_ESCALATE_SECONDS: String(ESCALATE_S),
    HOST_HEARTBEAT_SECONDS: '1',
  };
  http = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: dir,
    worker: false,
    env: shared,
  });
  workerEnv = {
    ...shared,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: http.prefix,
    REMEDIATIONS_DIR: dir,
    WORKER_PORT: '0',
    SHUTDOWN_TIMEOUT_SECONDS: '5',
  };
  await Promise.all(['a', 'b', 'c'].map((h) => startWorker(h)));
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.keys(workers).map((h) => stopWorker(h)));
  await http?.stop();
  for (const e of Object.values(events)) await e?.stop();
  for (const d of Object.values(engines)) await removeContainers(d, p).catch(() => undefined);
  await Promise.allSettled([bd?.stop(), cd?.stop()]);
  await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

describe('routing: a job acts on the host its alert names', () => {
  it("an alert for host b restarts b's container and never a's container of the same name", async () => {
    for (const h of ['a', 'b'] as const) {
      await createTestContainer(engines[h], { name: api, labels: { 'remediator.enable': 'true', host: h } });
    }
    const before = { a: await inspectStartedAt(engines.a, api), b: await inspectStartedAt(engines.b, api) };
    const job = await post(alert('b'));
    expect(job.status).toBe('enqueued');
    expect((await http.runtime.queueFor('b').getJob(job.jobId))?.data.host).toBe('b');

    const rec = await finished(job.jobId);
    expect(rec).toMatchObject({ outcome: 'succeeded', host: 'b', targets: [api] });
    expect(Date.parse(await inspectStartedAt(engines.b, api))).toBeGreaterThan(Date.parse(before.b));
    expect(await inspectStartedAt(engines.a, api)).toBe(before.a);
    await events.a!.sync(api);
    await events.b!.sync(api);
    expect(restarts('b', api)).toBe(1);
    // On a, the same-named container was created and started by this test, and nothing else.
    expect(events.a!.events.filter((e) => e.name === api && !e.verb.startsWith('exec_')).map((e) => e.verb)).toEqual([
      'create',
      'start',
    ]);
  });

  it('the TLS engine (c) is reached with the right client certificate: its container is restarted', async () => {
    const name = `${p}tls`;
    await createTestContainer(engines.c, { name, labels: { 'remediator.enable': 'true' } });
    const before = await inspectStartedAt(engines.c, name);
    const job = await post(alert('c', name));
    const rec = await finished(job.jobId);
    expect(rec).toMatchObject({ outcome: 'succeeded', host: 'c', targets: [name] });
    expect(Date.parse(await inspectStartedAt(engines.c, name))).toBeGreaterThan(Date.parse(before));
    await events.c!.sync(name);
    expect(restarts('c', name)).toBe(1);
  });

  it('a host the hosts file does not list is refused at once, recorded, and no engine is asked', async () => {
    // Engine a is the run's shared dockerd (other files' containers come and go on it), so only
    // this file's containers count; a flush first takes in the previous test's late events.
    const hosts = ['a', 'b', 'c'] as const;
    for (const h of hosts) await events[h]!.flush();
    const seen = Object.fromEntries(hosts.map((h) => [h, events[h]!.actionsOn(p).length]));
    const body = alert('zz');
    const job = await post(body);
    expect(job.status).toBe('refused');
    expect(job.reason).toBe('host "zz" is not in the hosts file (known: a, b, c)');
    expect(await http.runtime.history.get(job.jobId)).toMatchObject({
      outcome: 'refused',
      host: 'zz',
      summary: 'host "zz" is not in the hosts file (known: a, b, c)',
    });
    // Sent again (Alertmanager's repeat): the episode is known, nothing is added.
    expect((await post(body)).status).toBe('duplicate');
    for (const h of hosts) {
      await events[h]!.flush();
      expect(events[h]!.actionsOn(p).length, h).toBe(seen[h]);
    }
    expect(await http.runtime.queueFor('zz').getJobCounts('waiting', 'delayed', 'active')).toMatchObject({
      waiting: 0,
      delayed: 0,
      active: 0,
    });
  });
});

describe("failure of a host: b's worker is down", () => {
  it('a keeps remediating; b’s job waits (readyz, metrics), then escalates after HOST_DOWN_ESCALATE_SECONDS', async () => {
    const name = `${p}down`;
    await createTestContainer(engines.b, { name, labels: { 'remediator.enable': 'true' } });
    const onA = `${p}meanwhile`;
    await createTestContainer(engines.a, { name: onA, labels: { 'remediator.enable': 'true' } });
    const before = await inspectStartedAt(engines.b, name);
    await stopWorker('b');
    // b counts as down after three missed heartbeats (1 s each).
    await pollUntil('b reported down', 15_000, async () => {
      const r = (await fetch(`${http.url}/readyz`).then((x) => x.json())) as any;
      return r.hosts?.b?.worker === 'down';
    });

    const waiting = await post(alert('b', name));
    const other = await post(alert('a', onA));
    expect(await finished(other.jobId)).toMatchObject({ outcome: 'succeeded', host: 'a' });
    // b's job is still there, waiting, and says so.
    expect(await http.runtime.queueFor('b').getJobState(waiting.jobId)).toBe('waiting');
    const ready = (await fetch(`${http.url}/readyz`).then((x) => x.json())) as any;
    expect(ready.hosts.b).toMatchObject({ worker: 'down', jobs: { waiting: 1 } });
    expect(ready.hosts.a.worker).toBe('up');
    const metrics = await fetch(`${http.url}/metrics`).then((x) => x.text());
    expect(metrics).toContain('remediator_host_up{host="b"} 0');
    expect(metrics).toContain('remediator_host_up{host="a"} 1');
    expect(metrics).toMatch(/remediator_queue_jobs\{queue="remediations",state="waiting",host="b"\} 1/);

    const rec = await finished(waiting.jobId, (ESCALATE_S + 30) * 1000);
    expect(rec).toMatchObject({ outcome: 'escalated', escalation: 'host_down', host: 'b' });
    expect(rec.summary).toMatch(/^no worker served host b for \d+ s/);
    expect(await http.runtime.queueFor('b').getJob(waiting.jobId)).toBeUndefined();
    expect(await inspectStartedAt(engines.b, name)).toBe(before);
    // Every process runs the watchdog; exactly one escalated the job.
    const escalations = [http.logs, ...Object.values(workers).map((w) => w!.lines())]
      .flat()
      .filter((l) => l.msg === 'job escalated: its host has no worker' && l.jobId === waiting.jobId);
    expect(escalations).toHaveLength(1);
  }, 120_000);

  it("b's worker back before the time: the waiting job runs once, not escalated", async () => {
    const name = `${p}back`;
    await createTestContainer(engines.b, { name, labels: { 'remediator.enable': 'true' } });
    expect(workers.b).toBeUndefined();
    const job = await post(alert('b', name));
    expect(await http.runtime.queueFor('b').getJobState(job.jobId)).toBe('waiting');
    await startWorker('b');
    const rec = await finished(job.jobId);
    expect(rec).toMatchObject({ outcome: 'succeeded', host: 'b' });
    expect(rec.escalation).toBeUndefined();
    await events.b!.sync(name);
    expect(restarts('b', name)).toBe(1);
  }, 120_000);
});

describe('the TLS engine with a wrong client certificate', () => {
  it('is a clear error naming the host and the certificate, retried, then escalated; nothing done', async () => {
    const name = `${p}wrongcert`;
    await createTestContainer(engines.c, { name, labels: { 'remediator.enable': 'true' } });
    const before = await inspectStartedAt(engines.c, name);
    await stopWorker('c');
    const wrong = await startWorker('c', wrongHostsFile);
    const job = await post(alert('c', name));
    const rec = await finished(job.jobId);
    expect(rec).toMatchObject({ outcome: 'escalated', escalation: 'retries_exhausted', host: 'c', attempts: 2 });
    expect(rec.summary).toMatch(
      /host c \(tcp:\/\/127\.0\.0\.1:\d+\) refused our client certificate \(check tls\.cert and tls\.key of c\)/,
    );
    expect(wrong.lines().filter((l) => l.msg === 'job retrying' && l.jobId === job.jobId)).toHaveLength(1);
    expect(await inspectStartedAt(engines.c, name)).toBe(before);
    await events.c!.sync(name);
    expect(restarts('c', name)).toBe(0);
  }, 120_000);
});

describe('one worker for many hosts (no --host)', () => {
  it('serves every host of the hosts file, reaching the TLS engine too', async () => {
    const one = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: dir,
      env: { HOSTS_FILE: hostsFile, HOST_HEARTBEAT_SECONDS: '1' },
    });
    try {
      expect(one.runtime.workerHosts).toEqual(['a', 'b', 'c']);
      const names = { b: `${p}many-b`, c: `${p}many-c` };
      for (const h of ['b', 'c'] as const) {
        await createTestContainer(engines[h], { name: names[h], labels: { 'remediator.enable': 'true' } });
      }
      const jobs = await Promise.all(
        (['b', 'c'] as const).map(async (h) => {
          const res = await one.post(alert(h, names[h]));
          return res.body.jobs[0].jobId as string;
        }),
      );
      for (const [i, h] of (['b', 'c'] as const).entries()) {
        let rec: HistoryRecord | undefined;
        await pollUntil(`job on ${h}`, 60_000, async () => {
          rec = await one.runtime.history.get(jobs[i]!);
          return rec !== undefined && rec.outcome !== 'queued';
        });
        expect(rec).toMatchObject({ outcome: 'succeeded', host: h, targets: [names[h]] });
        await events[h]!.sync(names[h]);
        expect(restarts(h, names[h])).toBe(1);
      }
    } finally {
      await one.stop();
    }
  }, 120_000);
});
