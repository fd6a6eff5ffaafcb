// `npm run up` / `npm run down` as a user runs them, isolated: a private run folder and free
// ports, and no DOCKER_HOST, so up.sh starts everything itself (Redis, a Docker Engine on a
// tmpfs data root, remediator, node_exporter, the demo, Prometheus, Alertmanager), with Slack
// pointed at the local Slack server. Every URL up prints and every link of the Slack thread it
// sends must answer 2xx; the CLI, run with no variables, finds the stack. One demo fault goes
// round the whole loop; then down.sh must leave no process, mount, container or .run/env behind.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/daemons.js';
import { startFakeSlack, textOf, threadIn, type FakeSlack } from '../support/fake-slack.js';
import { BIN } from '../support/process.js';
import { waitFor } from './support/stack.js';

const run = promisify(execFile);
const ROOT = path.join(import.meta.dirname, '..', '..');
let dir: string;
let env: NodeJS.ProcessEnv;
const ports: Record<string, number> = {};
let upOutput = '';
let upErrors = '';
let downDone = false;
let slack: FakeSlack;
/** A folder with nothing but `.run` -> the run folder: where a user runs the CLI from. */
let userDir: string;

const sh = (script: string, timeout = 150_000) =>
  run('bash', [path.join(ROOT, 'scripts', script)], { cwd: ROOT, env, timeout, maxBuffer: 8 * 1024 * 1024 });

/** Pids of processes whose command line mentions the run folder. */
function processesUnder(folder: string): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && p !== String(process.pid))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(folder);
      } catch {
        return false; // exited meanwhile
      }
    });
}
const mountsUnder = (folder: string): string[] =>
  readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(folder));

