import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// alert-rules/ must pass `promtool check rules` and its unit tests (`promtool test rules`).
// promtool comes from Debian's `prometheus` package; PROMTOOL overrides the binary. If it is
// missing these tests fail (ENOENT) rather than skip: the rules are part of the product.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RULES_DIR = path.join(ROOT, 'alert-rules');
const TESTS_DIR = path.join(RULES_DIR, 'tests');
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

const TARGET_ALERTS = [
  'QueueDepthHigh',
  'disk_full',
  'HighLatency',
  // The seed runbooks.
  'WorkerDown',
  'cpu_throttling',
  'network_failure',
  'HighErrorRate',
  'SlowExecution',
  'ServiceDown',
  'ContainerOOMKilled',
] as const;

const ruleFiles = readdirSync(RULES_DIR)
  .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
  .sort();
const testFiles = readdirSync(TESTS_DIR)
  .filter((f) => f.endsWith('.test.yml'))
  .sort();

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs promtool without a shell; never throws for a non-zero exit, only for a missing binary. */
function promtool(args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(PROMTOOL, args, { cwd: ROOT, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error === null) {
        resolve({ code: 0, stdout, stderr });
        return;
      }
      if (typeof error.code === 'number') {
        resolve({ code: error.code, stdout, stderr });
        return;
      }
      // ENOENT (no promtool), EACCES, or killed by the timeout.
      reject(new Error(`cannot run ${PROMTOOL} ${args.join(' ')}: ${error.message}`));
    });
  });
}

interface RuleFile {
  groups: { name: string; rules: { alert?: string; record?: string; labels?: Record<string, string> }[] }[];
}

interface RuleTestFile {
  tests?: { alert_rule_test?: { alertname: string }[] }[];
}

function readYaml<T>(file: string): T {
  return parse(readFileSync(file, 'utf8')) as T;
}

function alertsIn(file: string): { alert: string; labels: Record<string, string> }[] {
  return readYaml<RuleFile>(file).groups.flatMap((g) =>
    g.rules.flatMap((r) => (r.alert === undefined ? [] : [{ alert: r.alert, labels: r.labels ?? {} }])),
  );
}

describe('alert-rules', () => {
  it('has rule files and unit test files', () => {
    expect(ruleFiles).toEqual(expect.arrayContaining(['remediation-targets.yml', 'remediator.yml']));
    expect(testFiles.length).toBeGreaterThan(0);
  });

  it.each(ruleFiles)('promtool check rules %s', async (file) => {
    const result = await promtool(['check', 'rules', path.join(RULES_DIR, file)]);
    expect(result, result.stdout + result.stderr).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('SUCCESS');
  });

  it.each(testFiles)('promtool test rules tests/%s', async (file) => {
    const result = await promtool(['test', 'rules', path.join(TESTS_DIR, file)]);
    expect(result, result.stdout + result.stderr).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('SUCCESS');
  });

  it('remediation-targets.yml holds exactly the alerts the shipped remediations match', () => {
    const names = alertsIn(path.join(RULES_DIR, 'remediation-targets.yml')).map((a) => a.alert);
    for (const name of names) {
      expect(TARGET_ALERTS).toContain(name);
    }
    expect([...names].sort()).toEqual([...TARGET_ALERTS].sort());
  });

  it('remediator.yml alerts carry severity and component: remediator', () => {
    const alerts = alertsIn(path.join(RULES_DIR, 'remediator.yml'));
    expect(alerts.length).toBeGreaterThan(0);
    for (const { alert, labels } of alerts) {
      expect(labels, alert).toMatchObject({ component: 'remediator' });
      expect(['critical', 'warning', 'info'], alert).toContain(labels.severity);
    }
  });

  it('every alert has a promtool unit test', () => {
    const tested = new Set(
      testFiles.flatMap((f) =>
        (readYaml<RuleTestFile>(path.join(TESTS_DIR, f)).tests ?? []).flatMap((t) =>
          (t.alert_rule_test ?? []).map((a) => a.alertname),
        ),
      ),
    );
    const untested = ruleFiles
      .flatMap((f) => alertsIn(path.join(RULES_DIR, f)).map((a) => a.alert))
      .filter((name) => !tested.has(name));
    expect(untested).toEqual([]);
  });

  describe('the checks can fail', () => {
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'remediator-alert-rules-'));
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('promtool check rules rejects a broken rule file', async () => {
      const broken = path.join(dir, 'broken.yml');
      await writeFile(
        broken,
        [
          'groups:',
          '  - name: broken',
          '    rules:',
          '      - alert: Broken',
          '        expr: sum(rate(queue_depth[5m]) > ',
          '        for: 1m',
          '',
        ].join('\n'),
      );
      const result = await promtool(['check', 'rules', broken]);
      expect(result.code).not.toBe(0);
      expect(result.stdout + result.stderr).toMatch(/parse error|FAILED/i);
    });

    it('promtool test rules fails when an expectation does not hold', async () => {
      // QueueDepthHigh at 1200 for 5 minutes fires; claiming it does not must fail.
      const wrong = path.join(dir, 'wrong.test.yml');
      await writeFile(
        wrong,
        [
          'rule_files:',
          `  - ${JSON.stringify(path.join(RULES_DIR, 'remediation-targets.yml'))}`,
          'evaluation_interval: 1m',
          'tests:',
          '  - interval: 1m',
          '    input_series:',
          `      - series: 'queue_depth{queue="emails",service="worker",instance="app-1:9100",job="app"}'`,
          "        values: '1200x5'",
          '    alert_rule_test:',
          '      - eval_time: 5m',
          '        alertname: QueueDepthHigh',
          '        exp_alerts: []',
          '',
        ].join('\n'),
      );
      const result = await promtool(['test', 'rules', wrong]);
      expect(result.code).not.toBe(0);
      expect(result.stdout + result.stderr).toContain('FAILED');
    });
  });
});
