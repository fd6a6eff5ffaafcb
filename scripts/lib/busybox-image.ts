// The busybox test image, imported through the Engine API: no registry is reachable here, so
// every test container runs the machine's static busybox (one file plus applet links).
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';

const APPLETS = [
  'sh',
  'sleep',
  'echo',
  'cat',
  'ls',
  'rm',
  'mkdir',
  'dd',
  'df',
  'du',
  'httpd',
  'nc',
  'wget',
  'kill',
  'env',
  'true',
  'false',
  'printf',
  'seq',
  'wc',
  'head',
  'tail',
  'grep',
  // Not in the brief's list, but healthchecks and fixtures commonly need them.
  'test',
  '[',
  'touch',
  'ps',
  'date',
  'cp',
  'mv',
  'sed',
  'stat',
  'id',
  'hostname',
];

/** One 512-byte ustar header. Only what `docker import` needs: name, mode, size, type, link. */
function tarHeader(name: string, type: '0' | '2' | '5', mode: number, size = 0, link = ''): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number): void => void h.write(s, off, len, 'utf8');
  const oct = (n: number, off: number, len: number): void => put(n.toString(8).padStart(len - 1, '0') + '\0', off, len);
  put(name, 0, 100);
  oct(mode, 100, 8);
  oct(0, 108, 8);
  oct(0, 116, 8);
  oct(size, 124, 12);
  oct(Math.floor(Date.now() / 1000), 136, 12);
  put('        ', 148, 8); // checksum is computed with this field as spaces
  put(type, 156, 1);
  put(link, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

function busyboxRootfsTar(): Buffer {
  const bin = readFileSync('/usr/bin/busybox');
  const parts = [
    tarHeader('bin/', '5', 0o755),
    tarHeader('tmp/', '5', 0o1777),
    tarHeader('www/', '5', 0o755),
    tarHeader('bin/busybox', '0', 0o755, bin.length),
    bin,
    Buffer.alloc((512 - (bin.length % 512)) % 512),
    ...APPLETS.map((a) => tarHeader(`bin/${a}`, '2', 0o777, 0, 'busybox')),
    Buffer.alloc(1024), // end-of-archive marker
  ];
  return Buffer.concat(parts);
}

export function dockerFromHost(dockerHost: string): Docker {
  if (!dockerHost.startsWith('unix://')) throw new Error(`expected unix:// docker host, got ${dockerHost}`);
  return new Docker({ socketPath: dockerHost.slice('unix://'.length) });
}

/** Import a rootfs tarball as `tag` through the Engine API (no docker CLI, no registry), once. */
async function importRootfs(dockerHost: string, tag: string, rootfs: () => Buffer, changes: string): Promise<void> {
  const docker = dockerFromHost(dockerHost);
  try {
    await docker.getImage(tag).inspect();
    return;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  const i = tag.lastIndexOf(':');
  const [repo, ver] = i > tag.lastIndexOf('/') ? [tag.slice(0, i), tag.slice(i + 1)] : [tag, 'latest'];
  // docker-modem sends a Buffer as-is with a Content-Length; the typings only know streams/paths.
  const tar = rootfs() as unknown as NodeJS.ReadableStream;
  const stream = await docker.importImage(tar, { repo, tag: ver, changes });
  // The response is a JSON progress stream; errors arrive inside it with status 200.
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
      const failed = err ?? out.find((o) => o.error)?.error;
      if (failed) reject(failed instanceof Error ? failed : new Error(String(failed)));
      else resolve();
    });
  });
  await docker.getImage(tag).inspect();
}

/** Import the static busybox as an image through the Engine API (no docker CLI, no registry). */
export async function ensureBusyboxImage(dockerHost: string, tag = 'remediator-test/busybox:1'): Promise<void> {
  await importRootfs(dockerHost, tag, busyboxRootfsTar, 'CMD ["sh"]');
}

/**
 * An image whose only file is `sleep` (the busybox binary under that name): no shell, no
 * `kill`, as in a distroless image. For what remediator does where it cannot run `sh`.
 */
export async function ensureSleepOnlyImage(dockerHost: string, tag = 'remediator-test/sleep-only:1'): Promise<void> {
  await importRootfs(
    dockerHost,
    tag,
    () => {
      const bin = readFileSync('/usr/bin/busybox');
      return Buffer.concat([
        tarHeader('bin/', '5', 0o755),
        tarHeader('bin/sleep', '0', 0o755, bin.length),
        bin,
        Buffer.alloc((512 - (bin.length % 512)) % 512),
        Buffer.alloc(1024),
      ]);
    },
    'CMD ["sleep", "3600"]',
  );
}
