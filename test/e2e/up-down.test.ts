// `npm run up` / `npm run down` as a user runs them, isolated: a private run folder and free
// ports, and no DOCKER_HOST, so up.sh starts everything itself (Redis, a Docker Engine on a
// tmpfs data root, remediator, node_exporter, the demo, Prometheus, Alertmanager). One demo
// fault goes round the whole loop; then down.sh must leave no process, mount or container.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/daemons.js';
import { waitFor } from './support/stack.js';

const run = promisify(execFile);
const ROOT = path.join(import.meta.dirname, '..', '..');
let dir: string;
let env: NodeJS.ProcessEnv;
const ports: Record<string, number> = {};
let upOutput = '';
let downDone = false;

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

beforeAll(async () => {
  // Short: dockerd's sockets live under it.
  dir = await mkdtemp('/tmp/rmu-');
  for (const name of ['PORT', 'REDIS', 'PROMETHEUS', 'ALERTMANAGER', 'NODE_EXPORTER', 'DEMO_API', 'DEMO_QUEUE'])
    ports[name] = await freePort();
  env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    REMEDIATOR_RUN_DIR: dir,
    DEMO_FAST: '1',
    REMEDIATOR_NO_BUILD: '1',
    PORT: String(ports.PORT),
  };
  for (const name of Object.keys(ports).filter((n) => n !== 'PORT'))
    env[`REMEDIATOR_${name}_PORT`] = String(ports[name]);
  const r = await sh('up.sh');
  upOutput = r.stdout;
}, 180_000);

afterAll(async () => {
  if (dir && !downDone)
    await sh('down.sh').catch((err: unknown) => console.error(`[up-down] down.sh after a failure: ${String(err)}`));
  if (dir && mountsUnder(dir).length === 0) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}, 120_000);

describe('npm run up / npm run down', () => {
  it('brings up the whole stack, prints where it is and how to break it', async () => {
    const url = (name: string) => `http://127.0.0.1:${ports[name]}`;
    expect(upOutput).toContain(`POST ${url('PORT')}/webhook/alertmanager`);
    expect(upOutput).toContain(`${url('PROMETHEUS')}/alerts`);
    expect(upOutput).toContain(url('ALERTMANAGER'));
    for (const fault of ['latency', 'queue', 'disk']) expect(upOutput).toContain(`npm run demo -- ${fault}`);

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
        return up.join(',') === 'demo-api,demo-queue,node,remediator';
      },
      30_000,
    );
    const rules = (await (await fetch(`${url('PROMETHEUS')}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string }[] }[] };
    };
    const names = rules.data.groups.flatMap((g) => g.rules.map((r) => r.name));
    expect(names).toEqual(expect.arrayContaining(['HighLatency', 'QueueDepthHigh', 'disk_full', 'RemediatorDown']));
    // Alertmanager's receiver is remediator's webhook, with the bearer token from a file.
    const status = (await (await fetch(`${url('ALERTMANAGER')}/api/v2/status`)).json()) as {
      config: { original: string };
    };
    expect(status.config.original).toContain(`${url('PORT')}/webhook/alertmanager`);
    expect(status.config.original).toContain(`credentials_file: ${dir}/webhook-token`);
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

  it('npm run down leaves no process, mount or container behind', async () => {
    const r = await sh('down.sh');
    downDone = true;
    expect(r.stdout).toContain('[down] stopped');
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
