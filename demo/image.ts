// The demo's two images, built on the engine itself (no registry): release 1 from
// demo/Dockerfile (busybox + demo/app/), and release 2, release 1 committed with
// DEMO_RELEASE=2: the canary's, whose bug makes every request fail (demo/app/api.sh), so a
// rollback has an image before it to go back to. Both are rebuilt only when demo/ changed.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';

export const DEMO_IMAGE = 'remediator-demo/app:1';
/** Release 2 (the canary's): release 1 with DEMO_RELEASE=2, which breaks every request. */
export const DEMO_IMAGE_V2 = 'remediator-demo/app:2';
const HASH_LABEL = 'remediator.demo.hash';
const DEMO_DIR = import.meta.dirname;

function appFiles(dir = DEMO_DIR, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(dir, rel)).sort()) {
    const file = path.join(rel, name);
    if (statSync(path.join(dir, file)).isDirectory()) out.push(...appFiles(dir, file));
    else out.push(file);
  }
  return out;
}

/** Stream of a JSON progress reply (build, import): errors arrive inside it with status 200. */
function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
      const failed = err ?? out.find((o) => o.error)?.error;
      if (failed) reject(failed instanceof Error ? failed : new Error(`demo image build failed: ${failed}`));
      else resolve();
    });
  });
}

const hashOf = async (docker: Docker, tag: string): Promise<string | undefined> =>
  (
    await docker
      .getImage(tag)
      .inspect()
      .catch(() => undefined)
  )?.Config.Labels?.[HASH_LABEL];

/** Release 2: a container of release 1 (never started) committed with the new environment. */
async function commitRelease2(docker: Docker, digest: string): Promise<void> {
  const c = await docker.createContainer({ Image: DEMO_IMAGE, HostConfig: { NetworkMode: 'none' } });
  try {
    const [repo, tag] = DEMO_IMAGE_V2.split(':') as [string, string];
    await c.commit({ repo, tag, changes: ['ENV DEMO_RELEASE=2', `LABEL ${HASH_LABEL}=${digest}`] });
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

/**
 * Build the demo images from `base` (a local busybox image: no registry is needed). Skipped
 * when images built from the same files already exist. Returns release 1's tag.
 */
export async function buildDemoImage(docker: Docker, base = 'remediator-test/busybox:1'): Promise<string> {
  const files = ['Dockerfile', ...appFiles(DEMO_DIR, 'app')];
  const hash = createHash('sha256');
  hash.update(base);
  for (const f of files)
    hash
      .update(f)
      .update(String(statSync(path.join(DEMO_DIR, f)).mode))
      .update(readFileSync(path.join(DEMO_DIR, f)));
  const digest = hash.digest('hex').slice(0, 16);
  if ((await hashOf(docker, DEMO_IMAGE)) !== digest) {
    const stream = await docker.buildImage(
      { context: DEMO_DIR, src: files },
      { t: DEMO_IMAGE, buildargs: { BASE: base }, labels: { [HASH_LABEL]: digest }, rm: true, forcerm: true },
    );
    await follow(docker, stream);
  }
  if ((await hashOf(docker, DEMO_IMAGE_V2)) !== digest) await commitRelease2(docker, digest);
  return DEMO_IMAGE;
}
