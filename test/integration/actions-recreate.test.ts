// recreate and rollback against the real engine: the running image, config and volumes asserted
// from Docker's inspect, and a new container that never becomes healthy rolled back to the old
// one, running under its own name. Images are derived from the busybox test image (commit).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROLLBACK_IMAGE_LABEL, recordImage } from '../../src/actions/image-history.js';
import { RECREATED_FROM_LABEL } from '../../src/actions/recreate-core.js';
import { recreate } from '../../src/actions/recreate.js';
import { rollback } from '../../src/actions/rollback.js';
import { RolledBackError } from '../../src/errors.js';
import { MapMemo, deriveImage, realContext, realDocker } from '../support/actions.js';
import { removeContainers, uniquePrefix } from '../support/docker.js';

const { port, raw } = realDocker(inject('dockerHost'));
const prefix = uniquePrefix('act-recreate');
const repo = `remediator-test/${prefix}app`;
const OPT_IN = { 'remediator.enable': 'true' };
const VERIFY = { running: true, healthy: true, withinMs: 15_000 };
const healthy = { Test: ['CMD', 'true'], Interval: 300e6, Timeout: 1e9, Retries: 1 };
const images: Record<string, string> = {};

// Writes a stamp into its anonymous volume once: a recreate that lost the volume would write a new one.
const CMD = ['sh', '-c', 'test -f /data/stamp || hostname > /data/stamp; exec sleep 3600'];

async function run(name: string, image: string, labels: Record<string, string> = {}) {
  const c = await raw.createContainer({
    name,
    Image: image,
    Env: ['MODE=old', 'KEEP=yes'],
    Labels: { ...OPT_IN, ...labels },
    HostConfig: { Init: true, NetworkMode: 'none', RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 } },
  });
  await c.start();
  return c.id;
}

