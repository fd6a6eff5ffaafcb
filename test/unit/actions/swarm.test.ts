import { describe, expect, it } from 'vitest';
import { redeploy } from '../../../src/actions/redeploy.js';
import { scale } from '../../../src/actions/scale.js';
import type { SwarmServiceInfo } from '../../../src/docker/port.js';
import { RefusedError } from '../../../src/errors.js';
import { FakeDocker, MemoryMemo, actionContext, swarmService } from './fake-docker.js';

function world(over: Partial<SwarmServiceInfo> = {}) {
  const svc = swarmService('web', over);
  const docker = new FakeDocker([], [svc]);
  return { docker, svc, swarm: { id: svc.id, name: svc.name, version: svc.version, labels: {} } };
}

describe('scale action on a Swarm service', () => {
  it("updates the service's replicas in its spec, bounded by max, at the version read", async () => {
    const { docker, svc, swarm } = world({ replicas: 2 });
    const r = await scale.run({ type: 'scale', by: 5, max: 4 }, actionContext(docker, { swarm }));
    expect(docker.callsTo('updateService')).toEqual([[svc.id, 10, { replicas: 4 }]]);
    expect(r).toMatchObject({
      changed: true,
      summary: 'scaled Swarm service web from 2 to 4 replicas',
      after: { replicas: 4 },
    });
  });

  it('never below min, and at the bound changes nothing', async () => {
    const { docker, swarm } = world({ replicas: 1 });
    const r = await scale.run({ type: 'scale', replicas: 0, max: 4, min: 1 }, actionContext(docker, { swarm }));
    expect(docker.mutatingCalls()).toEqual([]);
    expect(r).toMatchObject({ changed: false, summary: 'Swarm service web already has 1 replicas (bounded by min 1)' });
  });

  it('a rerun after a crash keeps the goal: no second step out', async () => {
    const { docker, swarm } = world({ replicas: 2 });
    const memo = new MemoryMemo();
    docker.crashAfterMutations = 1;
    await expect(scale.run({ type: 'scale', by: 1, max: 5 }, actionContext(docker, { swarm, memo }))).rejects.toThrow();
    docker.revive();
    const r = await scale.run({ type: 'scale', by: 1, max: 5 }, actionContext(docker, { swarm, memo }));
    expect(docker.services.get(swarm.id)!.replicas).toBe(3);
    expect(r.changed).toBe(false);
  });

  it('refuses a global service, and in dry run changes nothing', async () => {
    const global = world({ replicas: undefined });
    await expect(
      scale.run({ type: 'scale', max: 3 }, actionContext(global.docker, { swarm: global.swarm })),
    ).rejects.toBeInstanceOf(RefusedError);
    const { docker, swarm } = world();
    const r = await scale.run({ type: 'scale', by: 1, max: 3 }, actionContext(docker, { swarm, dryRun: true }));
    expect(docker.mutatingCalls()).toEqual([]);
    expect(r.summary).toBe('would scale Swarm service web from 2 to 3 replicas');
  });
});

describe('redeploy action', () => {
  it('bumps TaskTemplate.ForceUpdate once, even across a crash and rerun', async () => {
    const { docker, svc, swarm } = world({ forceUpdate: 3 });
    const memo = new MemoryMemo();
    docker.crashAfterMutations = 1;
    await expect(redeploy.run({ type: 'redeploy' }, actionContext(docker, { swarm, memo }))).rejects.toThrow();
    docker.revive();
    const r = await redeploy.run({ type: 'redeploy' }, actionContext(docker, { swarm, memo }));
    expect(docker.callsTo('updateService')).toEqual([[svc.id, 10, { forceUpdate: 4 }]]);
    expect(r).toMatchObject({ changed: false, summary: 'Swarm service web already redeployed' });
  });

  it('says what it would do in dry run, and refuses a target that is not a Swarm service', async () => {
    const { docker, swarm } = world();
    const r = await redeploy.run({ type: 'redeploy' }, actionContext(docker, { swarm, dryRun: true }));
    expect(docker.mutatingCalls()).toEqual([]);
    expect(r.summary).toBe('would redeploy Swarm service web (update --force, image example/app:2)');
    expect(redeploy.describe({ type: 'redeploy' }, 'web')).toBe(
      'redeploy Swarm service web (update --force: every task replaced)',
    );
    await expect(redeploy.run({ type: 'redeploy' }, actionContext(docker, {}))).rejects.toThrow(
      /needs a Swarm service target/,
    );
  });
});
