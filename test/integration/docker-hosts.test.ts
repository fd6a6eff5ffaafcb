// The hosts file against real engines: the global dockerd (unix socket) and a private dockerd
// listening on TCP with --tlsverify, certificates made by openssl. A same-named container on
// each shows the factory reaches the right engine; a wrong client certificate, an untrusted
// engine certificate and a host that is down each give an error naming the host.
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureBusyboxImage, freePort, startDockerd, type TlsDockerdHandle } from '../../scripts/lib/daemons.js';
import { dockerFromHost } from '../../scripts/lib/busybox-image.js';
import { loadHostsFile, parseHostsFile, type HostsCatalog } from '../../src/catalog/hosts.js';
import { createDockerHosts, type DockerHosts } from '../../src/docker/hosts.js';
import { EngineTlsError, EngineUnreachableError, TransientError } from '../../src/errors.js';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';

let root: string;
let tlsd: TlsDockerdHandle;
let hostsFile: string;
let catalog: HostsCatalog;
let hosts: DockerHosts;
const prefix = uniquePrefix('hosts');
const localDocker = dockerFromHost(inject('dockerHost'));

beforeAll(async () => {
  root = await mkdtemp('/tmp/rmd-');
  tlsd = await startDockerd({ root, tls: true });
  await ensureBusyboxImage(tlsd.dockerHost);
  const c = tlsd.certs;
  // Relative paths: the hosts file sits beside the certificates.
  const rel = (p: string) => path.relative(c.dir, p);
  hostsFile = path.join(c.dir, 'hosts.yaml');
  const down = await freePort();
  await writeFile(
    hostsFile,
    [
      'hosts:',
      '  local:',
      `    engine: ${inject('dockerHost')}`,
      '    default: true',
      '  remote:',
      `    engine: ${tlsd.tcpHost}`,
      `    tls: { ca: ${rel(c.client.ca)}, cert: ${rel(c.client.cert)}, key: ${rel(c.client.key)} }`,
      '  down:',
      `    engine: tcp://127.0.0.1:${down}`,
      `    tls: { ca: ${rel(c.client.ca)}, cert: ${rel(c.client.cert)}, key: ${rel(c.client.key)} }`,
      '  no-socket:',
      `    engine: unix://${root}/nothing-here.sock`,
      '',
    ].join('\n'),
  );
  catalog = await loadHostsFile(hostsFile);
  hosts = await createDockerHosts(catalog, { requestTimeoutMs: 10_000 });
  for (const [docker, role] of [
    [localDocker, 'local'],
    [dockerFromHost(tlsd.dockerHost), 'remote'],
  ] as const) {
    await createTestContainer(docker, { name: `${prefix}api`, labels: { 'test.role': role } });
  }
});
afterAll(async () => {
  await removeContainers(localDocker, prefix);
  await tlsd?.stop();
  await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

/**
 * One more host on the TLS engine with other files. Its own file: the loader refuses one
 * engine under two names (per-host locks would not cover it), which is what these are.
 */
async function oneHost(name: string, files: { ca: string; cert: string; key: string }): Promise<DockerHosts> {
  const text = `hosts:\n  ${name}:\n    engine: ${tlsd.tcpHost}\n    default: true\n    tls: { ca: ${files.ca}, cert: ${files.cert}, key: ${files.key} }\n`;
  const { catalog: one, problems } = await parseHostsFile(path.join(tlsd.certs.dir, `${name}.yaml`), text);
  expect(problems).toEqual([]);
  return createDockerHosts(one!, { requestTimeoutMs: 10_000 });
}

describe('hosts file on real engines', () => {
  it('loads with real certificates: each host its engine, local the default', () => {
    expect(catalog.warnings).toEqual([]);
    expect(hosts.names).toEqual(['local', 'remote', 'down', 'no-socket']);
    expect(hosts.defaultHost).toBe('local');
    expect(catalog.hosts.get('remote')!.connection.tls).toEqual({
      ca: tlsd.certs.client.ca,
      cert: tlsd.certs.client.cert,
      key: tlsd.certs.client.key,
    });
  });

  it('the same container name on two engines: each host reaches its own', async () => {
    const [onLocal] = await hosts.get('local').findContainers({ name: `${prefix}api` });
    const [onRemote] = await hosts.get('remote').findContainers({ name: `${prefix}api` });
    expect(onLocal!.labels['test.role']).toBe('local');
    expect(onRemote!.labels['test.role']).toBe('remote');
    expect(onLocal!.id).not.toBe(onRemote!.id);
    // And acting goes to that engine only: restart the remote one, the local one keeps its start.
    await hosts.get('remote').restart(onRemote!.id, 5);
    expect((await hosts.get('remote').inspect(onRemote!.id)).startedAt).not.toBe(onRemote!.startedAt);
    expect((await hosts.get('local').inspect(onLocal!.id)).startedAt).toBe(onLocal!.startedAt);
  });

  it('the right client certificate reaches the TLS engine', async () => {
    await expect(hosts.ping('remote')).resolves.toBeUndefined();
  });

  it('a client certificate of another CA is refused: a transient EngineTlsError naming the host', async () => {
    // The wrong client keeps the right CA (we trust the engine); its certificate is another CA's.
    const wrong = await oneHost('wrong-cert', tlsd.certs.wrongClient);
    const err = await wrong
      .get('wrong-cert')
      .findContainers({ name: `${prefix}api` })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineTlsError);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as EngineTlsError).host).toBe('wrong-cert');
    expect((err as Error).message).toMatch(
      /^list containers: host wrong-cert \(tcp:\/\/127\.0\.0\.1:\d+\) refused our client certificate \(check tls\.cert and tls\.key of wrong-cert\)/,
    );
  });

  it('an engine certificate we do not trust is refused, pointing at tls.ca', async () => {
    const c = tlsd.certs.client;
    const untrusted = await oneHost('untrusted', { ...c, ca: path.join(tlsd.certs.dir, 'other-ca', 'ca.pem') });
    const err = await untrusted.ping('untrusted').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineTlsError);
    expect((err as Error).message).toMatch(
      /host untrusted .* presented a certificate we do not trust \(check tls\.ca of untrusted\)/,
    );
  });

  it('a host that is down: EngineUnreachableError naming it (TCP refused, unix socket missing)', async () => {
    for (const host of ['down', 'no-socket']) {
      const err = await hosts.ping(host).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EngineUnreachableError);
      expect(err).not.toBeInstanceOf(EngineTlsError);
      expect((err as EngineUnreachableError).host).toBe(host);
      expect((err as Error).message).toMatch(
        new RegExp(`^ping Docker: host ${host} \\(.*\\) unreachable: .*(ECONNREFUSED|ENOENT)`),
      );
    }
  });

  it('pingAll: up or down per host, for readiness', async () => {
    const health = await hosts.pingAll(5_000);
    expect(Object.fromEntries(health.map((h) => [h.host, h.up]))).toEqual({
      local: true,
      remote: true,
      down: false,
      'no-socket': false,
    });
  });

  it('the loader checks the files themselves: a key of another certificate, an expired one', async () => {
    const c = tlsd.certs;
    const mixed = path.join(c.dir, 'mixed-key.pem');
    await copyFile(c.wrongClient.key, mixed);
    const text = `hosts:\n  remote:\n    engine: ${tlsd.tcpHost}\n    default: true\n    tls: { ca: ${c.client.ca}, cert: ${c.client.cert}, key: ${mixed} }\n`;
    const { problems } = await parseHostsFile(hostsFile, text);
    expect(problems).toEqual([
      { file: hostsFile, path: '/hosts/remote/tls/key', reason: `${mixed} is not the key of tls.cert (line 5)` },
    ]);
    // The test certificates last two days: three days from now both have expired.
    const later = await parseHostsFile(hostsFile, await readFile(hostsFile, 'utf8'), Date.now() + 3 * 86_400_000);
    expect(later.catalog).toBeDefined();
    expect(later.problems.filter((p) => p.path === '/hosts/remote/tls/cert')).toEqual([
      expect.objectContaining({
        severity: 'warning',
        reason: expect.stringMatching(/expired on .*: the engine will refuse it/),
      }),
    ]);
  });
});
