import { describe, expect, it } from 'vitest';
import { network } from '../../../src/actions/network.js';
import { networksKey, recordNetworks } from '../../../src/actions/network-state.js';
import type { NetworkAttachment } from '../../../src/docker/port.js';
import { RefusedError } from '../../../src/errors.js';
import { CrashError, FakeDocker, MemoryMemo, actionContext, container } from './fake-docker.js';

const att = (name: string, aliases: string[] = [], endpointId = `ep0-${name}`): NetworkAttachment => ({
  name,
  networkId: `net-${name}`,
  endpointId,
  aliases,
});

describe('network action: reconnect', () => {
  it('disconnects and connects each network it is on, with its aliases', async () => {
    const api = container('api', { networks: [att('backend', ['api', 'db-client']), att('front', ['www'])] });
    const docker = new FakeDocker([api]);
    const r = await network.run({ type: 'network', mode: 'reconnect' }, actionContext(docker, { targets: [api] }));

    expect(docker.mutatingCalls()).toEqual([
      { method: 'disconnectNetwork', args: ['id-api', 'backend', false] },
      {
        method: 'connectNetwork',
        args: ['id-api', 'backend', { aliases: ['api', 'db-client'], ipv4Address: undefined }],
      },
      { method: 'disconnectNetwork', args: ['id-api', 'front', false] },
      { method: 'connectNetwork', args: ['id-api', 'front', { aliases: ['www'], ipv4Address: undefined }] },
    ]);
    expect(r).toMatchObject({
      changed: true,
      summary: 'reconnected api to backend, front (from its current networks)',
      before: { api: ['backend', 'front'] },
      after: { api: ['backend', 'front'] },
    });
  });

  it('connects a container that lost its networks to those recorded for it', async () => {
    const hostState = new MemoryMemo();
    await recordNetworks(hostState, { name: 'api', networks: [att('backend', ['api'])] });
    const api = container('api');
    const docker = new FakeDocker([api]);
    const r = await network.run(
      { type: 'network', mode: 'reconnect' },
      actionContext(docker, { targets: [api], hostState }),
    );
    expect(docker.mutatingCalls()).toEqual([
      { method: 'connectNetwork', args: ['id-api', 'backend', { aliases: ['api'], ipv4Address: undefined }] },
    ]);
    expect(r.summary).toBe('reconnected api to backend (from the recorded state)');
  });

  it('without a record, takes the networks of its Compose sibling replicas, aliased by service and name', async () => {
    const compose = { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'worker' };
    const lost = container('shop-worker-1', { labels: compose });
    const sibling = container('shop-worker-2', { labels: compose, networks: [att('shop_default', ['worker'])] });
    const docker = new FakeDocker([lost, sibling]);
    await network.run({ type: 'network', mode: 'reconnect' }, actionContext(docker, { targets: [lost] }));
    expect(docker.callsTo('connectNetwork')).toEqual([
      ['id-shop-worker-1', 'shop_default', { aliases: ['worker', 'shop-worker-1'], ipv4Address: undefined }],
    ]);
  });

  it("without siblings, takes the Compose project's default network", async () => {
    const lost = container('shop-worker-1', {
      labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'worker' },
    });
    const docker = new FakeDocker([lost]);
    docker.networks.push(
      {
        id: 'n1',
        name: 'shop_default',
        labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.network': 'default' },
      },
      {
        id: 'n2',
        name: 'shop_private',
        labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.network': 'private' },
      },
    );
    await network.run({ type: 'network', mode: 'reconnect' }, actionContext(docker, { targets: [lost] }));
    expect(docker.callsTo('connectNetwork').map((c) => c[1])).toEqual(['shop_default']);
  });

  it('refuses when nothing says which networks it had', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    const run = network.run({ type: 'network', mode: 'reconnect' }, actionContext(docker, { targets: [api] }));
    await expect(run).rejects.toBeInstanceOf(RefusedError);
    await expect(run).rejects.toThrow(/on no user network, none is recorded and Compose names none/);
  });

  it('records the networks before touching them, for a later reconnect', async () => {
    const api = container('api', { networks: [att('backend', ['api'])] });
    const docker = new FakeDocker([api]);
    const ctx = actionContext(docker, { targets: [api] });
    await network.run({ type: 'network', mode: 'reconnect' }, ctx);
    expect(JSON.parse(ctx.hostState.entries.get(networksKey('api'))!)).toEqual([
      { name: 'backend', networkId: 'net-backend', aliases: ['api'] },
    ]);
  });

  it('a rerun after a crash at any mutating call reconnects each network exactly once', async () => {
    for (let k = 1; k <= 4; k++) {
      const api = container('api', { networks: [att('a', ['x']), att('b', ['y'])] });
      const docker = new FakeDocker([api]);
      const memo = new MemoryMemo();
      const hostState = new MemoryMemo();
      docker.crashAfterMutations = k;
      await expect(
        network.run({ type: 'network', mode: 'reconnect' }, actionContext(docker, { targets: [api], memo, hostState })),
      ).rejects.toBeInstanceOf(CrashError);
      docker.revive();
      await network.run(
        { type: 'network', mode: 'reconnect' },
        actionContext(docker, { targets: await docker.findContainers({ name: 'api' }), memo, hostState }),
      );
      expect({ k, calls: docker.mutatingCalls().map((c) => `${c.method} ${c.args[1]}`) }).toEqual({
        k,
        calls: ['disconnectNetwork a', 'connectNetwork a', 'disconnectNetwork b', 'connectNetwork b'],
      });
      expect(docker.containers.get('id-api')!.networks.map((n) => [n.name, n.aliases])).toEqual([
        ['a', ['x']],
        ['b', ['y']],
      ]);
    }
  });
});

