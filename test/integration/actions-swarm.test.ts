// Swarm services through the Swarm API, on a private dockerd made a single-node swarm (a swarm
// cannot be undone cleanly on the shared engine): scale, redeploy and rollback asserted from the
// service's own Spec and PreviousSpec.
import { mkdtemp, rm } from 'node:fs/promises';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redeploy } from '../../src/actions/redeploy.js';
import { rollback } from '../../src/actions/rollback.js';
import { scale } from '../../src/actions/scale.js';
import type { SwarmServiceRef } from '../../src/actions/types.js';
import type { DockerPort } from '../../src/docker/port.js';
import { ensureBusyboxImage, freePort, startDockerd, type DockerdHandle } from '../../scripts/lib/daemons.js';
import { deriveImage, realContext, realDocker } from '../support/actions.js';
import { TEST_IMAGE } from '../support/docker.js';

let dockerd: DockerdHandle | undefined;
let root: string;
let port: DockerPort;
let raw: Docker;
const V2 = 'remediator-test/swarm-app:2';

beforeAll(async () => {
  root = await mkdtemp('/tmp/rmd-sw-');
  dockerd = await startDockerd({ root });
  await ensureBusyboxImage(dockerd.dockerHost);
  ({ port, raw } = realDocker(dockerd.dockerHost));
  await raw.swarmInit({ ListenAddr: `127.0.0.1:${await freePort()}`, AdvertiseAddr: '127.0.0.1' });
  await deriveImage(raw, V2, { Cmd: ['sleep', '3600'], Labels: { version: '2' } });
});

afterAll(async () => {
  if (raw) {
    await raw.swarmLeave({ force: true }).catch(() => undefined);
    // Swarm leaves its gateway bridge behind; removed through the engine, the host link goes with it.
    await raw
      .getNetwork('docker_gwbridge')
      .remove()
      .catch(() => undefined);
  }
  await dockerd?.stop();
  if (root) await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

async function service(name: string, replicas = 1): Promise<SwarmServiceRef> {
  const s = await raw.createService({
    Name: name,
    TaskTemplate: { ContainerSpec: { Image: TEST_IMAGE, Command: ['sleep', '3600'], Init: true } },
    Mode: { Replicated: { Replicas: replicas } },
  } as Docker.CreateServiceOptions);
  const info = await port.inspectService(s.id as string);
  return { id: info.id, name: info.name, version: info.version, labels: info.labels };
}

const spec = async (id: string) =>
  (await raw.getService(id).inspect()) as { Spec: any; PreviousSpec?: any; Version: { Index: number } };

describe('Swarm services on a single-node swarm', () => {
  it("scale sets the service's replicas in its spec, bounded by max", async () => {
    const swarm = await service('scaled', 1);
    const r = await scale.run({ type: 'scale', by: 5, max: 3 }, realContext(port, { targets: [], swarm }));
    expect((await spec(swarm.id)).Spec.Mode).toEqual({ Replicated: { Replicas: 3 } });
    expect(r).toMatchObject({ changed: true, summary: 'scaled Swarm service scaled from 1 to 3 replicas' });

    const dry = await scale.run(
      { type: 'scale', replicas: 1, max: 3 },
      realContext(port, { targets: [], swarm, dryRun: true }),
    );
    expect((await spec(swarm.id)).Spec.Mode.Replicated.Replicas).toBe(3);
    expect(dry.summary).toBe('would scale Swarm service scaled from 3 to 1 replicas');
  });

  it('rollback puts the previous spec back: Spec has the old image, PreviousSpec the one rolled back from', async () => {
    const swarm = await service('canary', 1);
    const before = await spec(swarm.id);
    const next = structuredClone(before.Spec);
    next.TaskTemplate.ContainerSpec.Image = V2;
    await raw.getService(swarm.id).update({ _query: { version: before.Version.Index }, _body: next });
    expect((await spec(swarm.id)).PreviousSpec.TaskTemplate.ContainerSpec.Image).toBe(TEST_IMAGE);

    const dry = await rollback.run({ type: 'rollback' }, realContext(port, { targets: [], swarm, dryRun: true }));
    expect(dry.summary).toBe(`would roll back Swarm service canary from ${V2} to ${TEST_IMAGE}`);
    expect((await spec(swarm.id)).Spec.TaskTemplate.ContainerSpec.Image).toBe(V2);

    const r = await rollback.run({ type: 'rollback' }, realContext(port, { targets: [], swarm }));
    const after = await spec(swarm.id);
    expect(after.Spec.TaskTemplate.ContainerSpec.Image).toBe(TEST_IMAGE);
    expect(after.PreviousSpec.TaskTemplate.ContainerSpec.Image).toBe(V2);
    expect(r).toMatchObject({ changed: true, before: { image: V2 }, after: { image: TEST_IMAGE } });
  });

  it('redeploy bumps TaskTemplate.ForceUpdate', async () => {
    const swarm = await service('forced', 1);
    const r = await redeploy.run({ type: 'redeploy' }, realContext(port, { targets: [], swarm }));
    expect((await spec(swarm.id)).Spec.TaskTemplate.ForceUpdate).toBe(1);
    expect(r.summary).toBe(`redeployed Swarm service forced (update --force, image ${TEST_IMAGE})`);
  });

  it('a stale spec version is refused by Docker, as a retryable error', async () => {
    const swarm = await service('stale', 1);
    await scale.run({ type: 'scale', replicas: 2, max: 3 }, realContext(port, { targets: [], swarm }));
    await expect(port.updateService(swarm.id, swarm.version, { replicas: 3 })).rejects.toMatchObject({
      name: 'TransientError',
      message: expect.stringMatching(/out of sequence/),
    });
    expect(await port.findService('stale')).toMatchObject({ replicas: 2 });
  });
});
