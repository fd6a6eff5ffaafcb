import { describe, expect, it } from 'vitest';
import { CREATED_BY_LABEL, NUMBER_LABEL, scale } from '../../../src/actions/scale.js';
import type { ServiceRef } from '../../../src/actions/types.js';
import type { ContainerInfo, ReplicaOptions } from '../../../src/docker/port.js';
import { RefusedError } from '../../../src/errors.js';
import { FakeDocker, MemoryMemo, actionContext, container } from './fake-docker.js';

const service: ServiceRef = {
  name: 'worker',
  project: 'shop',
  selector: { 'com.docker.compose.service': 'worker', 'com.docker.compose.project': 'shop' },
};

/** Replica n of shop/worker; `createdBy` marks one remediator added. */
function replica(n: number, o: { createdBy?: string; running?: boolean } = {}): ContainerInfo {
  return container(`shop-worker-${n}`, {
    running: o.running ?? true,
    labels: {
      ...service.selector,
      [NUMBER_LABEL]: String(n),
      ...(o.createdBy !== undefined ? { [CREATED_BY_LABEL]: o.createdBy } : {}),
    },
  });
}

/** Targets as the worker resolves them: the service's opted-in containers, from Docker now. */
async function targetsOf(docker: FakeDocker): Promise<ContainerInfo[]> {
  const found = await docker.findContainers({ labels: service.selector });
  docker.calls.length = 0;
  return found;
}

describe('scale action: out', () => {
  it('goes from 1 running to 2 with by 1, cloning the service container with a new number', async () => {
    const docker = new FakeDocker([replica(1)]);
    const ctx = actionContext(docker, { service, targets: await targetsOf(docker), jobId: 'job-7' });

    const result = await scale.run({ type: 'scale', by: 1, max: 4 }, ctx);

    const creates = docker.callsTo('createReplica') as [string, ReplicaOptions][];
    expect(creates).toHaveLength(1);
    expect(creates[0]![0]).toBe('id-shop-worker-1');
    expect(creates[0]![1].name).toBe('shop-worker-2');
    expect(creates[0]![1].labels).toMatchObject({ [NUMBER_LABEL]: '2', [CREATED_BY_LABEL]: 'job-7' });
    expect(result).toMatchObject({ changed: true, details: { before: 1, wanted: 2, after: 2 } });
  });

  it('never goes past max: by 5 from 2 with max 3 creates one replica', async () => {
    const docker = new FakeDocker([replica(1), replica(2)]);
    const result = await scale.run(
      { type: 'scale', by: 5, max: 3 },
      actionContext(docker, { service, targets: await targetsOf(docker) }),
    );
    expect(docker.callsTo('createReplica')).toHaveLength(1);
    expect(result.details).toMatchObject({ wanted: 3, after: 3 });
  });

  it('at max reports changed false and creates nothing', async () => {
    const docker = new FakeDocker([1, 2, 3, 4].map((n) => replica(n)));
    const result = await scale.run(
      { type: 'scale', by: 1, max: 4 },
      actionContext(docker, { service, targets: await targetsOf(docker) }),
    );
    expect(docker.callsTo('createReplica')).toEqual([]);
    expect(docker.mutatingCalls()).toEqual([]);
    expect(result.changed).toBe(false);
    expect(result.summary).toContain('bounded by max 4');
  });

  it('counts in words a person reads: 1 running replica, 1 replica', async () => {
    const docker = new FakeDocker([replica(1)]);
    const at = await scale.run(
      { type: 'scale', by: 1, max: 1 },
      actionContext(docker, { service, targets: await targetsOf(docker) }),
    );
    expect(at.summary).toBe('worker already has 1 running replica (bounded by max 1)');
    expect(scale.describe({ type: 'scale', replicas: 1, max: 4 }, 'service worker')).toBe(
      'scale service worker to 1 replica (bounded 1..4)',
    );
  });

  it('numbers a new replica after the highest number the service has, stopped replicas included', async () => {
    const docker = new FakeDocker([replica(1), replica(5, { running: false })]);
    const targets = (await targetsOf(docker)).filter((c) => c.running);
    await scale.run({ type: 'scale', by: 1, max: 4 }, actionContext(docker, { service, targets }));
    const [[, options]] = docker.callsTo('createReplica') as [[string, ReplicaOptions]];
    expect(options).toMatchObject({ name: 'shop-worker-6', labels: { [NUMBER_LABEL]: '6' } });
  });

  it('skips a name already taken by a container of the service that carries no number', async () => {
    const unnumbered = container('shop-worker-2', { running: false, labels: { ...service.selector } });
    const docker = new FakeDocker([replica(1), unnumbered]);
    const targets = (await targetsOf(docker)).filter((c) => c.running);
    await scale.run({ type: 'scale', by: 1, max: 4 }, actionContext(docker, { service, targets }));
    const [[, options]] = docker.callsTo('createReplica') as [[string, ReplicaOptions]];
    expect(options).toMatchObject({ name: 'shop-worker-3', labels: { [NUMBER_LABEL]: '3' } });
  });

  it('names the replica after the project of the replica it clones when the target names none', async () => {
    const docker = new FakeDocker([replica(1)]);
    const noProject: ServiceRef = {
      name: 'worker',
      project: undefined,
      selector: { 'com.docker.compose.service': 'worker' },
    };
    await scale.run(
      { type: 'scale', by: 1, max: 4 },
      actionContext(docker, { service: noProject, targets: await targetsOf(docker) }),
    );
    const [[, options]] = docker.callsTo('createReplica') as [[string, ReplicaOptions]];
    expect(options.name).toBe('shop-worker-2');
  });

  it('refuses a service that spans several Compose projects, before any Docker call', async () => {
    const other = container('blog-worker-1', {
      labels: { 'com.docker.compose.service': 'worker', 'com.docker.compose.project': 'blog' },
    });
    const docker = new FakeDocker([replica(1), other]);
    const noProject: ServiceRef = {
      name: 'worker',
      project: undefined,
      selector: { 'com.docker.compose.service': 'worker' },
    };
    const targets = await docker.findContainers({ labels: noProject.selector });
    docker.calls.length = 0;
    const run = scale.run({ type: 'scale', by: 1, max: 4 }, actionContext(docker, { service: noProject, targets }));
    await expect(run).rejects.toBeInstanceOf(RefusedError);
    await expect(run).rejects.toThrow(/several Compose projects.*set target\.project/);
    expect(docker.calls).toEqual([]);
  });

  it('a rerun holding memo scale:wanted does not create a second replica', async () => {
    const docker = new FakeDocker([replica(1)]);
    const memo = new MemoryMemo();
    await scale.run(
      { type: 'scale', by: 1, max: 4 },
      actionContext(docker, { service, memo, targets: await targetsOf(docker) }),
    );
    expect(JSON.parse(memo.entries.get('scale:wanted')!)).toEqual({ before: 1, wanted: 2 });

    // The worker died after creating the replica; the job runs again and sees 2 running.
    const result = await scale.run(
      { type: 'scale', by: 1, max: 4 },
      actionContext(docker, { service, memo, targets: await targetsOf(docker) }),
    );

    expect(docker.callsTo('createReplica')).toEqual([]);
    expect(result.changed).toBe(false);
    expect([...docker.containers.values()].filter((c) => c.running)).toHaveLength(2);
  });

  it('without a running replica to clone, creates nothing', async () => {
    const docker = new FakeDocker([replica(1, { running: false })]);
    const targets = (await targetsOf(docker)).filter((c) => c.running);
    const result = await scale.run({ type: 'scale', by: 1, max: 4 }, actionContext(docker, { service, targets }));
    expect(docker.mutatingCalls()).toEqual([]);
    expect(result.changed).toBe(false);
  });

  it('in dry run creates nothing, writes no memo and says "would scale"', async () => {
    const docker = new FakeDocker([replica(1)]);
    const ctx = actionContext(docker, { service, dryRun: true, targets: await targetsOf(docker) });
    const result = await scale.run({ type: 'scale', by: 1, max: 4 }, ctx);
    expect(docker.mutatingCalls()).toEqual([]);
    expect(ctx.memo.entries.size).toBe(0);
    expect(result.summary).toBe('would scale worker from 1 to 2 replicas');
  });
});

