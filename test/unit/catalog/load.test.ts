import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRemediations, parseRemediation } from '../../../src/catalog/load.js';
import { CatalogError, type CatalogProblem } from '../../../src/errors.js';
import { REMEDIATIONS_DIR } from '../fixtures.js';

const FILE = 'remediations/example.yaml';
const problemsOf = (text: string, file = FILE) => parseRemediation(file, text).problems;
const shipped = (id: string) =>
  parseRemediation(`remediations/${id}.yaml`, readFileSync(join(REMEDIATIONS_DIR, `${id}.yaml`), 'utf8'));

/** Assert exactly one problem, at `path`, whose reason matches. */
function expectProblem(text: string, path: string, reason: RegExp | string): CatalogProblem {
  const { remediation, problems } = parseRemediation(FILE, text);
  expect(remediation).toBeUndefined();
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatchObject({
    file: FILE,
    path,
    reason: typeof reason === 'string' ? expect.stringContaining(reason) : expect.stringMatching(reason),
  });
  return problems[0]!;
}

const PRUNE = 'match: alertname="x"\naction: {type: prune}\n';

describe('parseRemediation: the shipped files', () => {
  it("disk-full: the containers' own cleanup (optional, failures recorded), then prune verified 20% free", () => {
    const { remediation, problems } = shipped('disk-full');
    expect(problems).toEqual([]);
    expect(remediation).toMatchObject({
      id: 'disk-full',
      match: ['alertname="disk_full"'],
      target: undefined,
      delayMs: 0,
      guards: { cooldownMs: 900_000, budget: { runs: 4, windowMs: 3_600_000 } },
      notify: { channel: undefined, mention: '@oncall' },
      dryRun: false,
    });
    expect(remediation!.steps).toMatchObject([
      {
        name: 'cleanup',
        action: { type: 'exec', commandFromLabel: 'remediator.cleanup', timeoutSeconds: 60 },
        target: { withLabel: 'remediator.cleanup', maxContainers: 20 },
        verify: undefined,
        retry: { attempts: 1 },
        onFailure: 'continue',
        onSuccess: 'next',
      },
      {
        name: 'prune',
        action: { type: 'prune', containers: true, images: 'dangling', buildCache: true, volumes: false },
        retry: { attempts: 3, backoffMs: 10_000, maxBackoffMs: 300_000, jitter: 0.2 },
        verify: { query: expect.stringContaining('< 0.20'), queryWithinMs: 120_000, own: true },
        onFailure: 'abort',
        onSuccess: 'stop',
      },
    ]);
    expect(remediation!.hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('high-latency: restart verified healthy and no longer alerting, else scale out while it still fires', () => {
    const { remediation, problems } = shipped('high-latency');
    expect(problems).toEqual([]);
    expect(remediation).toMatchObject({
      id: 'high-latency',
      target: { container: '{{ labels.container }}' },
      guards: { cooldownMs: 600_000, budget: { runs: 3, windowMs: 3_600_000 } },
    });
    expect(remediation!.steps).toMatchObject([
      {
        name: 'restart',
        action: { type: 'restart', stopTimeoutSeconds: 10 },
        verify: {
          running: true,
          healthy: true,
          withinMs: 60_000,
          query: expect.stringContaining('ALERTS{'),
          queryWithinMs: 240_000,
        },
        retry: { attempts: 2, backoffMs: 5_000 },
        when: { kind: 'always' },
        onFailure: 'next',
        onSuccess: 'stop',
      },
      {
        name: 'scale-out',
        action: { type: 'scale', by: 1, max: 4 },
        when: { kind: 'still_firing' },
        retry: { attempts: 1 },
        onFailure: 'abort',
      },
    ]);
    expect(remediation!.matchers.map((m) => m.text)).toEqual(['alertname="HighLatency"', 'container=~".+"']);
  });

  it('queue-depth-high: bounded scale out, scale back on resolve, healthy defaults to true', () => {
    const { remediation, problems } = shipped('queue-depth-high');
    expect(problems).toEqual([]);
    expect(remediation).toMatchObject({
      id: 'queue-depth-high',
      target: { service: '{{ labels.service }}' },
      steps: [
        {
          action: { type: 'scale', by: 1, max: 4 },
          retry: { attempts: 3, backoffMs: 5_000, maxBackoffMs: 300_000 },
          verify: { running: true, healthy: true, withinMs: 60_000, own: true },
        },
      ],
      onResolved: { action: { type: 'scale', replicas: 1, max: 4 }, verify: undefined },
    });
  });
});

describe('parseRemediation: durations and defaults', () => {
  it('reads ms, s, m, h, d and bare numbers of seconds', () => {
    const text =
      'match: alertname="x"\naction: {type: prune}\ndelay: 90\nretry: {backoff: 250ms, maxBackoff: 1h, jitter: 0}\n' +
      'guards: {cooldown: 2d, budget: {runs: 3, window: 1h}}\nverify: {within: 5m}\ndryRun: true\n';
    const { remediation, problems } = parseRemediation(FILE, text);
    expect(problems).toEqual([]);
    expect(remediation).toMatchObject({
      delayMs: 90_000,
      steps: [
        { retry: { attempts: 3, backoffMs: 250, maxBackoffMs: 3_600_000, jitter: 0 }, verify: { withinMs: 300_000 } },
      ],
      guards: { cooldownMs: 172_800_000, budget: { runs: 3, windowMs: 3_600_000 } },
      dryRun: true,
    });
  });

  it('takes the id from the file name, dropping .yaml or .yml and the directory', () => {
    expect(parseRemediation('a/b/restart-api.yml', PRUNE).remediation?.id).toBe('restart-api');
  });
});

describe('parseRemediation: problems with file, path and reason', () => {
  it('an unknown key (cooldwon) is named, with its line', () => {
    expectProblem(`${PRUNE}guards:\n  cooldwon: 5m\n`, '/guards/cooldwon', 'unknown key "cooldwon" (line 4)');
  });

  it('an unknown top-level key is refused too', () => {
    expectProblem(`${PRUNE}dry_run: true\n`, '/dry_run', 'unknown key "dry_run"');
  });

  it('a bad action type lists the valid ones', () => {
    expectProblem(
      'match: alertname="x"\naction: {type: reboot}\n',
      '/action/type',
      'expected one of restart, start, stop, kill, exec, scale, prune',
    );
  });

  it('a missing action', () => {
    expectProblem('match: alertname="x"\n', '/', 'expected action (one step) or steps (a runbook)');
  });

  it('a missing match', () => {
    expectProblem('action: {type: prune}\n', '/match', /required/);
  });

  it('scale without max', () => {
    expectProblem(
      'match: a="x"\ntarget: {service: "{{ labels.service }}"}\naction: {type: scale, by: 1}\n',
      '/action/max',
      /required/,
    );
  });

  it('scale replicas > max, in action or onResolved', () => {
    const head = 'match: a="x"\ntarget: {service: "{{ labels.service }}"}\n';
    expectProblem(`${head}action: {type: scale, replicas: 5, max: 4}\n`, '/action/replicas', 'must not exceed max (4)');
    expectProblem(
      `${head}action: {type: scale, max: 4}\nonResolved: {type: scale, replicas: 9, max: 4}\n`,
      '/onResolved/replicas',
      'must not exceed max (4)',
    );
  });

  it('scale without any target', () => {
    expectProblem('match: a="x"\naction: {type: scale, max: 3}\n', '/target', 'needs target.service');
  });

  it("scale of a named container is accepted: it scales that container's Compose service", () => {
    expect(problemsOf('match: a="x"\ntarget: {container: "{{ labels.c }}"}\naction: {type: scale, max: 3}\n')).toEqual(
      [],
    );
  });

  it('exec with a string command instead of an argv list', () => {
    const text =
      'match: a="x"\ntarget: {container: "{{ labels.c }}"}\naction: {type: exec, command: "rm -rf /tmp/x"}\n';
    expectProblem(text, '/action/command', 'expected array');
  });

  it('exec with an argv list is accepted', () => {
    const text =
      'match: a="x"\ntarget: {container: "{{ labels.c }}"}\naction: {type: exec, command: [rm, -rf, /tmp/x]}\n';
    expect(problemsOf(text)).toEqual([]);
  });

  it.each([
    ['delay', `${PRUNE}delay: 5 minutes\n`, '/delay'],
    ['guards.cooldown', `${PRUNE}guards: {cooldown: 5 minutes}\n`, '/guards/cooldown'],
    ['retry.backoff', `${PRUNE}retry: {backoff: -1}\n`, '/retry/backoff'],
  ])('a bad duration in %s', (_what, text, path) => {
    expectProblem(text, path, 'expected a duration such as "30s"');
  });

  it('a bad matcher, by position in the list', () => {
    expectProblem(
      'match:\n  - alertname="x"\n  - severity\naction: {type: prune}\n',
      '/match/1',
      'expected name="value"',
    );
  });

  it('an invalid regex, with its message', () => {
    expectProblem('match: [\'job=~"(x"\']\naction: {type: prune}\n', '/match/0', /invalid regex "\(x": .+/);
  });

  it('a bad template in the target, also in a label selector', () => {
    const tail = 'action: {type: restart}\n';
    expectProblem(
      `match: a="x"\ntarget: {container: "{{ .Labels.container }}"}\n${tail}`,
      '/target/container',
      'unsupported placeholder',
    );
    expectProblem(
      `match: a="x"\ntarget: {labels: {app: "x/{{ labels.a }}"}}\n${tail}`,
      '/target/labels/app',
      'literal text',
    );
  });

  it('a restart without a target', () => {
    expectProblem('match: a="x"\naction: {type: restart}\n', '/target', 'action restart needs a target');
  });

  it('a YAML syntax error, with its line', () => {
    expectProblem('match: alertname="x"\naction:\n\ttype: prune\n', '/', /^YAML: .*\(line 3\)$/);
  });

  it('duplicate keys', () => {
    expectProblem(
      'match: alertname="x"\naction: {type: prune}\naction: {type: restart}\n',
      '/',
      /^YAML: .*unique.*\(line 3\)$/,
    );
  });

  it('a document that is not a mapping', () => {
    expectProblem('- a\n- b\n', '/', 'expected a mapping');
  });

  it('a file name with a dot gives no valid id', () => {
    const problems = problemsOf(PRUNE, 'remediations/disk.full.yaml');
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'remediations/disk.full.yaml',
        path: '/',
        reason: expect.stringContaining('id "disk.full"'),
      }),
    ]);
  });

  it('reports every problem of one file, not just the first', () => {
    const text = 'match: a=~"(x"\naction: {type: scale, by: 1}\ndelay: soon\nguards: {cooldwon: 1m}\n';
    const paths = problemsOf(text)
      .map((p) => p.path)
      .sort();
    expect(paths).toEqual(['/action/max', '/delay', '/guards/cooldwon', '/match', '/target'].sort());
  });

  // verify.query of the wrong type passes the schema check as a problem, then load.ts calls
  // f.verify.query.trim() on a number: parseRemediation throws a TypeError instead of reporting.
  it('a non-string verify.query is reported, not thrown', () => {
    expect(() => problemsOf(`${PRUNE}verify: {query: 5}\n`)).not.toThrow();
  });
});

