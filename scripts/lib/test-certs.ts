// Certificates for a TCP+TLS Docker Engine in tests, made with the machine's openssl: a CA, a
// server certificate for 127.0.0.1 (SAN IP:127.0.0.1), a client certificate signed by that CA,
// and a second client certificate from another CA (the "wrong" one a test must see refused).
// EC P-256 keys: a whole set takes ~30 ms, so every run makes its own and nothing is checked in.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { runCommand } from './procs.js';

/** A folder in DOCKER_CERT_PATH's layout: ca.pem (whom to trust), cert.pem and key.pem (who I am). */
export interface CertDir {
  dir: string;
  ca: string;
  cert: string;
  key: string;
}

export interface TestCerts {
  dir: string;
  /** The CA dockerd trusts for client certificates (and that signed its own). */
  caCert: string;
  server: { cert: string; key: string };
  /** Signed by the CA: dockerd lets it in. */
  client: CertDir;
  /** Signed by another CA (ca.pem is still the right one): dockerd must refuse it. */
  wrongClient: CertDir;
}

const DAYS = '2';
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(args: string[]): Promise<void> {
  const { code, out } = await runCommand('openssl', args, 30_000);
  if (code !== 0) throw new Error(`openssl ${args.slice(0, 2).join(' ')} failed (exit ${code}):\n${out}`);
}

/** A self-signed CA: key and certificate. */
async function makeCa(dir: string, cn: string): Promise<{ cert: string; key: string }> {
  const cert = path.join(dir, 'ca.pem');
  const key = path.join(dir, 'ca-key.pem');
  await openssl(['req', '-x509', ...EC, '-keyout', key, '-out', cert, '-days', DAYS, '-subj', `/CN=${cn}`]);
  return { cert, key };
}

/** A leaf certificate signed by `ca` (OpenSSL 3's `req -x509 -CA`: no CSR file, no serial file). */
async function makeLeaf(
  ca: { cert: string; key: string },
  cert: string,
  key: string,
  cn: string,
  extensions: string[],
): Promise<void> {
  const ext = ['basicConstraints=critical,CA:FALSE', ...extensions].flatMap((e) => ['-addext', e]);
  await openssl([
    'req',
    '-x509',
    ...EC,
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    DAYS,
    '-subj',
    `/CN=${cn}`,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    ...ext,
  ]);
}

/** Make the whole set under `dir` (created if needed). */
export async function makeTestCerts(dir: string): Promise<TestCerts> {
  const clientDir = path.join(dir, 'client');
  const wrongDir = path.join(dir, 'wrong-client');
  const otherCaDir = path.join(dir, 'other-ca');
  for (const d of [dir, clientDir, wrongDir, otherCaDir]) mkdirSync(d, { recursive: true });

  const ca = await makeCa(dir, 'remediator-test-ca');
  const other = await makeCa(otherCaDir, 'remediator-test-other-ca');
  const server = { cert: path.join(dir, 'server-cert.pem'), key: path.join(dir, 'server-key.pem') };
  await makeLeaf(ca, server.cert, server.key, '127.0.0.1', [
    'subjectAltName=IP:127.0.0.1',
    'extendedKeyUsage=serverAuth',
  ]);
  const client: CertDir = {
    dir: clientDir,
    ca: ca.cert,
    cert: path.join(clientDir, 'cert.pem'),
    key: path.join(clientDir, 'key.pem'),
  };
  await makeLeaf(ca, client.cert, client.key, 'remediator', ['extendedKeyUsage=clientAuth']);
  const wrongClient: CertDir = {
    dir: wrongDir,
    ca: ca.cert,
    cert: path.join(wrongDir, 'cert.pem'),
    key: path.join(wrongDir, 'key.pem'),
  };
  await makeLeaf(other, wrongClient.cert, wrongClient.key, 'remediator', ['extendedKeyUsage=clientAuth']);
  // The docker CLI reads DOCKER_CERT_PATH/ca.pem: give both client folders their own copy.
  for (const d of [clientDir, wrongDir]) copyFileSync(ca.cert, path.join(d, 'ca.pem'));
  client.ca = path.join(clientDir, 'ca.pem');
  wrongClient.ca = path.join(wrongDir, 'ca.pem');
  return { dir, caCert: ca.cert, server, client, wrongClient };
}