/** Every http(s) URL in a text, as printed (trailing punctuation left out). */
const urlsIn = (text: string): string[] => [
  ...new Set([...text.matchAll(/https?:\/\/[^\s)'"`<>|]+/g)].map((m) => m[0].replace(/[.,:;]+$/, ''))),
];
/** Every link `<url|label>` in the Slack messages, as Slack would open it (`&amp;` decoded). */
const slackLinks = (texts: string[]): string[] => [
  ...new Set(
    texts.flatMap((t) => [...t.matchAll(/<(https?:\/\/[^|>]+)\|[^>]*>/g)].map((m) => m[1]!.replace(/&amp;/g, '&'))),
  ),
];

/** What a URL answers, with the credentials up says it needs (webhook POST, API, queue UI). */
async function answer(url: string): Promise<number> {
  const token = readFileSync(path.join(dir, 'webhook-token'), 'utf8').trim();
  const password = readFileSync(path.join(dir, 'admin-password'), 'utf8').trim();
  const u = new URL(url);
  const init: RequestInit = { signal: AbortSignal.timeout(5000) };
  if (u.pathname === '/webhook/alertmanager')
    Object.assign(init, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: '4', status: 'firing', alerts: [] }),
    });
  else if (u.pathname.startsWith('/api/v1/')) init.headers = { authorization: `Bearer ${token}` };
  else if (u.pathname.startsWith('/admin') || u.pathname.startsWith('/ui'))
    init.headers = { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` };
  const res = await fetch(url, init);
  await res.body?.cancel();
  return res.status;
}

/** `remediator <args>` as a user types it: no variables but PATH and HOME, from `cwd`. */
async function cli(args: string[], cwd: string) {
  try {
    const r = await run(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      timeout: 30_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  // Short: dockerd's sockets live under it.
  dir = await mkdtemp('/tmp/rmu-');
  userDir = await mkdtemp('/tmp/rmu-user-');
  await symlink(dir, path.join(userDir, '.run'));
  slack = await startFakeSlack();
  for (const name of [
    'PORT',
    'REDIS',
    'PROMETHEUS',
    'ALERTMANAGER',
    'NODE_EXPORTER',
    'DEMO_API',
    'DEMO_QUEUE',
    'DEMO_DB',
  ])
    ports[name] = await freePort();
  env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    REMEDIATOR_RUN_DIR: dir,
    DEMO_FAST: '1',
    REMEDIATOR_NO_BUILD: '1',
    PORT: String(ports.PORT),
    SLACK_BOT_TOKEN: slack.token,
    SLACK_API_URL: slack.apiUrl,
    SLACK_CHANNEL: '#demo',
  };
  for (const name of Object.keys(ports).filter((n) => n !== 'PORT'))
    env[`REMEDIATOR_${name}_PORT`] = String(ports[name]);
  const r = await sh('up.sh');
  upOutput = r.stdout;
  upErrors = r.stderr;
}, 180_000);

afterAll(async () => {
  if (dir && !downDone)
    await sh('down.sh').catch((err: unknown) => console.error(`[up-down] down.sh after a failure: ${String(err)}`));
  if (dir && mountsUnder(dir).length === 0) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  if (userDir) await rm(userDir, { recursive: true, force: true });
  await slack?.close();
}, 120_000);

describe('npm run up / npm run down', () => {
  it('brings up the whole stack, prints where it is and how to break it', async () => {
    const url = (name: string) => `http://127.0.0.1:${ports[name]}`;
    expect(upOutput).toContain(`POST ${url('PORT')}/webhook/alertmanager`);
    // Debian's Prometheus 2.42 has no /alerts page: up names the one that answers.
    expect(upOutput).toMatch(new RegExp(`${url('PROMETHEUS')}(/classic)?/alerts\\s`));
    expect(upOutput).toContain(url('ALERTMANAGER'));
    expect(upOutput).toContain(`${url('PORT')}/admin`);
    for (const fault of ['latency', 'queue', 'disk', 'worker', 'cpu', 'network', 'canary', 'db', 'errors', 'oom'])
      expect(upOutput).toContain(`npm run demo -- ${fault}`);
    expect(upOutput).toContain(`set -a; . ${dir}/env; set +a`);

    expect((await fetch(`${url('PORT')}/healthz`)).status).toBe(200);
    // Prometheus scrapes remediator, the demo and node_exporter, and loaded alert-rules/.
    await waitFor(
      'every Prometheus target up',
      async () => {
        const t = (await (await fetch(`${url('PROMETHEUS')}/api/v1/targets`)).json()) as {
          data: { activeTargets: { labels: { job: string }; health: string }[] };
        };
        const up = t.data.activeTargets
          .filter((a) => a.health === 'up')
          .map((a) => a.labels.job)
          .sort();
        return up.join(',') === 'demo-api,demo-db,demo-queue,node,remediator';
      },
      30_000,
    );
    const rules = (await (await fetch(`${url('PROMETHEUS')}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string }[] }[] };
    };
    const names = rules.data.groups.flatMap((g) => g.rules.map((r) => r.name));
    expect(names).toEqual(
      expect.arrayContaining([
        'HighLatency',
        'QueueDepthHigh',
        'disk_full',
        'RemediatorDown',
        'WorkerDown',
        'ServiceDown',
      ]),
    );
    // The demo containers without a port publish through node_exporter's textfile collector.
    await waitFor(
      'the demo textfiles in Prometheus',
      async () => {
        const q = (await (
          await fetch(
            `${url('PROMETHEUS')}/api/v1/query?query=${encodeURIComponent('probe_success or container_oom_killed')}`,
          )
        ).json()) as { data: { result: { metric: { container?: string } }[] } };
        const seen = q.data.result.map((r) => r.metric.container).sort();
        return seen.join(',') === 'demo-gateway-1,demo-trainer-1';
      },
      30_000,
    );
    // Alertmanager's receiver is remediator's webhook, with the bearer token from a file.
    const status = (await (await fetch(`${url('ALERTMANAGER')}/api/v2/status`)).json()) as {
      config: { original: string };
    };
    expect(status.config.original).toContain(`${url('PORT')}/webhook/alertmanager`);
    expect(status.config.original).toContain(`credentials_file: ${dir}/webhook-token`);
  });

  it('every URL it prints answers 2xx (with the credentials it names), and it reports no problem', async () => {
    const urls = urlsIn(upOutput);
    expect(urls.length).toBeGreaterThan(8);
    const answers = await Promise.all(urls.map(async (u) => [u, await answer(u)] as const));
    expect(answers.filter(([, status]) => status < 200 || status > 299)).toEqual([]);
    expect(upErrors).not.toMatch(/did not answer|no alerts page/);
    // Debian's Alertmanager has no web UI: up says how to use amtool instead of linking a placeholder.
    expect(upOutput).toContain(`amtool --alertmanager.url=http://127.0.0.1:${ports.ALERTMANAGER} alert query`);
  });

  it('generates the queue UI credentials (mode 600, 16+ characters) and serves /admin with them only', async () => {
    const file = path.join(dir, 'admin-password');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'webhook-token')).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim().length).toBeGreaterThanOrEqual(16);
    expect(upOutput).toContain(`user admin, password in ${file}`);
    expect((await fetch(`http://127.0.0.1:${ports.PORT}/admin`)).status).toBe(401);
    expect(await answer(`http://127.0.0.1:${ports.PORT}/admin`)).toBe(200);
  });

  it('a demo fault goes round the loop: npm run demo -- latency -> HighLatency -> restart', async () => {
    const docker = new Docker({ socketPath: path.join(dir, 'docker', 'docker.sock') });
    const before = (await docker.getContainer('demo-api-1').inspect()).State.StartedAt;
    const r = await run(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['demo/cli.ts', 'latency'], {
      cwd: ROOT,
      env,
      timeout: 30_000,
    });
    expect(r.stdout).toContain('latency fault on');
    // Where the demo says to watch answers too.
    const watch = urlsIn(r.stdout);
    expect(watch.length).toBeGreaterThan(0);
    for (const u of watch) expect(await answer(u), u).toBe(200);
    await waitFor(
      'remediator to restart demo-api-1',
      async () => Date.parse((await docker.getContainer('demo-api-1').inspect()).State.StartedAt) > Date.parse(before),
      60_000,
      500,
    );
    // remediator's own record of it (the history API takes the webhook's bearer token).
    const token = readFileSync(path.join(dir, 'webhook-token'), 'utf8').trim();
    const history = await (
      await fetch(`http://127.0.0.1:${ports.PORT}/api/v1/remediations`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).text();
    expect(history).toContain('high-latency');
  });

  it('tells Slack, and every link of the thread answers 2xx (no host name, no UI that is not there)', async () => {
    const jobId = await waitFor(
      'the high-latency job id in remediator history',
      async () => {
        const h = await cli(['history', '--remediation', 'high-latency', '--json'], userDir);
        return (JSON.parse(h.stdout || '{"records":[]}') as { records: { jobId: string }[] }).records[0]?.jobId;
      },
      30_000,
      500,
    );
    const thread = await waitFor(
      'the Slack thread of the restart, succeeded',
      async () => {
        const t = threadIn(slack, jobId);
        return t.parents.some((m) => /Succeeded/.test(textOf(m))) && t;
      },
      60_000,
      500,
    );
    const texts = [...thread.parents, ...thread.replies].flatMap((m) => m.history.map((v) => textOf(v)));
    const links = slackLinks(texts);
    expect(links.some((l) => l.startsWith(`http://127.0.0.1:${ports.PROMETHEUS}/`))).toBe(true);
    expect(links.some((l) => l.startsWith(`http://127.0.0.1:${ports.ALERTMANAGER}/api/v2/alerts?`))).toBe(true);
    expect(links.filter((l) => /silences/.test(l) || !l.startsWith('http://127.0.0.1:'))).toEqual([]);
    for (const l of links) expect(await answer(l), l).toBe(200);
  });

  it('the CLI, run with no variables beside the stack, reads its history (and says from where)', async () => {
    const r = await cli(['history', '--remediation', 'high-latency'], userDir);
    expect(r.stderr).toContain('remediator: using REDIS_URL');
    expect(r.stderr).toContain('from .run/env (the stack npm run up started)');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/high-latency\s+HighLatency\s+demo-api-1\s+succeeded/);
  });

  it('npm run down leaves no process, mount or container behind', async () => {
    const r = await sh('down.sh');
    downDone = true;
    expect(r.stdout).toContain('[down] stopped');
    // The stack is gone, and so is the file that said where it was.
    expect(existsSync(path.join(dir, 'env'))).toBe(false);
    expect(processesUnder(dir)).toEqual([]);
    expect(mountsUnder(dir)).toEqual([]);
    // The engine is gone, and with it its tmpfs data root: no container can be left in it.
    expect(existsSync(path.join(dir, 'docker', 'docker.sock'))).toBe(false);
    expect(readdirSync(path.join(dir, 'docker', 'data'))).toEqual([]);
    for (const name of Object.keys(ports)) {
      const res = await fetch(`http://127.0.0.1:${ports[name]}/`, { signal: AbortSignal.timeout(1000) }).catch(
        () => undefined,
      );
      expect(res, `something still answers on ${name} port ${ports[name]}`).toBeUndefined();
    }
  });
});