async function waitHealthy(id: string) {
  for (let i = 0; i < 100; i++) {
    if ((await raw.getContainer(id).inspect()).State.Health?.Status === 'healthy') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${id} never became healthy`);
}

beforeAll(async () => {
  await removeContainers(raw, prefix);
  const base = { Cmd: CMD, Volumes: { '/data': {} }, Healthcheck: healthy };
  images.v1 = await deriveImage(raw, `${repo}:1`, { ...base, Labels: { version: '1' } });
  images.v2 = await deriveImage(raw, `${repo}:2`, { ...base, Labels: { version: '2' } });
  // No health check, and its process dies a second after it starts.
  images.dies = await deriveImage(raw, `${repo}:dies`, {
    Cmd: ['sh', '-c', 'sleep 1; exit 1'],
    Labels: { version: 'dies' },
  });
  images.bad = await deriveImage(raw, `${repo}:bad`, {
    ...base,
    Labels: { version: 'bad' },
    Healthcheck: { Test: ['CMD', 'false'], Interval: 300e6, Timeout: 1e9, Retries: 1 },
  });
});
afterAll(async () => {
  await removeContainers(raw, prefix);
  for (const tag of ['1', '2', 'bad', 'dies'])
    await raw
      .getImage(`${repo}:${tag}`)
      .remove({ force: true })
      .catch(() => undefined);
});

describe('recreate on the real engine', () => {
  it('replaces the container with one of the same config under the same name, env override applied, volume kept, old one removed', async () => {
    const name = `${prefix}same`;
    const oldId = await run(name, `${repo}:1`);
    await waitHealthy(oldId);
    const stamp = (await port.exec(oldId, { cmd: ['cat', '/data/stamp'], timeoutMs: 10_000, maxOutputBytes: 256 }))
      .stdout;

    const r = await recreate.run(
      { type: 'recreate', env: { MODE: 'new' } },
      realContext(port, { targets: [await port.inspect(oldId)], verify: VERIFY }),
    );

    const now = await raw.getContainer(name).inspect();
    expect(now.Id).not.toBe(oldId);
    expect(now.State).toMatchObject({ Running: true, Health: { Status: 'healthy' } });
    expect(now.Config.Env).toEqual(expect.arrayContaining(['MODE=new', 'KEEP=yes']));
    expect(now.Config.Labels).toMatchObject({ ...OPT_IN, [RECREATED_FROM_LABEL]: oldId, version: '1' });
    expect(now.HostConfig).toMatchObject({
      NetworkMode: 'none',
      Init: true,
      RestartPolicy: { Name: 'unless-stopped' },
    });
    expect(
      (await port.exec(now.Id, { cmd: ['cat', '/data/stamp'], timeoutMs: 10_000, maxOutputBytes: 256 })).stdout,
    ).toBe(stamp);
    await expect(raw.getContainer(oldId).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(r).toMatchObject({
      changed: true,
      before: { [name]: { id: oldId, image: `${repo}:1` } },
      after: { [name]: { id: now.Id, image: `${repo}:1` } },
      verifyIds: [now.Id],
    });
  });

  it("runs another image with that image's own defaults, not the old image's", async () => {
    const name = `${prefix}img`;
    const oldId = await run(name, `${repo}:1`);
    await recreate.run(
      { type: 'recreate', image: `${repo}:2` },
      realContext(port, { targets: [await port.inspect(oldId)], verify: VERIFY }),
    );
    const now = await raw.getContainer(name).inspect();
    expect(now.Config.Image).toBe(`${repo}:2`);
    expect(now.Image).toBe(images.v2);
    expect(now.Config.Labels!.version).toBe('2');
    expect(now.State.Running).toBe(true);
  });

  it('an image that never becomes healthy is rolled back: the old container is back, running, under its own name', async () => {
    const name = `${prefix}bad`;
    const oldId = await run(name, `${repo}:1`);
    const err = await recreate
      .run(
        { type: 'recreate', image: `${repo}:bad` },
        realContext(port, { targets: [await port.inspect(oldId)], verify: { ...VERIFY, withinMs: 3_000 } }),
      )
      .catch((e: unknown) => e);

    expect(err).toBeInstanceOf(RolledBackError);
    expect((err as RolledBackError).result).toMatchObject({
      summary: expect.stringMatching(/rolled back/),
      details: { rolledBack: true },
    });
    const back = await raw.getContainer(name).inspect();
    expect(back.Id).toBe(oldId);
    expect(back.State.Running).toBe(true);
    expect(back.Image).toBe(images.v1);
    const mine = await raw.listContainers({ all: true, filters: { name: [name] } });
    expect(mine.map((c) => c.Names[0])).toEqual([`/${name}`]);
  });

  it('an image without a health check whose process dies soon after it starts is rolled back too', async () => {
    const name = `${prefix}dies`;
    const c = await raw.createContainer({
      name,
      Image: `${repo}:1`,
      Labels: OPT_IN,
      HostConfig: { Init: true, NetworkMode: 'none' },
    });
    await c.start();
    await expect(
      recreate.run(
        { type: 'recreate', image: `${repo}:dies` },
        realContext(port, { targets: [await port.inspect(c.id)], verify: { ...VERIFY, withinMs: 10_000 } }),
      ),
    ).rejects.toThrow(/rolled back: .*exited \(exit code 1\)/);
    const back = await raw.getContainer(name).inspect();
    expect([back.Id, back.State.Running, back.Image]).toEqual([c.id, true, images.v1]);
  });

  it('in dry run changes nothing and says what it would do', async () => {
    const name = `${prefix}dry`;
    const oldId = await run(name, `${repo}:1`);
    const r = await recreate.run(
      { type: 'recreate', image: `${repo}:2` },
      realContext(port, { targets: [await port.inspect(oldId)], dryRun: true }),
    );
    expect((await raw.getContainer(name).inspect()).Id).toBe(oldId);
    expect(r.summary).toBe(
      `would recreate ${name} (image ${repo}:2), keeping the old container until the new one is up within 60s`,
    );
  });

  it('refuses a container without the opt-in label', async () => {
    const name = `${prefix}other`;
    const c = await raw.createContainer({ name, Image: `${repo}:1`, HostConfig: { Init: true, NetworkMode: 'none' } });
    await c.start();
    await expect(
      recreate.run({ type: 'recreate' }, realContext(port, { targets: [await port.inspect(c.id)] })),
    ).rejects.toThrow(/not opted in/);
    expect((await raw.getContainer(name).inspect()).Id).toBe(c.id);
  });
});

describe('rollback on the real engine', () => {
  it('goes back to the image recorded before the last change', async () => {
    const name = `${prefix}rb`;
    const hostState = new MapMemo();
    // The engine saw it on :1, then (after a deploy) on :2.
    await recordImage(hostState, { name, image: `${repo}:1`, imageId: images.v1! });
    const id = await run(name, `${repo}:2`);
    await recordImage(hostState, await port.inspect(id));

    const r = await rollback.run(
      { type: 'rollback' },
      realContext(port, { targets: [await port.inspect(id)], hostState, verify: VERIFY }),
    );

    const now = await raw.getContainer(name).inspect();
    expect(now.Config.Image).toBe(`${repo}:1`);
    expect(now.Image).toBe(images.v1);
    expect(now.State.Running).toBe(true);
    expect(r.summary).toContain(`(image ${repo}:2 -> ${repo}:1)`);
  });

  it('refuses a container without the opt-in label, and in dry run says from and to without acting', async () => {
    const name = `${prefix}rbother`;
    const c = await raw.createContainer({
      name,
      Image: `${repo}:2`,
      Labels: { [ROLLBACK_IMAGE_LABEL]: `${repo}:1` },
      HostConfig: { Init: true, NetworkMode: 'none' },
    });
    await c.start();
    await expect(
      rollback.run({ type: 'rollback' }, realContext(port, { targets: [await port.inspect(c.id)] })),
    ).rejects.toThrow(/not opted in/);
    const id = await run(`${prefix}rbdry`, `${repo}:2`, { [ROLLBACK_IMAGE_LABEL]: `${repo}:1` });
    const dry = await rollback.run(
      { type: 'rollback' },
      realContext(port, { targets: [await port.inspect(id)], dryRun: true }),
    );
    expect(dry.summary).toBe(
      `would roll back ${prefix}rbdry from ${repo}:2 to ${repo}:1 (label ${ROLLBACK_IMAGE_LABEL}), keeping the old container until the new one is up within 60s`,
    );
    expect((await raw.getContainer(name).inspect()).Id).toBe(c.id);
    expect((await raw.getContainer(`${prefix}rbdry`).inspect()).Id).toBe(id);
  });

  it('follows the label remediator.rollback.image', async () => {
    const name = `${prefix}rblabel`;
    const id = await run(name, `${repo}:2`, { [ROLLBACK_IMAGE_LABEL]: `${repo}:1` });
    await rollback.run({ type: 'rollback' }, realContext(port, { targets: [await port.inspect(id)], verify: VERIFY }));
    expect((await raw.getContainer(name).inspect()).Image).toBe(images.v1);
  });
});