describe('parseRemediation: runbooks (steps)', () => {
  const HEAD = 'match: a="x"\ntarget: {container: "{{ labels.c }}"}\n';
  const two = (first: string, second: string) => `${HEAD}steps:\n  - ${first}\n  - ${second}\n`;

  it('a ladder parses with defaults: names, when always, onSuccess stop with a verify, next without', () => {
    const text = two(
      '{name: evidence, action: {type: exec, command: [df]}, onFailure: continue}',
      '{action: {type: restart}, verify: {healthy: true, within: 30s}}',
    );
    const { remediation, problems } = parseRemediation(FILE, text);
    expect(problems).toEqual([]);
    expect(remediation!.steps.map((st) => [st.name, st.onFailure, st.onSuccess, st.when.kind])).toEqual([
      ['evidence', 'continue', 'next', 'always'],
      ['step-2', 'abort', 'stop', 'always'],
    ]);
  });

  it('an unknown step key, with its line', () => {
    expectProblem(
      two('{action: {type: restart}, retries: 3}', '{action: {type: start}}'),
      '/steps/0/retries',
      'unknown key "retries" (line 4)',
    );
  });

  it('an unknown action in a step', () => {
    expectProblem(
      two('{action: {type: reboot}}', '{action: {type: start}}'),
      '/steps/0/action/type',
      'expected one of',
    );
  });

  it('an empty step list', () => {
    expectProblem(`${HEAD}steps: []\n`, '/steps', 'at least one step');
  });

  it('both action and steps', () => {
    expectProblem(`${HEAD}action: {type: restart}\nsteps:\n  - {action: {type: start}}\n`, '/steps', 'not both');
  });

  it('onFailure: next on the last step, with its line', () => {
    expectProblem(
      two('{action: {type: restart}, onFailure: next}', '{action: {type: start}, onFailure: next}'),
      '/steps/1/onFailure',
      /"next" on the last step.*\(line 5\)/,
    );
  });

  it('two steps with one name', () => {
    expectProblem(
      two('{name: fix, action: {type: restart}, onFailure: next}', '{name: fix, action: {type: start}}'),
      '/steps/1/name',
      'also used by step 1',
    );
  });

  it('a when query without PROMETHEUS_URL, when the loader is told to require it', () => {
    const text = two('{action: {type: restart}, onFailure: next}', '{action: {type: start}, when: {query: "up == 0"}}');
    expect(problemsOf(text)).toEqual([]);
    const { problems } = parseRemediation(FILE, text, { requirePrometheus: 'when' });
    expect(problems).toEqual([
      expect.objectContaining({
        path: '/steps/1/when/query',
        reason: expect.stringMatching(/PROMETHEUS_URL.*\(line 5\)/),
      }),
    ]);
    expect(
      parseRemediation(FILE, text, { requirePrometheus: 'when', prometheusUrl: 'http://p:9090' }).problems,
    ).toEqual([]);
  });

  it('a query template outside a quoted string is refused; inside one it is fine', () => {
    expectProblem(
      two(
        '{action: {type: restart}, verify: {query: "up{job={{ labels.c }}}"}, onFailure: next}',
        '{action: {type: start}}',
      ),
      '/steps/0/verify/query',
      'double-quoted string',
    );
    expect(
      problemsOf(
        two(
          '{action: {type: restart}, verify: {query: \'up{job="{{ labels.c }}"}\'}, onFailure: next}',
          '{action: {type: start}}',
        ),
      ),
    ).toEqual([]);
  });

  it('a verify query that is a bare ALERTS selector is refused (its value 1 reads as passed while the alert fires)', () => {
    expectProblem(
      two(
        '{action: {type: restart}, verify: {query: \'ALERTS{alertname="HighLatency", container="{{ labels.c }}"}\'}, onFailure: next}',
        '{action: {type: start}}',
      ),
      '/steps/0/verify/query',
      /ALERTS is 1 while the alert fires.*count\(ALERTS\{\.\.\.\}\) == bool 0/,
    );
    expectProblem(`${HEAD}action: {type: restart}\nverify: {query: ALERTS}\n`, '/verify/query', /ALERTS is 1/);
    // Counted and compared it is fine, and a `when` may select ALERTS as it is (holds while firing).
    expect(
      problemsOf(
        two(
          '{action: {type: restart}, verify: {query: \'count(ALERTS{alertname="HighLatency"}) == bool 0\'}, onFailure: next}',
          '{action: {type: start}, when: {query: \'ALERTS{alertname="HighLatency"}\'}}',
        ),
      ),
    ).toEqual([]);
  });

  it('a template in an exec command is refused, naming the argument and line (labels never reach a command)', () => {
    expectProblem(
      `${HEAD}action: {type: exec, command: [rm, "{{ labels.c }}"]}\n`,
      '/action/command/1',
      /templates are not allowed.*\(line 3\)/,
    );
  });
});

