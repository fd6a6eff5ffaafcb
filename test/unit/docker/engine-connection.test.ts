import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerOptions, mapDockerError, sshFingerprint } from '../../../src/docker/engine-connection.js';
import {
  BadParamsError,
  EngineTlsError,
  EngineUnreachableError,
  TargetNotFoundError,
  TransientError,
} from '../../../src/errors.js';

let dir: string;
const files = () => ({ ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') });
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmd-engine-unit-'));
  for (const [k, f] of Object.entries(files())) await writeFile(f, `${k} bytes`);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('dockerOptions', () => {
  it('a hosts-file tcp:// engine with tls files: https with those files, 2376 by default', () => {
    const o = dockerOptions({ dockerHost: 'tcp://10.0.0.5', tls: files(), name: 'web-1' });
    expect(o).toMatchObject({ protocol: 'https', host: '10.0.0.5', port: 2376 });
    expect(String(o.ca)).toBe('ca bytes');
    expect(String(o.cert)).toBe('cert bytes');
    expect(String(o.key)).toBe('key bytes');
  });

  it('tls: false is plain HTTP even on 2376', () => {
    expect(dockerOptions({ dockerHost: 'tcp://proxy:2376', tls: false })).toMatchObject({
      protocol: 'http',
      port: 2376,
    });
  });

  it('DOCKER_CERT_PATH still reads ca.pem, cert.pem, key.pem from the folder', () => {
    const o = dockerOptions({ dockerHost: 'tcp://h:2376', certPath: dir, tlsVerify: true });
    expect(o.protocol).toBe('https');
    expect(String(o.cert)).toBe('cert bytes');
  });

  it('ssh:// with an identity file and a pinned host key', () => {
    const key = Buffer.from('the host key');
    const pinned = sshFingerprint(key);
    const o = dockerOptions({
      dockerHost: 'ssh://deploy@db-1:2222',
      ssh: { identityFile: files().key, hostKey: pinned },
    }) as { sshOptions: { privateKey: Buffer; agent?: string; hostVerifier: (k: Buffer) => boolean } };
    expect(o).toMatchObject({ protocol: 'ssh', host: 'db-1', port: 2222, username: 'deploy' });
    expect(String(o.sshOptions.privateKey)).toBe('key bytes');
    expect(o.sshOptions.agent).toBeUndefined();
    expect(o.sshOptions.hostVerifier(key)).toBe(true);
    expect(o.sshOptions.hostVerifier(Buffer.from('another key'))).toBe(false);
  });

  it('sshFingerprint is what ssh-keygen -lf prints: SHA256 and unpadded base64', () => {
    const key = Buffer.from('k');
    expect(sshFingerprint(key)).toBe(`SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`);
    expect(sshFingerprint(key)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

// The error shapes below are the ones Node and docker-modem produced against a real dockerd
// with --tlsverify (test/integration/docker-hosts.test.ts checks the real thing).
describe('mapDockerError with a host', () => {
  const where = { name: 'web-1', engine: 'tcp://127.0.0.1:2376' };
  const tlsAlert = Object.assign(new Error('...:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:...'), {
    code: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
    reason: 'sslv3 alert bad certificate',
  });

  it('a client certificate the engine refuses: EngineTlsError (transient) naming host and files', () => {
    const e = mapDockerError(tlsAlert, 'restart api', where);
    expect(e).toBeInstanceOf(EngineTlsError);
    expect(e).toBeInstanceOf(TransientError);
    expect(e.message).toBe(
      'restart api: host web-1 (tcp://127.0.0.1:2376) refused our client certificate (check tls.cert and tls.key of web-1): sslv3 alert bad certificate',
    );
    expect((e as EngineTlsError).host).toBe('web-1');
  });

  it('an engine certificate we do not trust: EngineTlsError pointing at tls.ca', () => {
    const err = Object.assign(new Error('unable to verify the first certificate'), {
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
    expect(mapDockerError(err, 'ping', where).message).toMatch(
      /presented a certificate we do not trust \(check tls\.ca of web-1\)/,
    );
  });

  it('plain HTTP to a TLS engine: EngineTlsError saying it speaks TLS', () => {
    const err = Object.assign(
      new Error('(HTTP code 400) unexpected - Client sent an HTTP request to an HTTPS server.'),
      {
        statusCode: 400,
      },
    );
    const e = mapDockerError(err, 'ping', where);
    expect(e).toBeInstanceOf(EngineTlsError);
    expect(e.message).toMatch(/speaks TLS: give web-1 a tls block/);
  });

  it.each(['ECONNREFUSED', 'ENOENT', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET'])(
    '%s: EngineUnreachableError naming the host',
    (code) => {
      const e = mapDockerError(Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code }), 'ping', where);
      expect(e).toBeInstanceOf(EngineUnreachableError);
      expect(e).not.toBeInstanceOf(EngineTlsError);
      expect(e.message).toBe(`ping: host web-1 (tcp://127.0.0.1:2376) unreachable: connect ${code} 127.0.0.1:1`);
    },
  );

  it('API answers keep their classes, now naming the host', () => {
    const e404 = mapDockerError({ statusCode: 404, json: { message: 'No such container: api' } }, 'inspect api', where);
    expect(e404).toBeInstanceOf(TargetNotFoundError);
    expect(e404.message).toBe('host web-1: inspect api: not found (No such container: api)');
    expect(mapDockerError({ statusCode: 400, json: { message: 'bad' } }, 'x', where)).toBeInstanceOf(BadParamsError);
    expect(mapDockerError({ statusCode: 500, json: { message: 'boom' } }, 'x', where)).toBeInstanceOf(TransientError);
  });

  it('without a host: the messages are as before', () => {
    expect(mapDockerError(tlsAlert, 'ping').message).toBe(`ping: ${tlsAlert.reason}`);
    expect(mapDockerError({ statusCode: 404, json: { message: 'gone' } }, 'inspect x').message).toBe(
      'inspect x: not found (gone)',
    );
  });
});
