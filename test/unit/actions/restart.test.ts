import { describe, expect, it } from 'vitest';
import { restart } from '../../../src/actions/restart.js';
import { FakeDocker, MemoryMemo, actionContext, container } from './fake-docker.js';

describe('restart action', () => {
  it('restarts each target exactly once with the configured stop timeout', async () => {
    const api = container('api');
    const web = container('web');
    const docker = new FakeDocker([api, web]);
    const result = await restart.run(
      { type: 'restart', stopTimeoutSeconds: 7 },
      actionContext(docker, { targets: [api, web] }),
    );

    expect(docker.callsTo('restart')).toEqual([
      ['id-api', 7],
      ['id-web', 7],
    ]);
    expect(result.changed).toBe(true);
    expect(result.details).toMatchObject({ restarted: ['api', 'web'], alreadyRestarted: [] });
  });

  it('uses a 10 s stop timeout when none is given', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    await restart.run({ type: 'restart' }, actionContext(docker, { targets: [api] }));
    expect(docker.callsTo('restart')).toEqual([['id-api', 10]]);
  });

  it('records the start time it saw before restarting, for a rerun to compare', async () => {
    const api = container('api', { startedAt: '2026-11-27T09:00:00Z' });
    const docker = new FakeDocker([api]);
    const ctx = actionContext(docker, { targets: [api] });
    await restart.run({ type: 'restart' }, ctx);
    expect(ctx.memo.entries.get('restart:0:id-api')).toBe('2026-11-27T09:00:00Z');
  });

  it('does not restart again on a rerun when the container started since the memo was written', async () => {
    // The worker died after the restart call: the memo holds the old start time, Docker a new one.
    const before = container('api', { startedAt: '2026-11-27T09:00:00Z' });
    const docker = new FakeDocker([{ ...before, startedAt: '2026-11-27T09:00:05Z' }]);
    const memo = new MemoryMemo();
    memo.entries.set('restart:0:id-api', '2026-11-27T09:00:00Z');

    const result = await restart.run({ type: 'restart' }, actionContext(docker, { targets: [before], memo }));

    expect(docker.callsTo('restart')).toEqual([]);
    expect(result.details).toMatchObject({ restarted: [], alreadyRestarted: ['api'] });
  });

  it('does restart on a rerun when the container has not started since (the worker died before acting)', async () => {
    const api = container('api', { startedAt: '2026-11-27T09:00:00Z' });
    const docker = new FakeDocker([api]);
    const memo = new MemoryMemo();
    memo.entries.set('restart:0:id-api', '2026-11-27T09:00:00Z');

    await restart.run({ type: 'restart' }, actionContext(docker, { targets: [api], memo }));

    expect(docker.callsTo('restart')).toEqual([['id-api', 10]]);
  });

  it('a rerun while the restart it asked for still runs in Docker (handed back at shutdown) waits for it, and restarts nothing', async () => {
    const api = container('api', { startedAt: '2026-11-27T09:00:00Z' });
    const docker = new FakeDocker([api]);
    const memo = new MemoryMemo();
    memo.entries.set('restart:0:id-api', '2026-11-27T09:00:00Z');
    memo.entries.set('restart:0:id-api:at', String(Date.now()));
    // Docker is still in the stop timeout; the container starts again a moment later.
    setTimeout(() => void (docker.containers.get('id-api')!.startedAt = '2026-11-27T09:00:30Z'), 300);

    const result = await restart.run(
      { type: 'restart', stopTimeoutSeconds: 30 },
      actionContext(docker, { targets: [api], memo }),
    );

    expect(docker.callsTo('restart')).toEqual([]);
    expect(result.details).toMatchObject({ restarted: [], alreadyRestarted: ['api'] });
  });

  it('a full crash-and-rerun cycle calls Docker restart once in total', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    const memo = new MemoryMemo();
    await restart.run({ type: 'restart' }, actionContext(docker, { targets: [api], memo }));
    // The rerun resolves its targets again, from Docker as it is now.
    const again = await docker.findContainers({ name: 'api' });
    await restart.run({ type: 'restart' }, actionContext(docker, { targets: again, memo }));
    expect(docker.callsTo('restart')).toHaveLength(1);
  });

  it('a retry after a failed attempt (verification) restarts again, unlike a crash rerun of the same attempt', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    const memo = new MemoryMemo();
    await restart.run({ type: 'restart' }, actionContext(docker, { targets: [api], memo, attempt: 0 }));
    const again = await docker.findContainers({ name: 'api' });
    await restart.run({ type: 'restart' }, actionContext(docker, { targets: again, memo, attempt: 1 }));
    expect(docker.callsTo('restart')).toHaveLength(2);
  });

  it('in dry run makes no mutating call, writes no memo and says what it would do', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    const ctx = actionContext(docker, { targets: [api], dryRun: true });
    const result = await restart.run({ type: 'restart' }, ctx);

    expect(docker.mutatingCalls()).toEqual([]);
    expect(ctx.memo.entries.size).toBe(0);
    expect(result.changed).toBe(false);
    expect(result.summary).toMatch(/^would restart api\b/);
  });
});
