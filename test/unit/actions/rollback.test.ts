import { describe, expect, it } from 'vitest';
import {
  IMAGE_HISTORY_LIMIT,
  ROLLBACK_IMAGE_LABEL,
  imageHistory,
  previousImage,
  recordImage,
} from '../../../src/actions/image-history.js';
import { findAside } from '../../../src/actions/recreate-core.js';
import { rollback } from '../../../src/actions/rollback.js';
import { RefusedError, TargetNotFoundError } from '../../../src/errors.js';
import { FakeDocker, MemoryMemo, actionContext, container, swarmService } from './fake-docker.js';

const FAST = { running: true, healthy: true, withinMs: 300 };
const t = (n: number) => new Date(Date.UTC(2026, 10, 27, 10, n));

/** api on app:2, after it ran app:1: as the engine's recordImage calls left the history. */
async function upgraded() {
  const hostState = new MemoryMemo();
  await recordImage(hostState, { name: 'api', image: 'example/app:1', imageId: 'sha256:one' }, t(1));
  const api = container('api', { image: 'example/app:2', imageId: 'sha256:two' });
  await recordImage(hostState, api, t(2));
  const docker = new FakeDocker([api]);
  docker.addImage('example/app:1', 'sha256:one');
  return { api, docker, hostState };
}

describe('image history', () => {
  it('records newest first, writes only on a change of image id, and keeps at most the limit', async () => {
    const memo = new MemoryMemo();
    expect(await recordImage(memo, { name: 'api', image: 'a:1', imageId: 'sha256:1' }, t(1))).toBe(true);
    expect(await recordImage(memo, { name: 'api', image: 'a:1', imageId: 'sha256:1' }, t(2))).toBe(false);
    for (let i = 2; i <= IMAGE_HISTORY_LIMIT + 3; i++)
      await recordImage(memo, { name: 'api', image: `a:${i}`, imageId: `sha256:${i}` }, t(i));
    const h = await imageHistory(memo, 'api');
    expect(h).toHaveLength(IMAGE_HISTORY_LIMIT);
    expect(h[0]).toEqual({
      image: `a:${IMAGE_HISTORY_LIMIT + 3}`,
      imageId: `sha256:${IMAGE_HISTORY_LIMIT + 3}`,
      seenAt: t(IMAGE_HISTORY_LIMIT + 3).toISOString(),
    });
    expect(await imageHistory(memo, 'web')).toEqual([]);
  });

  it('previousImage skips the running image and any image a rollback left', () => {
    const h = [
      { image: 'a:3', imageId: 'sha256:3', seenAt: '' },
      { image: 'a:2', imageId: 'sha256:2', seenAt: '', rolledBackFrom: true },
      { image: 'a:1', imageId: 'sha256:1', seenAt: '' },
    ];
    expect(previousImage(h, 'sha256:3')?.image).toBe('a:1');
    expect(previousImage(h, 'sha256:1')?.image).toBe('a:3');
    expect(previousImage([h[0]!], 'sha256:3')).toBeUndefined();
  });
});

