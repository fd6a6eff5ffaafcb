// network reconnect / connect / disconnect against the real engine, asserted from
// NetworkSettings.Networks. The engine runs with --bridge=none --iptables=false: user-defined
// bridge networks still work there (plain and `internal: true` alike, checked by hand on
// dockerd 20.10); the tests use internal ones so nothing routes off the host, and they only read
// attachments from Docker's state: no traffic is sent to the private addresses they get.
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { network } from '../../src/actions/network.js';
import { MapMemo, realContext, realDocker } from '../support/actions.js';
import { TEST_IMAGE, removeContainers, uniquePrefix } from '../support/docker.js';

const { port, raw } = realDocker(inject('dockerHost'));
const prefix = uniquePrefix('act-net');
const netA = `${prefix}a`;
const netB = `${prefix}b`;
const netC = `${prefix}c`;
const OPT_IN = { 'remediator.enable': 'true' };

async function onNetworks(name: string, nets: Record<string, string[]>, labels: Record<string, string> = OPT_IN) {
  const [first, ...rest] = Object.keys(nets);
  const c = await raw.createContainer({
    name,
    Image: TEST_IMAGE,
    Cmd: ['sleep', '3600'],
    Labels: labels,
    HostConfig: { Init: true, NetworkMode: first },
    NetworkingConfig: { EndpointsConfig: { [first!]: { Aliases: nets[first!] } } },
  });
  for (const n of rest) await raw.getNetwork(n).connect({ Container: c.id, EndpointConfig: { Aliases: nets[n] } });
  await c.start();
  return c.id;
}

/** network -> [aliases without Docker's short-id alias, endpoint id], from Docker's own state. */
async function attachments(id: string): Promise<Record<string, [string[], string | undefined]>> {
  const nets = (await raw.getContainer(id).inspect()).NetworkSettings.Networks as Record<
    string,
    Docker.EndpointSettings
  >;
  return Object.fromEntries(
    Object.entries(nets).map(([n, ep]) => [
      n,
      [(ep.Aliases ?? []).filter((a) => a !== id.slice(0, 12)), ep.EndpointID],
    ]),
  );
}
const names = async (id: string) => Object.keys(await attachments(id)).sort();

beforeAll(async () => {
  await removeContainers(raw, prefix);
  for (const n of [netA, netB, netC]) await raw.createNetwork({ Name: n, Driver: 'bridge', Internal: true });
});
afterAll(async () => {
  await removeContainers(raw, prefix);
  for (const n of [netA, netB, netC])
    await raw
      .getNetwork(n)
      .remove()
      .catch(() => undefined);
});

describe('network action on the real engine', () => {
  it('reconnect gives each network a fresh endpoint with the same aliases', async () => {
    const id = await onNetworks(`${prefix}re`, { [netA]: ['svc-a'], [netB]: ['svc-b'] });
    const before = await attachments(id);
    const r = await network.run(
      { type: 'network', mode: 'reconnect' },
      realContext(port, { targets: [await port.inspect(id)] }),
    );
    const after = await attachments(id);

    expect(Object.keys(after).sort()).toEqual([netA, netB]);
    expect(after[netA]![0]).toEqual(['svc-a']);
    expect(after[netB]![0]).toEqual(['svc-b']);
    expect(after[netA]![1]).not.toBe(before[netA]![1]);
    expect(after[netB]![1]).not.toBe(before[netB]![1]);
    expect(r.summary).toBe(`reconnected ${prefix}re to ${netA}, ${netB} (from its current networks)`);
    expect(r.before).toEqual({ [`${prefix}re`]: [netA, netB] });
  });

  it('disconnect records what it had; reconnect puts a container that lost every network back, aliases and all', async () => {
    const id = await onNetworks(`${prefix}lost`, { [netA]: ['db'], [netB]: ['db-b'] });
    const hostState = new MapMemo();
    await network.run(
      { type: 'network', mode: 'disconnect', networks: [netB] },
      realContext(port, { targets: [await port.inspect(id)], hostState }),
    );
    expect(await names(id)).toEqual([netA]);
    // Then it loses the other one too (the fault network_failure stands for).
    await raw.getNetwork(netA).disconnect({ Container: id });
    expect(await names(id)).toEqual([]);

    const r = await network.run(
      { type: 'network', mode: 'reconnect' },
      realContext(port, { targets: [await port.inspect(id)], hostState }),
    );
    const after = await attachments(id);
    expect(after[netA]![0]).toEqual(['db']);
    expect(after[netB]![0]).toEqual(['db-b']);
    expect(r.summary).toMatch(/\(from the recorded state\)$/);
  });

  it("without a record, reconnect takes a Compose container's networks from its sibling replica", async () => {
    const compose = { ...OPT_IN, 'com.docker.compose.project': prefix, 'com.docker.compose.service': 'worker' };
    await onNetworks(`${prefix}worker-1`, { [netC]: ['worker'] }, compose);
    const lost = await onNetworks(`${prefix}worker-2`, { [netC]: ['worker'] }, compose);
    await raw.getNetwork(netC).disconnect({ Container: lost });
    await network.run(
      { type: 'network', mode: 'reconnect' },
      realContext(port, { targets: [await port.inspect(lost)] }),
    );
    expect((await attachments(lost))[netC]![0].sort()).toEqual([`${prefix}worker-2`, 'worker']);
  });

  it('connect adds a network with aliases; in dry run nothing changes', async () => {
    const id = await onNetworks(`${prefix}conn`, { [netA]: [] });
    const dry = await network.run(
      { type: 'network', mode: 'connect', networks: [netB], aliases: ['extra'] },
      realContext(port, { targets: [await port.inspect(id)], dryRun: true }),
    );
    expect(await names(id)).toEqual([netA]);
    expect(dry.summary).toBe(`would connect ${prefix}conn to ${netB}`);

    const r = await network.run(
      { type: 'network', mode: 'connect', networks: [netB], aliases: ['extra'] },
      realContext(port, { targets: [await port.inspect(id)] }),
    );
    expect((await attachments(id))[netB]![0]).toEqual(['extra']);
    expect(r.after).toEqual({ [`${prefix}conn`]: [netA, netB] });
    // The adapter takes Docker's "already connected" (403) and "not connected" (500) as done.
    await port.connectNetwork(id, netB, { aliases: [] });
    await port.disconnectNetwork(id, netC, false);
    expect(await names(id)).toEqual([netA, netB]);
  });

  it('refuses a container without the opt-in label and leaves its networks alone', async () => {
    const id = await onNetworks(`${prefix}other`, { [netA]: [] }, {});
    await expect(
      network.run(
        { type: 'network', mode: 'disconnect', networks: [netA] },
        realContext(port, { targets: [await port.inspect(id)] }),
      ),
    ).rejects.toThrow(/not opted in/);
    expect(await names(id)).toEqual([netA]);
  });
});
