import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostsFromEnv, loadHosts, loadHostsFile, parseHostsFile } from '../../../src/catalog/hosts.js';
import { CatalogError, type CatalogProblem } from '../../../src/errors.js';

let dir: string;
let FILE: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmd-hosts-unit-'));
  FILE = join(dir, 'hosts.yaml');
  await writeFile(join(dir, 'garbage.pem'), 'not a certificate\n');
  await writeFile(join(dir, 'id_ed25519'), 'a key file\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const parse = (text: string) => parseHostsFile(FILE, text);

/** Exactly one error, at `path`, whose reason matches (line numbers included). */
async function expectProblem(text: string, path: string, reason: RegExp): Promise<CatalogProblem> {
  const { catalog, problems } = await parse(text);
  expect(catalog).toBeUndefined();
  const errors = problems.filter((p) => p.severity !== 'warning');
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatchObject({ file: FILE, path, reason: expect.stringMatching(reason) });
  return errors[0]!;
}

describe('parseHostsFile: valid files', () => {
  it('maps names to engines; the marked host is the default; ssh paths are relative to the file', async () => {
    const { catalog, problems } = await parse(
      [
        'hosts:',
        '  edge:',
        '    engine: unix:///var/run/docker.sock',
        '  web-1:',
        '    engine: tcp://docker-proxy:2375',
        '    tls: false',
        '    default: true',
        '  db-1:',
        '    engine: ssh://deploy@db-1.example.com:2222',
        '    ssh: { identityFile: id_ed25519, hostKey: "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8" }',
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(catalog!.defaultHost).toBe('web-1');
    expect([...catalog!.hosts.keys()]).toEqual(['edge', 'web-1', 'db-1']);
    expect(catalog!.hosts.get('edge')!.connection).toEqual({
      dockerHost: 'unix:///var/run/docker.sock',
      name: 'edge',
      tls: undefined,
      ssh: undefined,
    });
    expect(catalog!.hosts.get('web-1')!.connection).toMatchObject({
      dockerHost: 'tcp://docker-proxy:2375',
      tls: false,
    });
    expect(catalog!.hosts.get('db-1')!.connection.ssh).toEqual({
      identityFile: join(dir, 'id_ed25519'),
      hostKey: 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8',
    });
  });

  it('without "default: true" the host named local is the default', async () => {
    const { catalog } = await parse(
      'hosts:\n  a: { engine: "unix:///a.sock" }\n  local: { engine: "unix:///b.sock" }\n',
    );
    expect(catalog!.defaultHost).toBe('local');
  });

  it('no default and no local: valid, with a warning that remediations must name their host', async () => {
    const { catalog, problems } = await parse('hosts:\n  a: { engine: "unix:///a.sock" }\n');
    expect(catalog!.defaultHost).toBeUndefined();
    expect(problems).toEqual([
      expect.objectContaining({ path: '/hosts', severity: 'warning', reason: expect.stringMatching(/target\.host/) }),
    ]);
    expect(catalog!.warnings).toEqual(problems);
  });

  it('an ssh engine without a pinned host key is a warning, not an error', async () => {
    const { catalog, problems } = await parse('hosts:\n  local: { engine: "ssh://u@h" }\n');
    expect(catalog).toBeDefined();
    expect(problems).toEqual([
      expect.objectContaining({ path: '/hosts/local', severity: 'warning', reason: expect.stringMatching(/hostKey/) }),
    ]);
  });
});

describe('parseHostsFile: each problem names the path and the line', () => {
  it.each([
    [
      'hosts:\n  local:\n    engine: unix:///s\n    colour: red\n',
      '/hosts/local/colour',
      /unknown key "colour" \(line 4\)/,
    ],
    ['hosts:\n  global: { engine: "unix:///s" }\n', '/hosts/global', /"global" is reserved.*\(line 2\)/],
    ['hosts:\n  "web 1": { engine: "unix:///s" }\n', '/hosts/web 1', /host name is/],
    ['hosts:\n  local: { engine: "unix://var/run/docker.sock" }\n', '/hosts/local/engine', /absolute socket path/],
    ['hosts:\n  local: { engine: "http://h:2375" }\n', '/hosts/local/engine', /unknown scheme "http:"/],
    ['hosts:\n  local: { engine: "docker.sock" }\n', '/hosts/local/engine', /not a URL/],
    ['hosts:\n  local: { engine: "tcp://h:2375/v1.41", tls: false }\n', '/hosts/local/engine', /no path or query/],
    ['hosts:\n  local: { engine: "tcp://h:2376" }\n', '/hosts/local', /needs tls: \{ ca, cert, key \} \(or tls: false/],
    ['hosts:\n  local: { engine: "unix:///s", tls: false }\n', '/hosts/local/tls', /tcp:\/\/ engines only/],
    ['hosts:\n  local: { engine: "unix:///s", ssh: {} }\n', '/hosts/local/ssh', /ssh:\/\/ engines only/],
    ['hosts:\n  local: { engine: "ssh://h" }\n', '/hosts/local/engine', /needs a user/],
    ['hosts:\n  local: { engine: "ssh://u:pw@h" }\n', '/hosts/local/engine', /no password/],
    [
      'hosts:\n  local: { engine: "tcp://h:1", tls: { ca: a } }\n',
      '/hosts/local/tls',
      /expected \{ ca, cert, key \} or false/,
    ],
    [
      'hosts:\n  local: { engine: "tcp://h:1", tls: true }\n',
      '/hosts/local/tls',
      /expected \{ ca, cert, key \} or false/,
    ],
    [
      'hosts:\n  local: { engine: "ssh://u@h", ssh: { hostKey: "MD5:aa" } }\n',
      '/hosts/local/ssh/hostKey',
      /expected "SHA256:<43 base64 characters>"/,
    ],
    [
      'hosts:\n  local: { engine: "ssh://u@h", ssh: { identityFile: nope } }\n',
      '/hosts/local/ssh/identityFile',
      /cannot read .*nope \(ENOENT\)/,
    ],
    ['hosts: {}\n', '/hosts', /no hosts/],
    ['hosts:\n  local: { engine: "unix:///s", default: yes }\n', '/hosts/local/default', /boolean/],
    ['hosts: [a, b]\n', '/hosts', /object/],
    ['- a\n', '/', /expected a mapping with "hosts"/],
  ])('%j', async (text, path, reason) => {
    await expectProblem(text, path, reason);
  });

  it('YAML syntax and duplicate keys are reported with their line', async () => {
    await expectProblem('hosts:\n  local: { engine: "unix:///s"\n', '/', /^YAML: .*\(line \d\)/);
    await expectProblem(
      'hosts:\n  local: { engine: "unix:///a" }\n  local: { engine: "unix:///b" }\n',
      '/',
      /YAML: .*(unique|duplicate).*\(line 3\)/i,
    );
  });

  it('a file without "hosts": both the missing and the unknown key', async () => {
    const { problems } = await parse('engines: {}\n');
    expect(problems).toEqual([
      { file: FILE, path: '/hosts', reason: 'missing "hosts"' },
      { file: FILE, path: '/engines', reason: 'unknown key "engines" (line 1)' },
    ]);
  });

  it('two defaults: the second is refused, naming the first', async () => {
    await expectProblem(
      'hosts:\n  a: { engine: "unix:///a", default: true }\n  b: { engine: "unix:///b", default: true }\n',
      '/hosts/b/default',
      /only one host may be the default \(a is already\) \(line 3\)/,
    );
  });

  it('one engine under two names is refused: per-host locks would not cover it', async () => {
    await expectProblem(
      'hosts:\n  a: { engine: "tcp://H:2375", tls: false }\n  b: { engine: "tcp://h:2375", tls: false }\n',
      '/hosts/b/engine',
      /same engine as host a/,
    );
  });

  it('TLS files that cannot be read or are not PEM are named, relative to the hosts file', async () => {
    const { problems } = await parse(
      'hosts:\n  web-1:\n    engine: tcp://h:2376\n    default: true\n    tls: { ca: garbage.pem, cert: missing.pem, key: garbage.pem }\n',
    );
    expect(problems).toEqual([
      expect.objectContaining({
        path: '/hosts/web-1/tls/cert',
        reason: expect.stringContaining(`${join(dir, 'missing.pem')} (ENOENT)`),
      }),
      expect.objectContaining({
        path: '/hosts/web-1/tls/ca',
        reason: expect.stringMatching(/garbage\.pem is not a PEM certificate/),
      }),
      expect.objectContaining({ path: '/hosts/web-1/tls/key', reason: expect.stringMatching(/not a PEM private key/) }),
    ]);
  });
});

describe('loadHostsFile / hostsFromEnv / loadHosts', () => {
  it('a missing file is one problem naming HOSTS_FILE; the error says "hosts file"', async () => {
    const err = await loadHostsFile(join(dir, 'nope.yaml')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CatalogError);
    expect((err as CatalogError).message).toMatch(/^invalid hosts file \(1 problem\)/);
    expect((err as CatalogError).problems).toEqual([
      { file: join(dir, 'nope.yaml'), path: '', reason: 'HOSTS_FILE cannot be read (ENOENT)' },
    ]);
  });

  it('an invalid file throws every problem at once', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'hosts:\n  global: { engine: "http://x" }\n');
    const err = (await loadHostsFile(file).catch((e: unknown) => e)) as CatalogError;
    const errors = err.problems.filter((p) => p.severity !== 'warning');
    expect(errors.map((p) => p.path)).toEqual(['/hosts/global', '/hosts/global/engine']);
  });

  it('without HOSTS_FILE: one host, local, from DOCKER_HOST and its TLS variables', async () => {
    const env = { dockerHost: 'tcp://10.0.0.5:2376', dockerCertPath: '/certs', dockerTlsVerify: true };
    const c = hostsFromEnv(env);
    expect(c.defaultHost).toBe('local');
    expect([...c.hosts.values()]).toEqual([
      {
        name: 'local',
        engine: 'tcp://10.0.0.5:2376',
        connection: { dockerHost: 'tcp://10.0.0.5:2376', certPath: '/certs', tlsVerify: true, name: 'local' },
      },
    ]);
    expect((await loadHosts({ ...env, hostsFile: undefined })).hosts.get('local')).toEqual(c.hosts.get('local'));
    const file = join(dir, 'one.yaml');
    await writeFile(file, 'hosts:\n  edge: { engine: "unix:///s", default: true }\n');
    expect((await loadHosts({ ...env, hostsFile: file })).defaultHost).toBe('edge');
  });
});
