// The real `remediator` binary as a user runs it: --version and --help, the exit codes of
// README.md's table (and `npm run demo`'s), check, configuration errors, and start -> fixture
// over HTTP -> container restarted -> SIGTERM -> clean exit.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/lib/daemons.js';
import { createTestContainer, inspectStartedAt, removeContainers, uniquePrefix } from '../support/docker.js';
import { FIXTURES } from '../support/harness.js';
import { BIN, spawnRemediator } from '../support/process.js';
import { COMMANDS } from '../../src/cli/help.js';

const run = promisify(execFile);
const baseEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'info' };

async function exec(file: string, args: string[], env: Record<string, string>, cwd?: string) {
  try {
    const r = await run(file, args, { env: { ...baseEnv, ...env }, timeout: 30_000, cwd });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const cli = (args: string[], env: Record<string, string> = {}) => exec(process.execPath, [BIN, ...args], env);
const ROOT = path.join(import.meta.dirname, '..', '..');

describe('remediator --version and --help', () => {
  it('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await cli([flag]);
      expect(r).toMatchObject({ code: 0, stdout: `remediator ${version}\n`, stderr: '' });
    }
  });

  it('--help lists every command and the exit codes', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(r.stdout).toContain('0 ok, 1 problems found');
    expect(r.stdout).toContain('69 unavailable');
  });

  // Every command of the CLI, from its own list: a new command cannot miss its --help.
  it.each(COMMANDS)('remediator %s --help prints its usage and exits 0 (so do -h and help CMD)', async (c) => {
    // -h and `help CMD` once each: every run of the binary costs a Node start.
    const other = c === 'check' ? [[c, '-h']] : c === 'history' ? [['help', c]] : [];
    for (const args of [[c, '--help'], ...other]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(new RegExp(`^usage: remediator ${c}\\b`));
      expect(r.stdout).toContain('exit codes: 0 ok');
    }
  });
});

describe('exit codes, as README.md lists them', () => {
  it("2 for usage: an unknown command, an unknown option (with the usage, not Node's tip), an extra argument", async () => {
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    for (const c of ['check', 'simulate', 'history']) {
      const r = await cli([c, '--bogus']);
      expect(r.code, c).toBe(2);
      expect(r.stderr).toContain(`remediator ${c}: Unknown option '--bogus'\nusage: remediator ${c}`);
      expect(r.stderr).not.toContain('To specify a positional argument');
    }
    const extra = await cli(['worker', 'now']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain('unexpected argument "now"');
  });

  it('69 when Redis cannot be reached (history, simulate), naming where it looked', async () => {
    const env = { REDIS_URL: 'redis://127.0.0.1:1' };
    const history = await cli(['history'], env);
    expect(history.code).toBe(69);
    expect(history.stderr).toContain('cannot reach Redis at 127.0.0.1:1 (REDIS_URL)');
    const simulate = await cli(['simulate', path.join(FIXTURES, 'firing-disk-full.json')], env);
    expect(simulate.code).toBe(69);
  });

  it('npm run demo keeps the same scheme: 2 for usage, 69 when no stack is up', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'rmd-demo-'));
    const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
    const demo = (args: string[]) => exec(tsx, ['demo/cli.ts', ...args], { REMEDIATOR_RUN_DIR: empty }, ROOT);
    const usage = await demo(['frobnicate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: npm run demo -- latency');
    const seconds = await demo(['queue', 'lots']);
    expect(seconds.code).toBe(2);
    // The seed runbooks' faults too: a bad argument is usage, a missing stack is 69.
    const burst = await demo(['cpu', '99999']);
    expect(burst.code).toBe(2);
    expect(burst.stderr).toContain('cpu: expected a length in seconds (1-3600) or "off", got 99999');
    expect((await demo(['worker', 'twice'])).code).toBe(2);
    expect((await demo(['oom'])).code).toBe(69);
    const none = await demo(['latency']);
    expect(none.code).toBe(69);
    expect(none.stderr).toContain('no demo running');
  });
});