describe('scale action: in (replicas: 1, as onResolved)', () => {
  it('removes only containers labelled remediator.created-by, never the service own ones', async () => {
    const docker = new FakeDocker([replica(1), replica(2), replica(3, { createdBy: 'job-a' })]);
    const result = await scale.run(
      { type: 'scale', replicas: 1, max: 4 },
      actionContext(docker, { service, targets: await targetsOf(docker) }),
    );

    expect(docker.mutatingCalls()).toEqual([
      { method: 'stop', args: ['id-shop-worker-3', 10] },
      { method: 'remove', args: ['id-shop-worker-3'] },
    ]);
    expect(result).toMatchObject({ changed: true, details: { removed: ['shop-worker-3'], after: 2 } });
  });

  it('removes the highest-numbered added replicas first, down to the wanted count', async () => {
    const docker = new FakeDocker([replica(1), replica(3, { createdBy: 'job-a' }), replica(4, { createdBy: 'job-b' })]);
    const result = await scale.run(
      { type: 'scale', replicas: 1, max: 4 },
      actionContext(docker, { service, targets: await targetsOf(docker) }),
    );
    expect(docker.callsTo('remove')).toEqual([['id-shop-worker-4'], ['id-shop-worker-3']]);
    expect(result.details).toMatchObject({ after: 1 });
    expect([...docker.containers.keys()]).toEqual(['id-shop-worker-1']);
  });

  it('never goes below min even when replicas asks for less', async () => {
    const docker = new FakeDocker([replica(1), replica(2, { createdBy: 'job-a' })]);
    const result = await scale.run(
      { type: 'scale', replicas: 0, max: 4 },
      actionContext(docker, { service, targets: await targetsOf(docker) }),
    );
    expect(docker.callsTo('remove')).toEqual([['id-shop-worker-2']]);
    expect(result.details).toMatchObject({ wanted: 1, after: 1 });
  });

  it('with only the service own containers running, removes nothing and reports changed false', async () => {
    const docker = new FakeDocker([replica(1), replica(2)]);
    const result = await scale.run(
      { type: 'scale', replicas: 1, max: 4 },
      actionContext(docker, { service, targets: await targetsOf(docker) }),
    );
    expect(docker.mutatingCalls()).toEqual([]);
    expect(result.changed).toBe(false);
  });
});
