import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { Config } from '../config.js';
import type { DockerConnection, TlsFiles } from '../docker/engine-connection.js';
import { CatalogError, type CatalogProblem } from '../errors.js';
import { DEFAULT_HOST, hostNameProblem } from '../keys.js';
import { readYaml, schemaProblems } from './yaml-problems.js';

/**
 * The hosts file (HOSTS_FILE, YAML) maps host names to Docker engines, so a remediation can
 * act on the host an alert names. Validated at start and by `remediator check` like the
 * remediations: every problem names the file, the path and the line. Without HOSTS_FILE there
 * is one host, `local`, reached through DOCKER_HOST / DOCKER_CERT_PATH / DOCKER_TLS_VERIFY.
 *
 * ```yaml
 * hosts:
 *   local:
 *     engine: unix:///var/run/docker.sock
 *     default: true                 # the host of remediations that name none (at most one)
 *   web-1:
 *     engine: tcp://10.0.0.5:2376
 *     tls: { ca: certs/web-1/ca.pem, cert: certs/web-1/cert.pem, key: certs/web-1/key.pem }
 *   proxy:
 *     engine: tcp://docker-proxy:2375
 *     tls: false                    # plain HTTP, on purpose (a socket proxy on a private network)
 *   db-1:
 *     engine: ssh://deploy@db-1.example.com
 *     ssh: { identityFile: /etc/remediator/id_ed25519, hostKey: "SHA256:..." }
 * ```
 * Relative file paths are relative to the hosts file. No `default: true` and no `local`: a
 * remediation must then name its host.
 */