describe('remediator check', () => {
  it('accepts the shipped remediations (exit 0)', async () => {
    const r = await cli(['check']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/10 remediations valid/);
  });

  it('reports every invalid file with its path and reason (exit 1)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rmd-chk-'));
    await writeFile(
      path.join(dir, 'typo.yaml'),
      'match: alertname="X"\ntarget:\n  container: api\naction:\n  type: restart\ncooldwon: 5m\n',
    );
    await writeFile(path.join(dir, 'bad-action.yaml'), 'match: alertname="X"\naction:\n  type: reboot\n');
    const r = await cli(['check', '--dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path.join(dir, 'typo.yaml')}  /cooldwon  unknown key "cooldwon"`);
    expect(r.stderr).toMatch(
      /bad-action\.yaml {2}\/action\/type {2}expected one of restart, start, stop, kill, exec, scale, prune/,
    );
  });
});

describe('configuration errors name the variable', () => {
  it.each([
    [{}, /WEBHOOK_TOKEN: not set/],
    [{ WEBHOOK_TOKEN: 'x'.repeat(20), REDIS_URL: 'localhost:6379' }, /REDIS_URL: invalid value/],
    [{ WEBHOOK_TOKEN: 'x'.repeat(20), WORKER_CONCURRENCY: 'many' }, /WORKER_CONCURRENCY: invalid value/],
    [{ WEBHOOK_TOKEN: 'x'.repeat(20), REMEDIATIONS_DIR: '/nonexistent' }, /REMEDIATIONS_DIR is not a directory/],
    [
      { WEBHOOK_TOKEN: 'x'.repeat(20), PROMETHEUS_URL: 'http://127.0.0.1:9', HOSTS_FILE: '/nonexistent/hosts.yaml' },
      /invalid hosts file .*\n.*HOSTS_FILE cannot be read \(ENOENT\)/,
    ],
  ])('refuses to start with %j', async (env, message) => {
    const r = await cli(['start'], env as Record<string, string>);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(message);
  });
});

describe('remediator start', () => {
  const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
  const p = uniquePrefix('cli');
  afterAll(() => removeContainers(docker, p));

  it('takes a real fixture over HTTP, restarts the container, and exits cleanly on SIGTERM', async () => {
    const name = `${p}api`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const before = await inspectStartedAt(docker, name);
    const port = await freePort();
    const token = 'cli-token-0123456789abcdef';
    const proc = spawnRemediator('start', {
      PORT: String(port),
      REDIS_URL: inject('redisUrl'),
      DOCKER_HOST: inject('dockerHost'),
      WEBHOOK_TOKEN: token,
      QUEUE_PREFIX: p.replace(/-$/, ''),
    });
    try {
      await proc.waitForLine((l) => l.msg === 'HTTP listening');
      const payload = JSON.parse(await readFile(path.join(FIXTURES, 'firing-high-latency.json'), 'utf8'));
      payload.alerts[0].labels.container = name;
      const res = await fetch(`http://127.0.0.1:${port}/webhook/alertmanager`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'user-agent': 'Alertmanager/0.25.0',
        },
        body: JSON.stringify(payload),
      });
      expect(res.status).toBe(202);
      await proc.waitForLine((l) => l.msg === 'job succeeded', 10_000);
      expect(Date.parse(await inspectStartedAt(docker, name))).toBeGreaterThan(Date.parse(before));

      // One JSON line per state change, carrying job id, remediation, alertname and fingerprint.
      for (const msg of ['job queued', 'job running', 'job succeeded']) {
        const line = proc.lines().find((l) => l.msg === msg);
        expect(line, msg).toMatchObject({
          remediation: 'high-latency',
          alertname: 'HighLatency',
          fingerprint: '3e03c1ad0d5013c4',
        });
        expect(line!.jobId).toMatch(/^high-latency\.3e03c1ad0d5013c4\.\d+$/);
      }
      expect(proc.output()).not.toContain(token);

      const t0 = Date.now();
      proc.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(15_000);
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