describe('rollback action (container)', () => {
  it('recreates the container on the image it ran before, and says from -> to', async () => {
    const { api, docker, hostState } = await upgraded();
    const r = await rollback.run(
      { type: 'rollback' },
      actionContext(docker, { targets: [api], hostState, verify: FAST }),
    );

    expect(docker.callsTo('createFrom')[0]![1]).toMatchObject({ name: 'api', image: 'example/app:1' });
    expect(docker.byName('api')).toMatchObject({ image: 'example/app:1', imageId: 'sha256:one', running: true });
    expect(r.summary).toMatch(/^rolled back api id-api -> .* \(image example\/app:2 -> example\/app:1\)$/);
    expect(r.before).toEqual({ api: { id: 'id-api', image: 'example/app:2' } });
  });

  it('afterwards the image it left is never a rollback target again', async () => {
    const { api, docker, hostState } = await upgraded();
    await rollback.run({ type: 'rollback' }, actionContext(docker, { targets: [api], hostState, verify: FAST }));
    const h = await imageHistory(hostState, 'api');
    expect(h.map((e) => [e.imageId, e.rolledBackFrom ?? false])).toEqual([
      ['sha256:one', false],
      ['sha256:two', true],
      ['sha256:one', false],
    ]);
    const again = rollback.run(
      { type: 'rollback' },
      actionContext(docker, { targets: await docker.findContainers({ name: 'api' }), hostState, attempt: 1 }),
    );
    await expect(again).rejects.toBeInstanceOf(RefusedError);
  });

  it('uses the recorded image id when the tag has moved to another build since', async () => {
    const { api, docker, hostState } = await upgraded();
    docker.images.delete('example/app:1');
    docker.addImage('example/app:1', 'sha256:rebuilt');
    docker.addImage('sha256:one', 'sha256:one');
    await rollback.run({ type: 'rollback' }, actionContext(docker, { targets: [api], hostState, verify: FAST }));
    expect(docker.byName('api')!.image).toBe('sha256:one');
  });

  it('follows the label remediator.rollback.image over the history', async () => {
    const { docker, hostState } = await upgraded();
    const api = container('api', {
      image: 'example/app:2',
      imageId: 'sha256:two',
      labels: { [ROLLBACK_IMAGE_LABEL]: 'example/app:0' },
    });
    docker.containers.set(api.id, api);
    docker.addImage('example/app:0', 'sha256:zero');
    await rollback.run({ type: 'rollback' }, actionContext(docker, { targets: [api], hostState, verify: FAST }));
    expect(docker.byName('api')!.image).toBe('example/app:0');
  });

  it('refuses without history or label, and when the earlier image is gone, before any mutating call', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    await expect(rollback.run({ type: 'rollback' }, actionContext(docker, { targets: [api] }))).rejects.toThrow(
      /no earlier image recorded for api .*set label remediator\.rollback\.image/,
    );
    const w = await upgraded();
    w.docker.images.delete('example/app:1');
    w.docker.images.delete('sha256:one');
    await expect(
      rollback.run({ type: 'rollback' }, actionContext(w.docker, { targets: [w.api], hostState: w.hostState })),
    ).rejects.toBeInstanceOf(TargetNotFoundError);
    expect([...docker.mutatingCalls(), ...w.docker.mutatingCalls()]).toEqual([]);
  });

  it('a rerun after a crash keeps the image chosen first, though the history moved on', async () => {
    for (let k = 1; k <= 5; k++) {
      const { api, docker, hostState } = await upgraded();
      const memo = new MemoryMemo();
      docker.crashAfterMutations = k;
      await expect(
        rollback.run({ type: 'rollback' }, actionContext(docker, { targets: [api], memo, hostState, verify: FAST })),
      ).rejects.toThrow();
      docker.revive();
      const [c] = await docker.findContainers({ name: 'api' });
      const target = c ?? (await findAside(docker, 'api'))!;
      // The engine records what it resolved: after k >= 2 that is the new container, on app:1.
      await recordImage(hostState, target);
      await rollback.run(
        { type: 'rollback' },
        actionContext(docker, { targets: [target], memo, hostState, verify: FAST }),
      );
      expect({ k, images: [...docker.containers.values()].map((x) => [x.name, x.image]) }).toEqual({
        k,
        images: [['api', 'example/app:1']],
      });
      expect(docker.callsTo('createFrom')).toHaveLength(1);
    }
  });

  it('describes itself for a human', () => {
    expect(rollback.describe({ type: 'rollback' }, 'api')).toBe(
      'roll api back to the image it ran before (label remediator.rollback.image, else the recorded history; Swarm: PreviousSpec), keeping the old container until the new one is verified',
    );
  });

  it('in dry run makes no mutating call and says from and to', async () => {
    const { api, docker, hostState } = await upgraded();
    const r = await rollback.run(
      { type: 'rollback' },
      actionContext(docker, { targets: [api], hostState, dryRun: true }),
    );
    expect(docker.mutatingCalls()).toEqual([]);
    expect(r.summary).toBe(
      `would roll back api from example/app:2 to example/app:1 (image history, seen ${t(1).toISOString()}), keeping the old container until the new one is up within 60s`,
    );
  });
});

describe('rollback action (Swarm service)', () => {
  it('asks the Swarm API for rollback=previous at the version it read', async () => {
    const svc = swarmService('web');
    const docker = new FakeDocker([], [svc]);
    const swarm = { id: svc.id, name: 'web', version: svc.version, labels: {} };
    const r = await rollback.run({ type: 'rollback' }, actionContext(docker, { swarm }));
    expect(docker.callsTo('updateService')).toEqual([[svc.id, 10, { rollback: 'previous' }]]);
    expect(r).toMatchObject({
      changed: true,
      summary: 'rolled back Swarm service web from example/app:2 to example/app:1',
    });
  });

  it('a rerun after a crash right after the update finds it done and does not roll back again (that would go forward)', async () => {
    const svc = swarmService('web');
    const docker = new FakeDocker([], [svc]);
    const swarm = { id: svc.id, name: 'web', version: svc.version, labels: {} };
    const memo = new MemoryMemo();
    docker.crashAfterMutations = 1;
    await expect(rollback.run({ type: 'rollback' }, actionContext(docker, { swarm, memo }))).rejects.toThrow();
    docker.revive();
    const r = await rollback.run({ type: 'rollback' }, actionContext(docker, { swarm, memo }));
    expect(docker.callsTo('updateService')).toHaveLength(1);
    expect(docker.services.get(svc.id)!.image).toBe('example/app:1');
    expect(r).toMatchObject({
      changed: false,
      summary: 'Swarm service web already rolled back from example/app:2 to example/app:1',
    });
  });
});
