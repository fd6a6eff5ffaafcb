// update (limits + restore), pause / unpause, against the real engine: each change asserted from
// Docker's own HostConfig and State, not from what the action says it did.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pause } from '../../src/actions/pause.js';
import { unpause } from '../../src/actions/unpause.js';
import { update } from '../../src/actions/update.js';
import { MapMemo, realContext, realDocker } from '../support/actions.js';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';

const MiB = 1024 ** 2;
const OPT_IN = { 'remediator.enable': 'true' };
const { port, raw } = realDocker(inject('dockerHost'));
const prefix = uniquePrefix('act-update');
const hostConfig = async (id: string) => (await raw.getContainer(id).inspect()).HostConfig;

beforeAll(async () => removeContainers(raw, prefix));
afterAll(async () => removeContainers(raw, prefix));

describe('update action on the real engine', () => {
  it('sets cpus, cpu shares, memory (with swap), pids and the restart policy, then restore puts them back', async () => {
    const id = await createTestContainer(raw, { name: `${prefix}limits`, labels: OPT_IN });
    const episode = new MapMemo();
    const r = await update.run(
      {
        type: 'update',
        cpus: 0.5,
        cpuShares: 256,
        memory: '64m',
        pidsLimit: 100,
        restartPolicy: { name: 'on-failure', maximumRetryCount: 3 },
      },
      realContext(port, { targets: [await port.inspect(id)], episode }),
    );
    const h = await hostConfig(id);
    expect(h).toMatchObject({
      NanoCpus: 500_000_000,
      CpuShares: 256,
      Memory: 64 * MiB,
      MemorySwap: 128 * MiB,
      PidsLimit: 100,
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
    });
    expect(r.changed).toBe(true);
    expect(r.before).toEqual({
      [`${prefix}limits`]: {
        nanoCpus: 0,
        cpuShares: 0,
        memory: 0,
        memorySwap: 0,
        pidsLimit: 0,
        restartPolicy: { name: 'no', maximumRetryCount: 0 },
      },
    });

    // onResolved: restore, in the same episode (a new job: its own memo, the episode's shared).
    const restored = await update.run(
      { type: 'update', restore: true },
      realContext(port, { targets: [await port.inspect(id)], episode }),
    );
    const info = (await raw.info()) as { NCPU: number; MemTotal: number };
    const back = await hostConfig(id);
    // Docker's update cannot write 0 ("unchanged"): an unlimited value comes back as its equivalent.
    expect(back).toMatchObject({
      NanoCpus: info.NCPU * 1e9,
      CpuShares: 1024,
      Memory: info.MemTotal,
      MemorySwap: 2 * info.MemTotal,
      RestartPolicy: { Name: 'no' },
    });
    expect(back.PidsLimit ?? 0).toBeLessThanOrEqual(0);
    expect(restored.summary).toMatch(/^restored .*cpus 0\.5 -> \d+, cpuShares 256 -> 1024/);
  });

  it('grows memory by a factor within its cap, keeping the swap room, and restores the exact values', async () => {
    const name = `${prefix}oom`;
    const c = await raw.createContainer({
      name,
      Image: 'remediator-test/busybox:1',
      Cmd: ['sleep', '3600'],
      Labels: OPT_IN,
      HostConfig: { Init: true, NetworkMode: 'none', Memory: 32 * MiB, MemorySwap: 48 * MiB },
    });
    await c.start();
    const episode = new MapMemo();
    await update.run(
      { type: 'update', memory: { factor: 4, min: '32m', max: '96m' } },
      realContext(port, { targets: [await port.inspect(c.id)], episode }),
    );
    expect(await hostConfig(c.id)).toMatchObject({ Memory: 96 * MiB, MemorySwap: 112 * MiB });
    await update.run(
      { type: 'update', restore: true },
      realContext(port, { targets: [await port.inspect(c.id)], episode }),
    );
    expect(await hostConfig(c.id)).toMatchObject({ Memory: 32 * MiB, MemorySwap: 48 * MiB });
  });

  it('in dry run leaves HostConfig as it was and says what it would do', async () => {
    const id = await createTestContainer(raw, { name: `${prefix}dry`, labels: OPT_IN });
    const before = await hostConfig(id);
    const r = await update.run(
      { type: 'update', cpus: 0.25 },
      realContext(port, { targets: [await port.inspect(id)], dryRun: true }),
    );
    expect(await hostConfig(id)).toEqual(before);
    expect(r.summary).toBe(`would update ${prefix}dry: cpus unlimited -> 0.25`);
  });

  it('refuses a container without the opt-in label and leaves it unchanged', async () => {
    const id = await createTestContainer(raw, { name: `${prefix}other` });
    await expect(
      update.run({ type: 'update', cpus: 0.5 }, realContext(port, { targets: [await port.inspect(id)] })),
    ).rejects.toThrow(/not opted in/);
    expect((await hostConfig(id)).NanoCpus).toBe(0);
  });
});

describe('pause and unpause on the real engine', () => {
  it('pauses and unpauses, as State.Paused shows', async () => {
    const id = await createTestContainer(raw, { name: `${prefix}pause`, labels: OPT_IN });
    const p = await pause.run({ type: 'pause' }, realContext(port, { targets: [await port.inspect(id)] }));
    expect((await raw.getContainer(id).inspect()).State).toMatchObject({ Paused: true, Status: 'paused' });
    expect(p.summary).toBe(`paused ${prefix}pause`);

    // A second pause (a rerun) does nothing: the state says it is done.
    const again = await pause.run({ type: 'pause' }, realContext(port, { targets: [await port.inspect(id)] }));
    expect(again.changed).toBe(false);

    const dry = await unpause.run(
      { type: 'unpause' },
      realContext(port, { targets: [await port.inspect(id)], dryRun: true }),
    );
    expect(dry.summary).toBe(`would unpause ${prefix}pause`);
    expect((await raw.getContainer(id).inspect()).State.Paused).toBe(true);

    await unpause.run({ type: 'unpause' }, realContext(port, { targets: [await port.inspect(id)] }));
    expect((await raw.getContainer(id).inspect()).State).toMatchObject({ Paused: false, Status: 'running' });
  });

  it('refuses a container without the opt-in label and leaves it running', async () => {
    const id = await createTestContainer(raw, { name: `${prefix}nopause` });
    await expect(
      pause.run({ type: 'pause' }, realContext(port, { targets: [await port.inspect(id)] })),
    ).rejects.toThrow(/not opted in/);
    expect((await raw.getContainer(id).inspect()).State.Paused).toBe(false);
  });

  it('the adapter treats pausing a paused container and unpausing a running one as done', async () => {
    const id = await createTestContainer(raw, { name: `${prefix}pause2`, labels: OPT_IN });
    await port.unpause(id);
    await port.pause(id);
    await port.pause(id);
    expect((await raw.getContainer(id).inspect()).State.Paused).toBe(true);
  });
});
