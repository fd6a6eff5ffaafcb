import { describe, expect, it } from 'vitest';
import { RECREATED_FROM_LABEL, asideName, findAside } from '../../../src/actions/recreate-core.js';
import { recreate } from '../../../src/actions/recreate.js';
import type { ContainerInfo } from '../../../src/docker/port.js';
import { PermanentError, RefusedError, RolledBackError } from '../../../src/errors.js';
import { FakeDocker, MemoryMemo, actionContext, container } from './fake-docker.js';

const FAST = { running: true, healthy: true, withinMs: 300 };

/** Targets as the engine resolves them on a rerun: by name, else the container put aside. */
async function resolve(docker: FakeDocker, name: string): Promise<ContainerInfo[]> {
  const [c] = await docker.findContainers({ name });
  const found = c ?? (await findAside(docker, name));
  return found ? [found] : [];
}

function world(over: Partial<ContainerInfo> = {}) {
  const api = container('api', { health: 'healthy', ...over });
  const docker = new FakeDocker([api]);
  docker.addImage('example/app:2');
  return { api, docker };
}

describe('recreate action', () => {
  it('renames the old container aside, creates the new one under its name, stops the old, starts and verifies the new, then removes the old', async () => {
    const { api, docker } = world();
    const r = await recreate.run({ type: 'recreate' }, actionContext(docker, { targets: [api], verify: FAST }));

    const fresh = docker.byName('api')!;
    expect(docker.mutatingCalls().map((c) => c.method)).toEqual(['rename', 'createFrom', 'stop', 'start', 'remove']);
    expect(docker.callsTo('rename')).toEqual([['id-api', asideName(api)]]);
    expect(docker.callsTo('createFrom')).toEqual([
      ['id-api', { name: 'api', image: undefined, env: undefined, labels: { [RECREATED_FROM_LABEL]: 'id-api' } }],
    ]);
    expect(docker.callsTo('remove')).toEqual([['id-api']]);
    expect(fresh).toMatchObject({ running: true, health: 'healthy' });
    expect([...docker.containers.keys()]).toEqual([fresh.id]);
    expect(r).toMatchObject({
      changed: true,
      before: { api: { id: 'id-api', image: 'example/app:1' } },
      after: { api: { id: fresh.id, image: 'example/app:1' } },
      verifyIds: [fresh.id],
    });
    expect(r.summary).toBe(`recreated api id-api -> ${fresh.id.slice(0, 12)}`);
  });

  it('passes image and env overrides to the new container and says so', async () => {
    const { api, docker } = world();
    const r = await recreate.run(
      { type: 'recreate', image: 'example/app:2', env: { LOG_LEVEL: 'debug' } },
      actionContext(docker, { targets: [api], verify: FAST }),
    );
    expect(docker.callsTo('createFrom')[0]![1]).toMatchObject({ image: 'example/app:2', env: { LOG_LEVEL: 'debug' } });
    expect(docker.byName('api')!.image).toBe('example/app:2');
    expect(r.summary).toMatch(/\(image example\/app:1 -> example\/app:2\)$/);
  });

  it('rolls back when the new container is not healthy in time: new one removed, old one renamed back and started', async () => {
    const { api, docker } = world();
    docker.healthOnStart.set('example/app:2', 'unhealthy');
    const run = recreate.run(
      { type: 'recreate', image: 'example/app:2' },
      actionContext(docker, { targets: [api], verify: FAST }),
    );
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(RolledBackError);
    expect((err as RolledBackError).message).toMatch(/^recreate of api rolled back: .*api is unhealthy/);
    expect((err as RolledBackError).result).toMatchObject({ details: { rolledBack: true }, summary: /rolled back/ });
    expect([...docker.containers.values()].map((c) => [c.id, c.name, c.running])).toEqual([['id-api', 'api', true]]);
    expect(docker.mutatingCalls().map((c) => c.method)).toEqual([
      'rename',
      'createFrom',
      'stop',
      'start',
      'remove',
      'rename',
      'start',
    ]);
  });

  it('without a health check, a new container must stay up a moment: one that dies right after its start is rolled back', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    docker.addImage('example/app:2');
    docker.diesAfterStart.add('example/app:2');
    const err = await recreate
      .run(
        { type: 'recreate', image: 'example/app:2' },
        actionContext(docker, { targets: [api], verify: { ...FAST, withinMs: 2_000 } }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RolledBackError);
    expect((err as Error).message).toMatch(/api is exited \(exit code 1\)/);
    expect([...docker.containers.values()].map((c) => [c.id, c.name, c.running])).toEqual([['id-api', 'api', true]]);
  });

  it('rolls back without stopping the old container when the new one cannot even be created (no such image)', async () => {
    const { api, docker } = world();
    const err = await recreate
      .run({ type: 'recreate', image: 'example/app:9' }, actionContext(docker, { targets: [api], verify: FAST }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(/^recreate of api rolled back: .*no such image example\/app:9/);
    expect(docker.callsTo('stop')).toEqual([]);
    expect(docker.byName('api')).toMatchObject({ id: 'id-api', running: true });
  });

  it('a rerun after the rollback throws the same, without acting again', async () => {
    const { api, docker } = world();
    docker.healthOnStart.set('example/app:2', 'unhealthy');
    const memo = new MemoryMemo();
    const params = { type: 'recreate' as const, image: 'example/app:2' };
    await expect(recreate.run(params, actionContext(docker, { targets: [api], memo, verify: FAST }))).rejects.toThrow(
      RolledBackError,
    );
    const before = docker.mutatingCalls().length;
    const again = recreate.run(
      params,
      actionContext(docker, { targets: await resolve(docker, 'api'), memo, verify: FAST }),
    );
    await expect(again).rejects.toThrow(/rolled back/);
    expect(docker.mutatingCalls()).toHaveLength(before);
  });

  it('at-least-once: a crash after any Docker call, then a rerun, ends with one verified new container and the old one gone, each step done once', async () => {
    for (let k = 1; k <= 5; k++) {
      const { api, docker } = world();
      const memo = new MemoryMemo();
      docker.crashAfterMutations = k;
      // The worker dies right after its k-th call took effect (nothing after it runs).
      await expect(
        recreate.run({ type: 'recreate' }, actionContext(docker, { targets: [api], memo, verify: FAST })),
      ).rejects.toThrow(/worker crashed|worker is dead/);
      docker.revive();
      const targets = await resolve(docker, 'api');
      const r = await recreate.run({ type: 'recreate' }, actionContext(docker, { targets, memo, verify: FAST }));

      const left = [...docker.containers.values()];
      expect({ k, left: left.map((c) => [c.name, c.running, c.labels[RECREATED_FROM_LABEL]]) }).toEqual({
        k,
        left: [['api', true, 'id-api']],
      });
      // Over both runs, each step happened once.
      expect({ k, steps: docker.mutatingCalls().map((c) => c.method) }).toEqual({
        k,
        steps: ['rename', 'createFrom', 'stop', 'start', 'remove'],
      });
      expect(r.verifyIds).toEqual([left[0]!.id]);
    }
  });

  it('a crash while rolling back is finished by the rerun (the old container comes back)', async () => {
    for (let k = 5; k <= 7; k++) {
      const { api, docker } = world();
      docker.healthOnStart.set('example/app:2', 'unhealthy');
      const memo = new MemoryMemo();
      const params = { type: 'recreate' as const, image: 'example/app:2' };
      docker.crashAfterMutations = k;
      await expect(
        recreate.run(params, actionContext(docker, { targets: [api], memo, verify: FAST })),
      ).rejects.toThrow();
      docker.revive();
      await expect(
        recreate.run(params, actionContext(docker, { targets: await resolve(docker, 'api'), memo, verify: FAST })),
      ).rejects.toThrow(/rolled back/);
      expect({ k, left: [...docker.containers.values()].map((c) => [c.id, c.name, c.running]) }).toEqual({
        k,
        left: [['id-api', 'api', true]],
      });
      // The rerun finished the rollback; it did not try the new image a second time.
      expect(docker.callsTo('createFrom')).toHaveLength(1);
    }
  });

  it('a retry (next attempt) after a finished recreate recreates again', async () => {
    const { api, docker } = world();
    const memo = new MemoryMemo();
    await recreate.run({ type: 'recreate' }, actionContext(docker, { targets: [api], memo, verify: FAST }));
    await recreate.run(
      { type: 'recreate' },
      actionContext(docker, { targets: await resolve(docker, 'api'), memo, attempt: 1, verify: FAST }),
    );
    expect(docker.callsTo('createFrom')).toHaveLength(2);
    expect(docker.byName('api')!.labels[RECREATED_FROM_LABEL]).not.toBe('id-api');
  });

  it('refuses a container started with --rm: stopping it would delete it before the new one is verified', async () => {
    const { docker } = world();
    const rm = container('job', { autoRemove: true });
    docker.containers.set(rm.id, rm);
    await expect(recreate.run({ type: 'recreate' }, actionContext(docker, { targets: [rm] }))).rejects.toThrow(
      /runs with --rm \(AutoRemove\)/,
    );
    expect(docker.mutatingCalls()).toEqual([]);
  });

  it('refuses a container without the opt-in label, before any Docker call', async () => {
    const { docker } = world();
    const stranger = container('db', { labels: { 'remediator.enable': 'no' } });
    await expect(
      recreate.run({ type: 'recreate' }, actionContext(docker, { targets: [stranger] })),
    ).rejects.toBeInstanceOf(RefusedError);
    expect(docker.calls).toEqual([]);
  });

  it('in dry run makes no call and writes no memo, and says what it would do', async () => {
    const { api, docker } = world();
    const ctx = actionContext(docker, { targets: [api], dryRun: true });
    const r = await recreate.run({ type: 'recreate', image: 'example/app:2', env: { A: '1' } }, ctx);
    expect(docker.calls).toEqual([]);
    expect(ctx.memo.entries.size).toBe(0);
    expect(r.summary).toBe(
      'would recreate api (image example/app:2, env A), keeping the old container until the new one is up within 60s',
    );
    expect(recreate.describe({ type: 'recreate', image: 'example/app:2' }, 'api')).toBe(
      'recreate api (image example/app:2), keeping the old container until the new one is verified (stop timeout 10s)',
    );
  });

  describe('stoppedOnly: the replicas a start could not keep up', () => {
    it('recreates only the targets that are not running and verifies only the new ones', async () => {
      const up = container('w-1');
      const down = container('w-2', { running: false, state: 'exited', exitCode: 1 });
      const docker = new FakeDocker([up, down]);
      const r = await recreate.run(
        { type: 'recreate', stoppedOnly: true },
        actionContext(docker, { targets: [up, down], verify: FAST }),
      );
      expect(docker.mutatingCalls().map((c) => [c.method, c.args[0]])).toEqual([
        ['rename', 'id-w-2'],
        ['createFrom', 'id-w-2'],
        ['start', docker.byName('w-2')!.id],
        ['remove', 'id-w-2'],
      ]);
      expect(docker.byName('w-1')!.id).toBe('id-w-1');
      expect(r).toMatchObject({ changed: true, verifyIds: [docker.byName('w-2')!.id] });
      expect(r.summary).toMatch(/^recreated w-2 id-w-2 -> /);
    });

    it('with every target running, does nothing and says so', async () => {
      const docker = new FakeDocker([container('w-1'), container('w-2')]);
      const r = await recreate.run(
        { type: 'recreate', stoppedOnly: true },
        actionContext(docker, { targets: [...docker.containers.values()], verify: FAST }),
      );
      expect(docker.mutatingCalls()).toEqual([]);
      expect(r).toMatchObject({ changed: false, summary: 'nothing to recreate: w-1, w-2 running' });
      expect(recreate.describe({ type: 'recreate', stoppedOnly: true }, 'w-1, w-2')).toBe(
        'recreate those of w-1, w-2 that are not running, keeping the old container until the new one is verified (stop timeout 10s)',
      );
    });

    it('a rerun after a crash finishes the recreate even though the new container already runs', async () => {
      for (let k = 1; k <= 4; k++) {
        const down = container('w-2', { running: false, state: 'exited', exitCode: 1 });
        const docker = new FakeDocker([down]);
        const memo = new MemoryMemo();
        docker.crashAfterMutations = k;
        await expect(
          recreate.run(
            { type: 'recreate', stoppedOnly: true },
            actionContext(docker, { targets: [down], memo, verify: FAST }),
          ),
        ).rejects.toThrow(/worker crashed|worker is dead/);
        docker.revive();
        const targets = await resolve(docker, 'w-2');
        await recreate.run(
          { type: 'recreate', stoppedOnly: true },
          actionContext(docker, { targets, memo, verify: FAST }),
        );
        const left = [...docker.containers.values()];
        expect({ k, left: left.map((c) => [c.name, c.running, c.labels[RECREATED_FROM_LABEL]]) }).toEqual({
          k,
          left: [['w-2', true, 'id-w-2']],
        });
        expect({ k, steps: docker.mutatingCalls().map((c) => c.method) }).toEqual({
          k,
          steps: ['rename', 'createFrom', 'start', 'remove'],
        });
      }
    });
  });
});
