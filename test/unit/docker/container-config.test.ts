import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { cloneOptions, mergeEnv, toInfo } from '../../../src/docker/container-config.js';

const ID = 'abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789';

/** The shape of a real inspect of a Compose container on two networks (trimmed). */
function inspect(over: { Config?: object; HostConfig?: object; Mounts?: object[] } = {}): Docker.ContainerInspectInfo {
  return {
    Id: ID,
    Name: '/shop-api-1',
    Image: 'sha256:old',
    RestartCount: 2,
    State: {
      Status: 'running',
      Running: true,
      Paused: false,
      StartedAt: '2026-11-27T10:00:00Z',
      ExitCode: 0,
      OOMKilled: false,
      Health: { Status: 'healthy', Log: [{ Start: 's', ExitCode: 0, Output: 'x'.repeat(2000) }] },
    },
    Config: {
      Hostname: ID.slice(0, 12),
      Image: 'shop/api:1',
      Env: ['PATH=/bin', 'VERSION=1', 'DB=postgres://db'],
      Cmd: ['serve'],
      Labels: { 'com.docker.compose.service': 'api', 'org.image.version': '1' },
      Healthcheck: { Test: ['CMD', 'true'] },
      ...over.Config,
    },
    HostConfig: {
      NetworkMode: 'shop_default',
      NanoCpus: 5e8,
      Memory: 64 * 1024 ** 2,
      MemorySwap: 128 * 1024 ** 2,
      PidsLimit: null,
      RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
      PortBindings: { '80/tcp': [{ HostPort: '8080' }] },
      Binds: ['/srv/data:/data'],
      ...over.HostConfig,
    },
    Mounts: over.Mounts ?? [
      { Type: 'bind', Source: '/srv/data', Destination: '/data', RW: true },
      { Type: 'volume', Name: 'f00d', Source: '/var/lib/docker/volumes/f00d/_data', Destination: '/cache', RW: true },
    ],
    NetworkSettings: {
      Networks: {
        shop_default: { NetworkID: 'n1', EndpointID: 'e1', Aliases: ['api', 'shop-api-1', ID.slice(0, 12)] },
        shop_back: {
          NetworkID: 'n2',
          EndpointID: 'e2',
          Aliases: [ID.slice(0, 12)],
          IPAMConfig: { IPv4Address: '10.9.0.5' },
        },
      },
    },
  } as unknown as Docker.ContainerInspectInfo;
}

const OLD_IMAGE = {
  Env: ['PATH=/bin', 'VERSION=1'],
  Cmd: ['serve'],
  Labels: { 'org.image.version': '1' },
  Healthcheck: { Test: ['CMD', 'true'] },
};

describe('toInfo', () => {
  it('reads networks without Docker own short-id alias, limits, health log and image id', () => {
    const c = toInfo(inspect());
    expect(c).toMatchObject({
      name: 'shop-api-1',
      image: 'shop/api:1',
      imageId: 'sha256:old',
      paused: false,
      restartCount: 2,
    });
    expect(c.networks).toEqual([
      { name: 'shop_back', networkId: 'n2', endpointId: 'e2', aliases: [], ipv4Address: '10.9.0.5' },
      {
        name: 'shop_default',
        networkId: 'n1',
        endpointId: 'e1',
        aliases: ['api', 'shop-api-1'],
        ipv4Address: undefined,
      },
    ]);
    expect(c.limits).toMatchObject({
      nanoCpus: 5e8,
      memory: 64 * 1024 ** 2,
      pidsLimit: 0,
      restartPolicy: { name: 'unless-stopped' },
    });
    expect(c.healthLog[0]!.output).toHaveLength(512);
  });
});

describe('cloneOptions', () => {
  it('keeps the config, ports and mounts, drops the generated hostname, and connects the second network after create', () => {
    const { create, connectAfter } = cloneOptions(inspect(), { name: 'shop-api-1', labels: { x: '1' } }, undefined);
    expect(create).toMatchObject({
      name: 'shop-api-1',
      Image: 'shop/api:1',
      Cmd: ['serve'],
      Env: ['PATH=/bin', 'VERSION=1', 'DB=postgres://db'],
      Labels: { 'com.docker.compose.service': 'api', x: '1' },
      HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] }, RestartPolicy: { Name: 'unless-stopped' } },
      NetworkingConfig: { EndpointsConfig: { shop_default: { Aliases: ['api', 'shop-api-1'] } } },
    });
    expect(create).not.toHaveProperty('Hostname');
    // The anonymous volume is mounted again by name; the bind stays a bind.
    expect(create.HostConfig!.Mounts).toEqual([{ Type: 'volume', Source: 'f00d', Target: '/cache', ReadOnly: false }]);
    expect(connectAfter.map((n) => [n.name, n.ipv4Address])).toEqual([['shop_back', '10.9.0.5']]);
  });

  it('with another image, leaves out what the container only had from its old image', () => {
    const { create } = cloneOptions(
      inspect(),
      { name: 'a', image: 'shop/api:0', env: { DB: 'x', NEW: 'y' } },
      OLD_IMAGE,
    );
    expect(create.Image).toBe('shop/api:0');
    expect(create.Env).toEqual(['DB=x', 'NEW=y']);
    expect(create.Labels).toEqual({ 'com.docker.compose.service': 'api' });
    expect(create).not.toHaveProperty('Cmd');
    expect(create).not.toHaveProperty('Healthcheck');
  });

  it('a scale-out replica gets no host port bindings', () => {
    expect(
      cloneOptions(inspect(), { name: 'r', dropPortBindings: true }, undefined).create.HostConfig,
    ).not.toHaveProperty('PortBindings');
  });

  it('NetworkMode none or host: no endpoints and nothing to connect', () => {
    const none = inspect({ HostConfig: { NetworkMode: 'none' } });
    (none.NetworkSettings as { Networks: object }).Networks = { none: { NetworkID: 'x', EndpointID: 'y' } };
    const { create, connectAfter } = cloneOptions(none, { name: 'a' }, undefined);
    expect(create).not.toHaveProperty('NetworkingConfig');
    expect(connectAfter).toEqual([]);
  });
});

describe('mergeEnv', () => {
  it('replaces a variable in place and appends new ones', () => {
    expect(mergeEnv(['A=1', 'B=2', 'C'], { B: '3', D: '4' })).toEqual(['A=1', 'B=3', 'C', 'D=4']);
  });
});