const TlsSchema = Type.Object(
  { ca: Type.String({ minLength: 1 }), cert: Type.String({ minLength: 1 }), key: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);

/** One engine of the hosts file. */
export const HostEntrySchema = Type.Object(
  {
    engine: Type.String({ minLength: 1 }),
    tls: Type.Optional(Type.Union([TlsSchema, Type.Literal(false)])),
    ssh: Type.Optional(
      Type.Object(
        {
          identityFile: Type.Optional(Type.String({ minLength: 1 })),
          hostKey: Type.Optional(Type.String({ pattern: '^SHA256:[A-Za-z0-9+/]{43}$' })),
        },
        { additionalProperties: false },
      ),
    ),
    default: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const HostsFileSchema = Type.Object(
  { hosts: Type.Record(Type.String(), HostEntrySchema) },
  { additionalProperties: false },
);
export type HostsFile = Static<typeof HostsFileSchema>;

/** One host, ready for the Docker adapter. */
export interface DockerHostSpec {
  name: string;
  /** The engine's address as written (unix:///…, tcp://…, ssh://…), for messages. */
  engine: string;
  connection: DockerConnection;
}

/** Every host remediator may act on, and the one it acts on when a remediation names none. */
export interface HostsCatalog {
  /** The hosts file, or undefined when the hosts come from DOCKER_HOST. */
  file: string | undefined;
  hosts: ReadonlyMap<string, DockerHostSpec>;
  defaultHost: string | undefined;
  /** Problems that do not stop the start (an expiring certificate, no default host). */
  warnings: CatalogProblem[];
}

const ENGINE_FORMS = 'unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host';

/** What is wrong with an engine address, or undefined; `key` identifies the engine for duplicates. */
function checkEngine(engine: string): { problem?: string; key?: string } {
  let u: URL;
  try {
    u = new URL(engine);
  } catch {
    return { problem: `not a URL: expected ${ENGINE_FORMS}` };
  }
  if (u.protocol === 'unix:') {
    if (u.hostname !== '' || !u.pathname.startsWith('/') || u.pathname === '/')
      return { problem: 'unix:// takes an absolute socket path: unix:///var/run/docker.sock' };
    return { key: `unix:${u.pathname}` };
  }
  if (u.search !== '' || u.hash !== '' || (u.pathname !== '' && u.pathname !== '/'))
    return { problem: `${u.protocol}// takes host and port only, no path or query` };
  if (u.hostname === '') return { problem: `no host in ${engine}` };
  if (u.protocol === 'tcp:') return { key: `tcp:${u.hostname.toLowerCase()}:${u.port}` };
  if (u.protocol === 'ssh:') {
    if (u.username === '') return { problem: 'ssh:// needs a user: ssh://user@host' };
    if (u.password !== '')
      return { problem: 'no password in ssh://: use ssh.identityFile or the agent (SSH_AUTH_SOCK)' };
    return { key: `ssh:${u.username}@${u.hostname.toLowerCase()}:${u.port || 22}` };
  }
  return { problem: `unknown scheme "${u.protocol}": expected ${ENGINE_FORMS}` };
}

type Push = (path: string, reason: string, severity?: 'error' | 'warning') => void;

/** Read and parse the client TLS files; the key must belong to the certificate. */
async function checkTls(files: TlsFiles, at: string, push: Push, now: number): Promise<void> {
  const texts: Partial<Record<keyof TlsFiles, string>> = {};
  for (const part of ['ca', 'cert', 'key'] as const) {
    try {
      texts[part] = await readFile(files[part], 'utf8');
    } catch (err) {
      push(`${at}/${part}`, `cannot read ${files[part]} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const certs: Partial<Record<'ca' | 'cert', X509Certificate>> = {};
  for (const part of ['ca', 'cert'] as const) {
    if (texts[part] === undefined) continue;
    try {
      const c = new X509Certificate(texts[part]!);
      certs[part] = c;
      if (Date.parse(c.validTo) < now)
        push(`${at}/${part}`, `${files[part]} expired on ${c.validTo}: the engine will refuse it`, 'warning');
    } catch {
      push(`${at}/${part}`, `${files[part]} is not a PEM certificate`);
    }
  }
  if (texts.key === undefined) return;
  try {
    const key = createPrivateKey(texts.key);
    if (certs.cert && !certs.cert.checkPrivateKey(key)) push(`${at}/key`, `${files.key} is not the key of tls.cert`);
  } catch {
    push(`${at}/key`, `${files.key} is not a PEM private key (or it is encrypted: use an unencrypted key)`);
  }
}

/** Validate the hosts file's text; `file` locates relative paths and names the problems. */
export async function parseHostsFile(
  file: string,
  text: string,
  now = Date.now(),
): Promise<{ catalog?: HostsCatalog; problems: CatalogProblem[] }> {
  const y = readYaml(file, text);
  const { push } = y;
  if (y.raw === undefined) return { problems: y.problems };
  if (typeof y.raw !== 'object' || y.raw === null || Array.isArray(y.raw)) {
    push('', 'expected a mapping with "hosts"');
    return { problems: y.problems };
  }
  for (const p of schemaProblems(HostsFileSchema, y.raw)) {
    if (/\/tls$/.test(p.path)) push(p.path, 'expected { ca, cert, key } or false');
    else if (/\/hostKey$/.test(p.path))
      push(p.path, 'expected "SHA256:<43 base64 characters>" as ssh-keygen -lf prints it');
    else push(p.path, p.reason);
  }
  if (y.problems.length > 0) return { problems: y.problems };
  const f = y.raw as HostsFile;
  const entries = Object.entries(f.hosts);
  if (entries.length === 0) push('/hosts', 'no hosts: list at least one');

  const base = dirname(resolve(file));
  const abs = (p: string) => resolve(base, p);
  const hosts = new Map<string, DockerHostSpec>();
  const engines = new Map<string, string>();
  const defaults: string[] = [];
  for (const [name, h] of entries) {
    const at = `/hosts/${name}`;
    const bad = hostNameProblem(name);
    if (bad) push(at, bad);
    const { problem, key } = checkEngine(h.engine);
    if (problem) push(`${at}/engine`, problem);
    if (key && engines.has(key)) {
      // Locks are per host name: two names for one engine could act on one container at once.
      push(`${at}/engine`, `same engine as host ${engines.get(key)}: give each engine one name`);
    } else if (key) engines.set(key, name);
    const scheme = h.engine.split(':')[0];
    if (scheme === 'tcp' && h.tls === undefined)
      push(at, 'a tcp:// engine needs tls: { ca, cert, key } (or tls: false for plain HTTP on a trusted network)');
    if (scheme !== 'tcp' && h.tls !== undefined) push(`${at}/tls`, 'tls applies to tcp:// engines only');
    if (scheme !== 'ssh' && h.ssh !== undefined) push(`${at}/ssh`, 'ssh applies to ssh:// engines only');
    const tls = h.tls ? { ca: abs(h.tls.ca), cert: abs(h.tls.cert), key: abs(h.tls.key) } : h.tls;
    if (tls) await checkTls(tls, `${at}/tls`, push, now);
    const identityFile = h.ssh?.identityFile !== undefined ? abs(h.ssh.identityFile) : undefined;
    if (identityFile !== undefined) {
      await readFile(identityFile).catch((err: NodeJS.ErrnoException) =>
        push(`${at}/ssh/identityFile`, `cannot read ${identityFile} (${err.code ?? 'error'})`),
      );
    }
    if (scheme === 'ssh' && h.ssh?.hostKey === undefined)
      push(
        at,
        'ssh.hostKey is not set: the engine host is not authenticated (pin "SHA256:..." from ssh-keygen -lf)',
        'warning',
      );
    if (h.default) defaults.push(name);
    hosts.set(name, {
      name,
      engine: h.engine,
      connection: {
        dockerHost: h.engine,
        name,
        tls,
        ssh: h.ssh && { identityFile, hostKey: h.ssh.hostKey },
      },
    });
  }
  for (const extra of defaults.slice(1))
    push(`/hosts/${extra}/default`, `only one host may be the default (${defaults[0]} is already)`);
  const defaultHost = defaults[0] ?? (hosts.has(DEFAULT_HOST) ? DEFAULT_HOST : undefined);
  if (defaultHost === undefined && hosts.size > 0)
    push(
      '/hosts',
      `no default host (no "default: true", no "${DEFAULT_HOST}"): every remediation must name target.host`,
      'warning',
    );

  const errors = y.problems.filter((p) => p.severity !== 'warning');
  const warnings = y.problems.filter((p) => p.severity === 'warning');
  if (errors.length > 0) return { problems: y.problems };
  return { catalog: { file, hosts, defaultHost, warnings }, problems: warnings };
}

/** Load and validate the hosts file; throws {@link CatalogError} listing every problem. */
export async function loadHostsFile(file: string, now = Date.now()): Promise<HostsCatalog> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new CatalogError([{ file, path: '', reason: `HOSTS_FILE cannot be read (${code})` }], 'hosts file');
  }
  const { catalog, problems } = await parseHostsFile(file, text, now);
  if (!catalog) throw new CatalogError(problems, 'hosts file');
  return catalog;
}

/** The one host of a process without HOSTS_FILE: `local`, from DOCKER_HOST and its TLS variables. */
export function hostsFromEnv(config: Pick<Config, 'dockerHost' | 'dockerCertPath' | 'dockerTlsVerify'>): HostsCatalog {
  const spec: DockerHostSpec = {
    name: DEFAULT_HOST,
    engine: config.dockerHost,
    connection: {
      dockerHost: config.dockerHost,
      certPath: config.dockerCertPath,
      tlsVerify: config.dockerTlsVerify,
      name: DEFAULT_HOST,
    },
  };
  return { file: undefined, hosts: new Map([[DEFAULT_HOST, spec]]), defaultHost: DEFAULT_HOST, warnings: [] };
}

/** HOSTS_FILE when set, else the DOCKER_HOST host. */
export function loadHosts(
  config: Pick<Config, 'hostsFile' | 'dockerHost' | 'dockerCertPath' | 'dockerTlsVerify'>,
): Promise<HostsCatalog> {
  return config.hostsFile !== undefined ? loadHostsFile(config.hostsFile) : Promise.resolve(hostsFromEnv(config));
}
