import { describe, expect, it } from 'vitest';
import { exec } from '../../../src/actions/exec.js';
import type { ExecOptions } from '../../../src/docker/port.js';
import { FakeDocker, actionContext, container } from './fake-docker.js';
import { ExecFailedError } from '../../../src/errors.js';

const argv = ['/usr/local/bin/cleanup', '--older-than', '7d'];

describe('exec action', () => {
  it('passes the argv as is (no shell) with user, workdir, env and the default limits', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    docker.execResults.set('id-api', { exitCode: 0, stdout: 'freed 1G\n', stderr: '', truncated: false });

    const result = await exec.run(
      { type: 'exec', command: argv, user: 'app', workdir: '/srv', env: ['MODE=fast'] },
      actionContext(docker, { targets: [api] }),
    );

    const [[id, options]] = docker.callsTo('exec') as [[string, ExecOptions]];
    expect(id).toBe('id-api');
    expect(options).toMatchObject({
      cmd: argv,
      user: 'app',
      workdir: '/srv',
      env: ['MODE=fast'],
      timeoutMs: 60_000,
      maxOutputBytes: 4096,
    });
    expect(result.changed).toBe(true);
    expect(result.details.outputs).toEqual([
      expect.objectContaining({ container: 'api', exitCode: 0, stdout: 'freed 1G\n' }),
    ]);
  });

  it('turns timeoutSeconds and maxOutputBytes into the port options', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    await exec.run(
      { type: 'exec', command: argv, timeoutSeconds: 5, maxOutputBytes: 1024 },
      actionContext(docker, { targets: [api] }),
    );
    const [[, options]] = docker.callsTo('exec') as [[string, ExecOptions]];
    expect(options).toMatchObject({ timeoutMs: 5000, maxOutputBytes: 1024 });
  });

  it('throws ExecFailedError on exit 1, keeping the output in the error', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    docker.execResults.set('id-api', {
      exitCode: 1,
      stdout: 'partial\n',
      stderr: 'disk is read-only\n',
      truncated: false,
    });

    const err = await exec
      .run({ type: 'exec', command: argv }, actionContext(docker, { targets: [api] }))
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(ExecFailedError);
    const failed = err as ExecFailedError;
    expect(failed.message).toContain('exited 1');
    expect(failed.message).toContain('disk is read-only');
    expect(failed.result).toMatchObject({
      container: 'api',
      exitCode: 1,
      stdout: 'partial\n',
      stderr: 'disk is read-only\n',
    });
  });

  it('uses stdout in the message when stderr is empty', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    docker.execResults.set('id-api', { exitCode: 2, stdout: 'usage: cleanup\n', stderr: '', truncated: false });
    await expect(exec.run({ type: 'exec', command: argv }, actionContext(docker, { targets: [api] }))).rejects.toThrow(
      /exited 2: usage: cleanup/,
    );
  });

  it('stops at the first failing container and runs nothing in the next ones', async () => {
    const a = container('a');
    const b = container('b');
    const docker = new FakeDocker([a, b]);
    docker.execResults.set('id-a', { exitCode: 1, stdout: '', stderr: 'boom', truncated: false });
    await expect(
      exec.run({ type: 'exec', command: argv }, actionContext(docker, { targets: [a, b] })),
    ).rejects.toBeInstanceOf(ExecFailedError);
    expect(docker.callsTo('exec').map(([id]) => id)).toEqual(['id-a']);
  });

  it('in dry run runs nothing and says "would run"', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    const result = await exec.run(
      { type: 'exec', command: argv },
      actionContext(docker, { targets: [api], dryRun: true }),
    );
    expect(docker.mutatingCalls()).toEqual([]);
    expect(result.changed).toBe(false);
    expect(result.summary).toMatch(/^would run .*cleanup.* in api$/);
  });
});