describe('loadRemediations', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'remediator-unit-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const caught = (p: Promise<unknown>) =>
    p.then(
      () => expect.unreachable('expected a CatalogError'),
      (e: unknown) => e as CatalogError,
    );

  it('loads the shipped remediations/ in file order', async () => {
    const rs = await loadRemediations(REMEDIATIONS_DIR);
    expect(rs.map((r) => r.id)).toEqual([
      'agent-errors',
      'canary-rollback',
      'cpu-throttling',
      'dependency-down',
      'disk-full',
      'high-latency',
      'network-failure',
      'oom-killed',
      'queue-depth-high',
      'worker-down',
    ]);
  });

  it('reports the problems of several files together in one CatalogError', async () => {
    await writeFile(join(dir, 'good.yaml'), PRUNE);
    await writeFile(join(dir, 'one.yaml'), `${PRUNE}guards: {cooldwon: 5m}\n`);
    await writeFile(join(dir, 'two.yml'), 'match: a="x"\naction: {type: reboot}\ndelay: 5 minutes\n');
    const err = await caught(loadRemediations(dir));
    expect(err).toBeInstanceOf(CatalogError);
    expect(err.problems.map((p) => `${p.file} ${p.path}`).sort()).toEqual([
      `${join(dir, 'one.yaml')} /guards/cooldwon`,
      `${join(dir, 'two.yml')} /action/type`,
      `${join(dir, 'two.yml')} /delay`,
    ]);
    expect(err.message).toContain('3 problems');
    expect(err.message).toContain(`${join(dir, 'one.yaml')}: /guards/cooldwon: unknown key "cooldwon"`);
  });

  it('ignores other files and hidden ones', async () => {
    await writeFile(join(dir, 'ok.yaml'), PRUNE);
    await writeFile(join(dir, 'README.md'), '# not a remediation');
    await writeFile(join(dir, '.draft.yaml'), 'not: [valid');
    await mkdir(join(dir, 'sub'));
    expect((await loadRemediations(dir)).map((r) => r.id)).toEqual(['ok']);
  });

  it('refuses an empty directory', async () => {
    const err = await caught(loadRemediations(dir));
    expect(err).toBeInstanceOf(CatalogError);
    expect(err.problems).toEqual([
      expect.objectContaining({ file: dir, reason: expect.stringContaining('no remediation files') }),
    ]);
  });

  it('refuses a missing directory', async () => {
    const missing = join(dir, 'nope');
    const err = await caught(loadRemediations(missing));
    expect(err).toBeInstanceOf(CatalogError);
    expect(err.problems).toEqual([
      expect.objectContaining({ file: missing, reason: expect.stringContaining('not a directory') }),
    ]);
  });

  it('refuses the same id twice (a.yaml and a.yml)', async () => {
    await writeFile(join(dir, 'a.yaml'), PRUNE);
    await writeFile(join(dir, 'a.yml'), PRUNE);
    const err = await caught(loadRemediations(dir));
    expect(err.problems).toEqual([
      expect.objectContaining({ file: join(dir, 'a.yml'), reason: `id "a" is also used by ${join(dir, 'a.yaml')}` }),
    ]);
  });
});
