// Proves startDockerd({ tls: true }): certificates made by openssl, an engine on
// tcp://127.0.0.1:P that lets in only a client certificate signed by its CA, a container run
// through TLS, and a stop that leaves no process and no mount behind.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBusyboxImage, startDockerd, type CertDir, type TlsDockerdHandle } from '../../scripts/lib/daemons.js';
import { runCommand } from '../../scripts/lib/procs.js';
import { createTestContainer } from '../support/docker.js';
import { mountsUnder, pidAlive, portOpen, processesMentioning } from '../support/leftovers.js';

let root: string;
let dockerd: TlsDockerdHandle;

beforeAll(async () => {
  root = await mkdtemp('/tmp/rmd-');
  dockerd = await startDockerd({ root, tls: true });
});
afterAll(async () => {
  await dockerd?.stop();
  await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

const overTls = (c: Partial<CertDir>) =>
  new Docker({
    protocol: 'https',
    host: '127.0.0.1',
    port: dockerd.tcpPort,
    timeout: 10_000,
    ...(c.ca && { ca: readFileSync(c.ca) }),
    ...(c.cert && { cert: readFileSync(c.cert) }),
    ...(c.key && { key: readFileSync(c.key) }),
  });

describe('startDockerd({ tls: true })', () => {
  it('makes a CA, a server certificate for IP:127.0.0.1 and two client certificates', async () => {
    const { certs } = dockerd;
    const text = await runCommand('openssl', ['x509', '-in', certs.server.cert, '-noout', '-text']);
    expect(text.out).toContain('IP Address:127.0.0.1');
    expect(text.out).toContain('CA:FALSE');
    const good = await runCommand('openssl', ['verify', '-CAfile', certs.caCert, certs.client.cert]);
    expect(good.code).toBe(0);
    const wrong = await runCommand('openssl', ['verify', '-CAfile', certs.caCert, certs.wrongClient.cert]);
    expect(wrong.code).not.toBe(0);
    expect(dockerd.tcpHost).toBe(`tcp://127.0.0.1:${dockerd.tcpPort}`);
  });

  it('answers over TLS with the right client certificate and runs a container there', async () => {
    const docker = overTls(dockerd.certs.client);
    expect(String(await docker.ping())).toBe('OK');
    await ensureBusyboxImage(dockerd.dockerHost);
    const id = await createTestContainer(docker, { name: 'tls-probe' });
    expect((await docker.getContainer(id).inspect()).State.Running).toBe(true);
    await docker.getContainer(id).remove({ force: true });
  });

  it('refuses a client certificate from another CA, and a client without one', async () => {
    await expect(overTls(dockerd.certs.wrongClient).ping()).rejects.toMatchObject({
      code: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
    });
    await expect(overTls({ ca: dockerd.certs.client.ca }).ping()).rejects.toMatchObject({
      code: expect.stringMatching(/^ERR_SSL_/),
    });
  });

  it('stop() leaves no dockerd or containerd process, no mount and no open port', async () => {
    const root2 = await mkdtemp('/tmp/rmd-');
    try {
      const d = await startDockerd({ root: root2, tls: true });
      expect(pidAlive(d.pid)).toBe(true);
      expect(await portOpen(d.tcpPort)).toBe(true);
      await d.stop();
      expect(pidAlive(d.pid)).toBe(false);
      expect(processesMentioning(root2)).toEqual([]);
      expect(mountsUnder(root2)).toEqual([]);
      expect(await portOpen(d.tcpPort)).toBe(false);
    } finally {
      await rm(root2, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    }
  });
});
