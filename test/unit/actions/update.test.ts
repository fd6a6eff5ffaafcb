import { describe, expect, it } from 'vitest';
import { restoreKey, update, UpdateParams } from '../../../src/actions/update.js';
import type { ResourceLimits } from '../../../src/docker/port.js';
import { BadParamsError } from '../../../src/errors.js';
import { CrashError, FakeDocker, MemoryMemo, actionContext, container } from './fake-docker.js';

const MiB = 1024 ** 2;

function withLimits(name: string, limits: Partial<ResourceLimits>) {
  return container(name, { limits: limits as ResourceLimits });
}

describe('update action: values and bounds', () => {
  it('sets cpus as NanoCpus and records the replaced value in the episode memo for a restore', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    const ctx = actionContext(docker, { targets: [api] });

    const result = await update.run({ type: 'update', cpus: 0.5 }, ctx);

    expect(docker.callsTo('update')).toEqual([['id-api', { nanoCpus: 500_000_000 }]]);
    expect(JSON.parse(ctx.episode.entries.get(restoreKey('api'))!)).toEqual({ nanoCpus: 0 });
    expect(result).toMatchObject({
      changed: true,
      summary: 'updated api: cpus unlimited -> 0.5',
      before: { api: { nanoCpus: 0 } },
      after: { api: { nanoCpus: 500_000_000 } },
    });
  });

  it('applies a factor to the current value within min..max', async () => {
    const api = withLimits('api', { cpuShares: 1024 });
    const docker = new FakeDocker([api]);
    await update.run(
      { type: 'update', cpuShares: { factor: 0.1, min: 256, max: 2048 } },
      actionContext(docker, { targets: [api] }),
    );
    // 1024 * 0.1 = 102, raised to the minimum 256.
    expect(docker.callsTo('update')).toEqual([['id-api', { cpuShares: 256 }]]);
  });

  it('grows memory by a factor up to max, keeping the swap room the container had', async () => {
    const api = withLimits('api', { memory: 256 * MiB, memorySwap: 512 * MiB });
    const docker = new FakeDocker([api]);
    await update.run(
      { type: 'update', memory: { factor: 4, min: '128m', max: '768m' } },
      actionContext(docker, { targets: [api] }),
    );
    expect(docker.callsTo('update')).toEqual([['id-api', { memory: 768 * MiB, memorySwap: 1024 * MiB }]]);
  });

  it('gives a container without a memory limit Docker own default swap (twice the memory)', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    await update.run({ type: 'update', memory: '64m' }, actionContext(docker, { targets: [api] }));
    expect(docker.callsTo('update')).toEqual([['id-api', { memory: 64 * MiB, memorySwap: 128 * MiB }]]);
    expect(docker.containers.get('id-api')!.limits).toMatchObject({ memory: 64 * MiB, memorySwap: 128 * MiB });
  });

  it('limits an unlimited value to max when a factor below 1 is asked, and leaves it unlimited for a factor above 1', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    const r = await update.run(
      { type: 'update', cpus: { factor: 0.5, min: 0.25, max: 1 }, pidsLimit: { factor: 2, min: 100, max: 1000 } },
      actionContext(docker, { targets: [api] }),
    );
    expect(docker.callsTo('update')).toEqual([['id-api', { nanoCpus: 1e9 }]]);
    expect(r.after).toEqual({ api: { nanoCpus: 1e9 } });
  });

  it('changes nothing when the container already has the values asked', async () => {
    const api = withLimits('api', { nanoCpus: 5e8, restartPolicy: { name: 'always', maximumRetryCount: 0 } });
    const docker = new FakeDocker([api]);
    const ctx = actionContext(docker, { targets: [api] });
    const r = await update.run({ type: 'update', cpus: 0.5, restartPolicy: { name: 'always' } }, ctx);
    expect(docker.mutatingCalls()).toEqual([]);
    expect(ctx.episode.entries.size).toBe(0);
    expect(r).toMatchObject({ changed: false, summary: 'already as asked: api' });
  });

  it('sets the restart policy', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    const r = await update.run(
      { type: 'update', restartPolicy: { name: 'on-failure', maximumRetryCount: 3 } },
      actionContext(docker, { targets: [api] }),
    );
    expect(docker.callsTo('update')).toEqual([
      ['id-api', { restartPolicy: { name: 'on-failure', maximumRetryCount: 3 } }],
    ]);
    expect(r.summary).toBe('updated api: restart policy no -> on-failure:3');
  });

  it('refuses cpus on a container limited by a CPU quota, before any Docker call', async () => {
    const api = withLimits('api', { cpuQuota: 50_000, cpuPeriod: 100_000 });
    const docker = new FakeDocker([api]);
    const run = update.run({ type: 'update', cpus: 0.5 }, actionContext(docker, { targets: [api] }));
    await expect(run).rejects.toBeInstanceOf(BadParamsError);
    await expect(run).rejects.toThrow(/use cpuQuota instead of cpus/);
    expect(docker.mutatingCalls()).toEqual([]);
  });

  it('refuses a container without the opt-in label', async () => {
    const api = container('api', { labels: { 'remediator.enable': 'false' } });
    const docker = new FakeDocker([api]);
    await expect(update.run({ type: 'update', cpus: 1 }, actionContext(docker, { targets: [api] }))).rejects.toThrow(
      /api not opted in/,
    );
    expect(docker.mutatingCalls()).toEqual([]);
  });
});