describe('network action: connect and disconnect', () => {
  it('connects only to the networks it is not on yet, with the aliases given', async () => {
    const api = container('api', { networks: [att('a')] });
    const docker = new FakeDocker([api]);
    const r = await network.run(
      { type: 'network', mode: 'connect', networks: ['a', 'b'], aliases: ['api'] },
      actionContext(docker, { targets: [api] }),
    );
    expect(docker.mutatingCalls()).toEqual([{ method: 'connectNetwork', args: ['id-api', 'b', { aliases: ['api'] }] }]);
    expect(r).toMatchObject({ summary: 'connected api to b', before: { api: ['a'] }, after: { api: ['a', 'b'] } });
  });

  it('disconnects only from networks it is on, and reports a no-op when it is on none of them', async () => {
    const api = container('api', { networks: [att('a'), att('b')] });
    const docker = new FakeDocker([api]);
    const ctx = actionContext(docker, { targets: [api] });
    const r = await network.run({ type: 'network', mode: 'disconnect', networks: ['b', 'c'], force: true }, ctx);
    expect(docker.mutatingCalls()).toEqual([{ method: 'disconnectNetwork', args: ['id-api', 'b', true] }]);
    expect(r.after).toEqual({ api: ['a'] });
    // What it was on is remembered for a reconnect.
    expect(JSON.parse(ctx.hostState.entries.get(networksKey('api'))!).map((n: { name: string }) => n.name)).toEqual([
      'a',
      'b',
    ]);

    const again = await network.run(
      { type: 'network', mode: 'disconnect', networks: ['b'] },
      actionContext(docker, { targets: await docker.findContainers({ name: 'api' }) }),
    );
    expect(again).toMatchObject({ changed: false, summary: 'api already disconnected from b' });
  });

  it('in dry run makes no mutating call and says what it would do, for each mode', async () => {
    const api = container('api', { networks: [att('a', ['api'])] });
    for (const [params, text] of [
      [{ type: 'network', mode: 'reconnect' }, 'would reconnect api to a (from its current networks)'],
      [{ type: 'network', mode: 'connect', networks: ['b'] }, 'would connect api to b'],
      [{ type: 'network', mode: 'disconnect', networks: ['a'] }, 'would disconnect api from a'],
    ] as const) {
      const docker = new FakeDocker([api]);
      const ctx = actionContext(docker, { targets: [api], dryRun: true });
      const r = await network.run(params as never, ctx);
      expect(docker.mutatingCalls()).toEqual([]);
      expect(ctx.memo.entries.size + ctx.hostState.entries.size).toBe(0);
      expect(r.summary).toBe(text);
    }
  });

  it('describes each mode and checks its parameters', () => {
    expect(network.describe({ type: 'network', mode: 'reconnect' }, 'api')).toBe(
      'reconnect api to the networks it had (disconnect, then connect with its aliases)',
    );
    expect(network.describe({ type: 'network', mode: 'connect', networks: ['b'], aliases: ['x'] }, 'api')).toBe(
      'connect api to b (aliases x)',
    );
    expect(network.check!({ type: 'network', mode: 'connect' })).toEqual([
      { path: '/networks', reason: 'mode connect needs the networks to connect' },
    ]);
    expect(network.check!({ type: 'network', mode: 'reconnect', aliases: ['x'] })[0]!.path).toBe('/aliases');
    expect(network.check!({ type: 'network', mode: 'disconnect', networks: ['host'] })[0]!.path).toBe('/networks/0');
    expect(network.disruptive instanceof Function && network.disruptive({ type: 'network', mode: 'connect' })).toBe(
      false,
    );
  });
});
