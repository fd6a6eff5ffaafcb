import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import {
  BadParamsError,
  EngineTlsError,
  EngineUnreachableError,
  TargetNotFoundError,
  TransientError,
} from '../errors.js';

/**
 * How to reach one Docker engine (DOCKER_HOST and its TLS variables, or a hosts-file entry) as
 * dockerode options, and how its failures are classified at the throw site: an API answer
 * (404 not found, 400 bad params, 5xx transient) or the engine itself (TLS refused either way,
 * unreachable), naming the host so an operator knows which machine to look at.
 */

/** Client TLS files of one engine (absolute paths): whom to trust, who we are. */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface SshOptions {
  /** A private key file; without it, the agent at SSH_AUTH_SOCK. */
  identityFile?: string | undefined;
  /** The engine host's key, pinned as `ssh-keygen -lf` prints it: `SHA256:<base64>`. */
  hostKey?: string | undefined;
}

export interface DockerConnection {
  dockerHost: string;
  certPath?: string | undefined;
  tlsVerify?: boolean;
  /** Per-host TLS files (hosts file); `false`: plain HTTP over tcp://, chosen on purpose. */
  tls?: TlsFiles | false | undefined;
  ssh?: SshOptions | undefined;
  /** The host's name (hosts file), so every error says which engine failed. */
  name?: string | undefined;
  /** Per-request timeout; a restart waits for the stop timeout, so keep it generous. */
  timeoutMs?: number;
}

/** OpenSSH's fingerprint of a host key: `SHA256:` and unpadded base64. */
export const sshFingerprint = (key: Buffer): string =>
  `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;

/** Build dockerode's options from DOCKER_HOST the way the docker CLI reads it (or a hosts-file entry). */
export function dockerOptions(conn: DockerConnection): Docker.DockerOptions {
  const url = new URL(conn.dockerHost);
  const timeout = conn.timeoutMs ?? 120_000;
  if (url.protocol === 'unix:') return { socketPath: url.pathname, timeout };
  if (url.protocol === 'ssh:') {
    const pinned = conn.ssh?.hostKey;
    const sshOptions = {
      agent: conn.ssh?.identityFile ? undefined : process.env.SSH_AUTH_SOCK,
      ...(conn.ssh?.identityFile && { privateKey: readFileSync(conn.ssh.identityFile) }),
      ...(pinned && { hostVerifier: (key: Buffer) => sshFingerprint(key) === pinned }),
    };
    return {
      protocol: 'ssh',
      host: url.hostname,
      port: Number(url.port || 22),
      username: decodeURIComponent(url.username),
      timeout,
      sshOptions,
    } as Docker.DockerOptions;
  }
  if (conn.tls === false) return { protocol: 'http', host: url.hostname, port: Number(url.port || 2375), timeout };
  const tls = conn.tls !== undefined || conn.tlsVerify || conn.certPath !== undefined || url.protocol === 'https:';
  const options: Docker.DockerOptions = {
    protocol: tls ? 'https' : 'http',
    host: url.hostname,
    port: Number(url.port || (tls ? 2376 : 2375)),
    timeout,
  };
  const files: TlsFiles | undefined =
    conn.tls ??
    (conn.certPath
      ? {
          ca: join(conn.certPath, 'ca.pem'),
          cert: join(conn.certPath, 'cert.pem'),
          key: join(conn.certPath, 'key.pem'),
        }
      : undefined);
  if (files) {
    options.ca = readFileSync(files.ca);
    options.cert = readFileSync(files.cert);
    options.key = readFileSync(files.key);
  }
  return options;
}

/** The fields dockerode and docker-modem put on the errors they throw. */
export interface DockerodeError {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | null;
  reason?: string;
  message?: string;
}

/** Which engine a call went to, for messages: its hosts-file name and address. */
export interface EngineRef {
  name: string;
  engine: string;
}

// Node's TLS codes: the engine refused us (an alert it sent), or we refused its certificate.
const REFUSED_US =
  /^ERR_SSL_(SSLV3_ALERT_BAD_CERTIFICATE|TLSV13_ALERT_CERTIFICATE_REQUIRED|TLSV1_ALERT_UNKNOWN_CA|SSLV3_ALERT_CERTIFICATE_UNKNOWN|TLSV1_ALERT_ACCESS_DENIED|SSLV3_ALERT_CERTIFICATE_EXPIRED)$/;
const REFUSED_THEM = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** The engine-level failures (TLS, unreachable) of a call, or undefined for an API answer. */
function engineError(e: DockerodeError, err: unknown, what: string, where: EngineRef): Error | undefined {
  const at = `host ${where.name} (${where.engine})`;
  const detail = (e.reason ?? e.message ?? String(err)).split('\n')[0]!.trim();
  const code = e.code ?? '';
  if (REFUSED_US.test(code) || (code.startsWith('ERR_SSL_') && code.includes('ALERT'))) {
    return new EngineTlsError(
      where.name,
      `${what}: ${at} refused our client certificate (check tls.cert and tls.key of ${where.name}): ${detail}`,
      { cause: err },
    );
  }
  if (REFUSED_THEM.has(code)) {
    return new EngineTlsError(
      where.name,
      `${what}: ${at} presented a certificate we do not trust (check tls.ca of ${where.name}): ${code} ${detail}`,
      { cause: err },
    );
  }
  if (e.statusCode === 400 && /HTTP request to an HTTPS server/.test(e.json?.message ?? e.message ?? '')) {
    return new EngineTlsError(where.name, `${what}: ${at} speaks TLS: give ${where.name} a tls block`, { cause: err });
  }
  if (UNREACHABLE.has(code) || /socket hang up|timeout/i.test(detail)) {
    return new EngineUnreachableError(where.name, `${what}: ${at} unreachable: ${detail}`, { cause: err });
  }
  return undefined;
}

/** Decide at the throw site whether retrying can help; `where` names the engine in messages. */
export function mapDockerError(err: unknown, what: string, where?: EngineRef): Error {
  const e = (err ?? {}) as DockerodeError;
  if (where) {
    const engine = engineError(e, err, what, where);
    if (engine) return engine;
    what = `host ${where.name}: ${what}`;
  }
  const detail = e.json?.message ?? e.reason ?? e.message ?? String(err);
  if (e.statusCode === 404) return new TargetNotFoundError(`${what}: not found (${detail})`);
  if (e.statusCode === 400) return new BadParamsError(`${what}: rejected by Docker (${detail})`);
  return new TransientError(`${what}: ${detail}`, { cause: err });
}