describe('update action: restore', () => {
  it('puts back the values the first change of the episode replaced, not those of a later one', async () => {
    const api = withLimits('api', { cpuShares: 1024 });
    const docker = new FakeDocker([api]);
    const episode = new MemoryMemo();
    await update.run({ type: 'update', cpuShares: 512 }, actionContext(docker, { targets: [api], episode }));
    const now = await docker.findContainers({ name: 'api' });
    await update.run({ type: 'update', cpuShares: 256 }, actionContext(docker, { targets: now, episode, attempt: 1 }));
    expect(JSON.parse(episode.entries.get(restoreKey('api'))!)).toEqual({ cpuShares: 1024 });

    const later = await docker.findContainers({ name: 'api' });
    const r = await update.run({ type: 'update', restore: true }, actionContext(docker, { targets: later, episode }));

    expect(docker.callsTo('update').at(-1)).toEqual(['id-api', { cpuShares: 1024 }]);
    expect(docker.containers.get('id-api')!.limits.cpuShares).toBe(1024);
    expect(r.summary).toBe('restored api: cpuShares 256 -> 1024');
  });

  it('restores "unset" values with what Docker accepts and means the same (it reads 0 as unchanged)', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    const episode = new MemoryMemo();
    await update.run(
      { type: 'update', cpus: 0.5, memory: '64m', pidsLimit: 100 },
      actionContext(docker, { targets: [api], episode }),
    );
    const now = await docker.findContainers({ name: 'api' });
    await update.run({ type: 'update', restore: true }, actionContext(docker, { targets: now, episode }));

    // The fake engine has 4 CPUs and 8 GiB.
    expect(docker.callsTo('update').at(-1)).toEqual([
      'id-api',
      { nanoCpus: 4e9, memory: 8 * 1024 ** 3, memorySwap: 16 * 1024 ** 3, pidsLimit: -1 },
    ]);
    expect(docker.containers.get('id-api')!.limits).toMatchObject({
      nanoCpus: 4e9,
      pidsLimit: 0,
      memorySwap: 16 * 1024 ** 3,
    });
  });

  it('with nothing recorded for the container, changes nothing and says so', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    const r = await update.run({ type: 'update', restore: true }, actionContext(docker, { targets: [api] }));
    expect(docker.mutatingCalls()).toEqual([]);
    expect(r).toMatchObject({ changed: false, summary: 'nothing recorded to restore for api' });
  });
});

describe('update action: reruns and dry run', () => {
  it('a rerun after a crash right after the Docker call does not apply a factor twice', async () => {
    const api = withLimits('api', { memory: 256 * MiB, memorySwap: 512 * MiB });
    const docker = new FakeDocker([api]);
    const memo = new MemoryMemo();
    const episode = new MemoryMemo();
    const params = { type: 'update' as const, memory: { factor: 2, min: '128m', max: '4g' } };
    docker.crashAfterMutations = 1;
    await expect(update.run(params, actionContext(docker, { targets: [api], memo, episode }))).rejects.toBeInstanceOf(
      CrashError,
    );
    docker.revive();
    const r = await update.run(
      params,
      actionContext(docker, { targets: await docker.findContainers({}), memo, episode }),
    );

    expect(docker.callsTo('update')).toHaveLength(1);
    expect(docker.containers.get('id-api')!.limits.memory).toBe(512 * MiB);
    expect(r).toMatchObject({ changed: false, summary: 'already as asked: api' });
    expect(JSON.parse(episode.entries.get(restoreKey('api'))!)).toEqual({ memory: 256 * MiB, memorySwap: 512 * MiB });
  });

  it('in dry run makes no mutating call, writes no memo and says what it would do', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    const ctx = actionContext(docker, { targets: [api], dryRun: true });
    const r = await update.run({ type: 'update', cpus: 0.5, memory: '128m' }, ctx);
    expect(docker.mutatingCalls()).toEqual([]);
    expect(ctx.memo.entries.size + ctx.episode.entries.size).toBe(0);
    expect(r.summary).toBe(
      'would update api: cpus unlimited -> 0.5, memory unlimited -> 128MiB, memorySwap unlimited -> 256MiB',
    );
  });

  it('describes the change for a human', () => {
    expect(update.describe({ type: 'update', cpus: 0.5, memory: { factor: 1.5, min: '256m', max: '1g' } }, 'api')).toBe(
      'update api: cpus 0.5, memory x1.5 within 256m..1g',
    );
    expect(update.describe({ type: 'update', restore: true }, 'api')).toBe(
      'restore the limits of api recorded earlier in this episode',
    );
  });
});

describe('update action: check', () => {
  const check = (p: object) => update.check!({ type: 'update', ...p } as never);
  it('refuses min above max, cpus with cpuQuota, too little memory, restore with values, and nothing at all', () => {
    expect(check({ cpus: { factor: 0.5, min: 2, max: 1 } })).toEqual([
      { path: '/cpus/min', reason: 'must not exceed max (1)' },
    ]);
    expect(check({ cpus: 1, cpuQuota: 50_000 })[0]!.path).toBe('/cpus');
    expect(check({ memory: '1m' })[0]).toEqual({
      path: '/memory',
      reason: 'must be at least 6m (Docker refuses less)',
    });
    expect(check({ restore: true, cpus: 1 })[0]!.path).toBe('/restore');
    expect(check({})[0]!.reason).toMatch(/^nothing to update/);
    expect(check({ memory: '256m', memorySwap: '128m' })[0]!.path).toBe('/memorySwap');
    expect(check({ restartPolicy: { name: 'always', maximumRetryCount: 2 } })[0]!.path).toBe(
      '/restartPolicy/maximumRetryCount',
    );
    expect(check({ cpus: 0.5, memory: { factor: 1.5, min: '64m', max: '1g' } })).toEqual([]);
  });
  it('has a schema that rejects an unknown key', async () => {
    const { Value } = await import('@sinclair/typebox/value');
    expect(Value.Check(UpdateParams, { type: 'update', cpu: 1 })).toBe(false);
  });
});
