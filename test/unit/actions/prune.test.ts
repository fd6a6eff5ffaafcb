import { describe, expect, it } from 'vitest';
import { prune } from '../../../src/actions/prune.js';
import type { PruneOptions } from '../../../src/docker/port.js';
import { FakeDocker, actionContext } from './fake-docker.js';

const MiB = 1_048_576;

describe('prune action', () => {
  it('prunes only opted-in stopped containers, dangling images and build cache by default; never volumes', async () => {
    const docker = new FakeDocker();
    await prune.run({ type: 'prune' }, actionContext(docker));
    expect(docker.callsTo('prune')).toEqual([
      [
        {
          containersWithLabel: 'remediator.enable=true',
          images: 'dangling',
          buildCache: true,
          networks: false,
          volumes: false,
        },
      ],
    ]);
  });

  it('builds the container filter from the configured opt-in label', async () => {
    const docker = new FakeDocker();
    await prune.run({ type: 'prune' }, actionContext(docker, { optInLabel: 'acme.remediate' }));
    const [[options]] = docker.callsTo('prune') as [[PruneOptions]];
    expect(options.containersWithLabel).toBe('acme.remediate=true');
  });

  it('passes no container filter when containers are not to be pruned, and volumes only when asked', async () => {
    const docker = new FakeDocker();
    await prune.run({ type: 'prune', containers: false, images: false, volumes: true }, actionContext(docker));
    const [[options]] = docker.callsTo('prune') as [[PruneOptions]];
    expect(options).toMatchObject({ containersWithLabel: undefined, images: false, volumes: true });
  });

  it('reports the bytes reclaimed, in the summary and the details', async () => {
    const docker = new FakeDocker();
    docker.pruneReport = {
      containersDeleted: ['c1', 'c2'],
      imagesDeleted: 3,
      buildCacheDeleted: 1,
      networksDeleted: [],
      volumesDeleted: [],
      bytesReclaimed: 50 * MiB,
    };
    const result = await prune.run({ type: 'prune' }, actionContext(docker));
    expect(result.changed).toBe(true);
    expect(result.summary).toContain('50.0 MiB reclaimed');
    expect(result.summary).toContain('2 containers, 3 images');
    expect(result.details.bytesReclaimed).toBe(50 * MiB);
  });

  it('says 1 container, 1 image (not "1 containers")', async () => {
    const docker = new FakeDocker();
    docker.pruneReport = {
      containersDeleted: ['c1'],
      imagesDeleted: 1,
      buildCacheDeleted: 0,
      networksDeleted: [],
      volumesDeleted: [],
      bytesReclaimed: MiB,
    };
    const result = await prune.run({ type: 'prune' }, actionContext(docker));
    expect(result.summary).toBe(
      'pruned stopped opted-in containers, dangling images, the build cache: 1.0 MiB reclaimed (1 container, 1 image)',
    );
  });

  it('reports changed false when nothing was reclaimed', async () => {
    const docker = new FakeDocker();
    const result = await prune.run({ type: 'prune' }, actionContext(docker));
    expect(result.changed).toBe(false);
    expect(result.summary).toContain('0.0 MiB reclaimed');
  });

  it('in dry run prunes nothing and says "would prune"', async () => {
    const docker = new FakeDocker();
    const result = await prune.run({ type: 'prune', volumes: true }, actionContext(docker, { dryRun: true }));
    expect(docker.mutatingCalls()).toEqual([]);
    expect(result.changed).toBe(false);
    expect(result.summary).toMatch(/^would prune .*volumes/);
  });
});
