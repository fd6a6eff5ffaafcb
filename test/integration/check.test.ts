// `remediator check` as a user runs it, with the real promtool: remediations and alert rules
// validated, every problem with file and path, warnings for remediations no rule triggers and
// rules nothing handles, exit codes scripts can use.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommand } from '../../src/cli/check.js';

const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'remediator.js');
const ROOT = path.join(import.meta.dirname, '..', '..');

/** The real binary: what a script sees, exit code included (main.ts maps errors to codes). */
function bin(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' };
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [BIN, 'check', ...args],
      { cwd: ROOT, env: { ...base, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** The same command in-process (no second Node start per case), against the real promtool. */
async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await checkCommand(args, {
    out: { write: (s: string) => (stdout += s) },
    err: { write: (s: string) => (stderr += s) },
    stdin: [],
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return { code, stdout, stderr };
}

async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rmd-check-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

const RULE = (alert: string, expr = 'up == 0', labels = '') =>
  `      - alert: ${alert}\n        expr: ${expr}\n${labels ? `        labels:\n${labels}` : ''}`;
const rules = (...r: string[]) => `groups:\n  - name: g\n    rules:\n${r.join('')}`;
const REMEDIATION = (alertname: string) => `match: alertname="${alertname}"\naction:\n  type: prune\n`;

describe('remediator check', () => {
  it('the shipped remediations and alert rules: valid, checked by promtool, and nothing unhandled (exit 0)', async () => {
    const r = await bin([], { PROMETHEUS_URL: 'http://127.0.0.1:9090' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('10 remediations valid in remediations');
    expect(r.stdout).toMatch(/\d+ alert rules in 2 files of alert-rules \(checked by promtool\)/);
    expect(r.stderr).toBe('');
  });

  it('without PROMETHEUS_URL, warns (exit 0) that a worker needs it for the verification queries', async () => {
    const r = await bin([]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /warn\s+remediations\/high-latency\.yaml.*verifies with PromQL \(restart, scale-out\): a worker needs PROMETHEUS_URL/,
    );
  });

  it('warns about a remediation no rule can trigger and a rule nothing handles, but not about self-watch rules (exit 0)', async () => {
    const dir = await project({
      'remediations/disk.yaml': REMEDIATION('disk_full'),
      'remediations/orphan.yaml': REMEDIATION('NoSuchAlert'),
      'rules/a.yml': rules(
        RULE('disk_full'),
        RULE('Unhandled'),
        RULE('RemediatorDown', 'up == 0', '          component: remediator\n'),
      ),
    });
    const r = await cli(['--dir', path.join(dir, 'remediations'), '--rules', path.join(dir, 'rules')]);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('warn'))).toEqual([
      `warn  ${path.join(dir, 'remediations/orphan.yaml')}  /match  no alert rule in ${path.join(dir, 'rules')} can trigger it (alertname="NoSuchAlert")`,
      `warn  ${path.join(dir, 'rules/a.yml')}  /groups/0/rules/1  alert Unhandled has no remediation: nothing matches it`,
    ]);
    expect(r.stdout).toContain('valid, with 2 warnings');
  });

  it('a rule promtool rejects is an error with its file (exit 1), alongside remediation errors', async () => {
    const dir = await project({
      'remediations/typo.yaml': `${REMEDIATION('disk_full')}cooldwon: 5m\n`,
      'rules/bad.yml': rules(RULE('disk_full', '"up =="')),
      'rules/good.yml': rules(RULE('Other')),
    });
    const r = await cli(['--dir', path.join(dir, 'remediations'), '--rules', path.join(dir, 'rules')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error  ${path.join(dir, 'remediations/typo.yaml')}  /cooldwon  unknown key "cooldwon"`);
    expect(r.stderr).toMatch(
      new RegExp(`error  ${path.join(dir, 'rules/bad.yml')}  /  promtool: .*could not parse expression`),
    );
    expect(r.stderr).not.toContain('good.yml');
  });

  it('says so when promtool is not installed, and still parses the rules', async () => {
    const dir = await project({
      'remediations/disk.yaml': REMEDIATION('disk_full'),
      'rules/a.yml': rules(RULE('disk_full')),
    });
    const r = await cli(['--dir', path.join(dir, 'remediations'), '--rules', path.join(dir, 'rules')], {
      PROMTOOL: '/nonexistent/promtool',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 alert rule in 1 file');
    expect(r.stdout).toContain('(parsed only)');
    expect(r.stderr).toMatch(/^note {2}promtool is not on PATH/m);
  });

  it('--json for scripts: the same findings as data', async () => {
    const dir = await project({
      'remediations/orphan.yaml': REMEDIATION('NoSuchAlert'),
      'rules/a.yml': rules(RULE('disk_full')),
    });
    const r = await cli(['--dir', path.join(dir, 'remediations'), '--rules', path.join(dir, 'rules'), '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ valid: true, rules: { alerts: 1, promtool: 'checked' }, problems: [] });
    expect(report.remediations.map((x: { id: string }) => x.id)).toEqual(['orphan']);
    expect(report.warnings.map((w: { path: string }) => w.path)).toEqual(['/match', '/groups/0/rules/0']);
  });

  it('--rules that is not a directory is an error (exit 1); an unknown flag is a usage error (exit 2)', async () => {
    const missing = await cli(['--rules', '/nonexistent/rules']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error  /nonexistent/rules  /  --rules is not a directory');
    const usage = await bin(['--bogus']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/Unknown option '--bogus'/);
  });

  it('--hosts FILE (or HOSTS_FILE) checks the hosts file: its hosts, or each problem with path and line', async () => {
    const dir = await project({
      'hosts.yaml':
        'hosts:\n  local:\n    engine: unix:///var/run/docker.sock\n  proxy: { engine: "tcp://docker-proxy:2375", tls: false }\n',
      'bad-hosts.yaml': 'hosts:\n  global:\n    engine: tcp://h:2376\n',
    });
    const ok = await cli(['--hosts', path.join(dir, 'hosts.yaml')], { PROMETHEUS_URL: 'http://127.0.0.1:9090' });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`2 hosts valid in ${path.join(dir, 'hosts.yaml')}: local, proxy (default local)`);
    expect(ok.stderr).toBe('');

    const bad = await cli([], {
      HOSTS_FILE: path.join(dir, 'bad-hosts.yaml'),
      PROMETHEUS_URL: 'http://127.0.0.1:9090',
    });
    expect(bad.code).toBe(1);
    const file = path.join(dir, 'bad-hosts.yaml');
    expect(bad.stderr).toContain(
      `error  ${file}  /hosts/global  "global" is reserved (global, history, notify) (line 2)`,
    );
    expect(bad.stderr).toContain(`error  ${file}  /hosts/global  a tcp:// engine needs tls`);
    expect(bad.stderr).toContain(`warn  ${file}  /hosts  no default host`);
    expect(bad.stderr).toMatch(new RegExp(`^2 problems in .* and ${file}$`, 'm'));
    const json = JSON.parse((await cli(['--hosts', path.join(dir, 'hosts.yaml'), '--json'])).stdout);
    expect(json.hosts).toEqual({ file: path.join(dir, 'hosts.yaml'), names: ['local', 'proxy'], defaultHost: 'local' });
  });
});
