import { describe, expect, it } from 'vitest';
import type { HostsCatalog } from '../../../src/catalog/hosts.js';
import type { DockerConnection } from '../../../src/docker/engine-connection.js';
import { createDockerHosts } from '../../../src/docker/hosts.js';
import type { DockerPort } from '../../../src/docker/port.js';
import { EngineUnreachableError, PermanentError, UnknownHostError } from '../../../src/errors.js';

const catalog: HostsCatalog = {
  file: 'hosts.yaml',
  defaultHost: 'a',
  warnings: [],
  hosts: new Map(
    ['a', 'b', 'slow'].map((name) => [
      name,
      { name, engine: `unix:///${name}.sock`, connection: { dockerHost: `unix:///${name}.sock`, name } },
    ]),
  ),
};

/** A port whose ping behaves per host; counts how many ports were made. */
function fakes() {
  const made: DockerConnection[] = [];
  const create = (conn: DockerConnection): DockerPort => {
    made.push(conn);
    const ping =
      conn.name === 'b'
        ? () =>
            Promise.reject(new EngineUnreachableError('b', 'ping Docker: host b (unix:///b.sock) unreachable: ENOENT'))
        : conn.name === 'slow'
          ? () => new Promise<void>(() => undefined)
          : () => Promise.resolve();
    return { ping } as unknown as DockerPort;
  };
  return { made, create };
}

describe('createDockerHosts', () => {
  it('makes a host’s port on first use only, and keeps it', async () => {
    const f = fakes();
    const hosts = await createDockerHosts(catalog, { create: f.create, requestTimeoutMs: 5000 });
    expect(hosts.names).toEqual(['a', 'b', 'slow']);
    expect(hosts.defaultHost).toBe('a');
    expect(f.made).toEqual([]);
    const a = hosts.get('a');
    expect(hosts.get('a')).toBe(a);
    expect(f.made).toEqual([{ dockerHost: 'unix:///a.sock', name: 'a', timeoutMs: 5000 }]);
    hosts.get('b');
    expect(f.made.map((c) => c.name)).toEqual(['a', 'b']);
  });

  it('an unlisted host is a permanent UnknownHostError listing the known ones', async () => {
    const hosts = await createDockerHosts(catalog, fakes());
    expect(hosts.has('c')).toBe(false);
    const err = (() => {
      try {
        hosts.get('c');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnknownHostError);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toBe('host "c" is not in the hosts file (known: a, b, slow)');
  });

  it('ping: up, down (the adapter’s error), and no answer in time (bounded, naming the host)', async () => {
    const hosts = await createDockerHosts(catalog, fakes());
    await expect(hosts.ping('a')).resolves.toBeUndefined();
    await expect(hosts.ping('b')).rejects.toThrow(/host b \(unix:\/\/\/b\.sock\) unreachable/);
    const slow = await hosts.ping('slow', 50).catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(EngineUnreachableError);
    expect((slow as EngineUnreachableError).host).toBe('slow');
    expect((slow as Error).message).toBe('ping: host slow (unix:///slow.sock): no answer within 50 ms');
  });

  it('pingAll reports every host and never rejects', async () => {
    const hosts = await createDockerHosts(catalog, fakes());
    expect(await hosts.pingAll(50)).toEqual([
      { host: 'a', engine: 'unix:///a.sock', up: true },
      { host: 'b', engine: 'unix:///b.sock', up: false, error: expect.stringMatching(/unreachable/) },
      { host: 'slow', engine: 'unix:///slow.sock', up: false, error: expect.stringMatching(/no answer within 50 ms/) },
    ]);
  });
});
