import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { candidateFiles, parseEnvFile, withStackEnv } from '../../../src/cli/stack-env.js';

const made: string[] = [];
const tmp = (prefix: string) => {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A folder holding `.run/env` (and, if `running`, the remediator pid file next to it). */
function stack(text: string, running = true): { cwd: string; run: string } {
  const cwd = tmp('rmd-stackenv-');
  const run = path.join(cwd, '.run');
  mkdirSync(run);
  writeFileSync(path.join(run, 'env'), text);
  if (running) writeFileSync(path.join(run, 'remediator.pid'), `${process.pid}\n`);
  return { cwd, run };
}
const ENV = "REDIS_URL='redis://127.0.0.1:16379'\nDOCKER_HOST='unix:///tmp/x y/docker.sock'\n";
const nowhere = path.join(os.tmpdir(), 'rmd-no-package-root');

describe('parseEnvFile', () => {
  it('reads KEY=value lines, quoted or not, skipping comments and anything else', () => {
    expect(
      parseEnvFile(
        "# written by up\nA=1\nB='two words'\nC=\"three\"\nexport D=4\nE='it'\\''s'\nnot a line\nlower=x\n\n",
      ),
    ).toEqual({ A: '1', B: 'two words', C: 'three', D: '4', E: "it's" });
  });
});

describe('withStackEnv', () => {
  it('fills in the variables the environment does not set, and says which file it read', () => {
    const { cwd } = stack(ENV);
    const r = withStackEnv({ PATH: '/bin', DOCKER_HOST: '' }, { cwd, packageRoot: nowhere });
    expect(r.env).toMatchObject({
      PATH: '/bin',
      REDIS_URL: 'redis://127.0.0.1:16379',
      DOCKER_HOST: 'unix:///tmp/x y/docker.sock',
    });
    expect(r.applied).toEqual(['REDIS_URL', 'DOCKER_HOST']);
    expect(r.note).toBe('remediator: using REDIS_URL, DOCKER_HOST from .run/env (the stack npm run up started)');
  });

  it('never overrides a variable that is set; with all of them set it reads nothing and says nothing', () => {
    const { cwd } = stack(ENV);
    const some = withStackEnv({ REDIS_URL: 'redis://elsewhere:6379' }, { cwd, packageRoot: nowhere });
    expect(some.env.REDIS_URL).toBe('redis://elsewhere:6379');
    expect(some.applied).toEqual(['DOCKER_HOST']);
    const all = withStackEnv(
      { REDIS_URL: 'redis://elsewhere:6379', DOCKER_HOST: 'unix:///s' },
      { cwd, packageRoot: nowhere },
    );
    expect(all).toMatchObject({ applied: [], note: undefined, file: undefined });
  });

  it('ignores the file of a stack that is not running, and says why', () => {
    const { cwd } = stack(ENV, false);
    const r = withStackEnv({}, { cwd, packageRoot: nowhere });
    expect(r.env.REDIS_URL).toBeUndefined();
    expect(r.note).toMatch(/^remediator: not reading \.run\/env: the stack npm run up started there is not running/);
    const dead = stack(ENV);
    writeFileSync(path.join(dead.run, 'remediator.pid'), '999999999\n');
    expect(withStackEnv({}, { cwd: dead.cwd, packageRoot: nowhere }).applied).toEqual([]);
  });

  it('REMEDIATOR_RUN_DIR names the run folder (as for up and down); otherwise ./.run, then the package', () => {
    const { run } = stack(ENV);
    const elsewhere = tmp('rmd-cwd-');
    const r = withStackEnv({ REMEDIATOR_RUN_DIR: run }, { cwd: elsewhere, packageRoot: nowhere });
    expect(r.file).toBe(path.join(run, 'env'));
    expect(r.note).toContain(`from ${path.join(run, 'env')} `);
    expect(candidateFiles({}, '/a', '/pkg')).toEqual(['/a/.run/env', '/pkg/.run/env']);
    expect(candidateFiles({}, '/pkg', '/pkg')).toEqual(['/pkg/.run/env']);
    expect(candidateFiles({ REMEDIATOR_RUN_DIR: 'r' }, '/a', '/pkg')).toEqual(['/a/r/env']);
  });

  it('without any file it changes nothing', () => {
    const cwd = tmp('rmd-empty-');
    const env = { PATH: '/bin' };
    expect(withStackEnv(env, { cwd, packageRoot: nowhere })).toEqual({
      env,
      file: undefined,
      applied: [],
      note: undefined,
    });
  });
});
