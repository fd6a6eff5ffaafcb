// Container helpers for integration tests. All test containers come from the busybox image the
// global set-up imports, so nothing here needs a registry.
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';

export const TEST_IMAGE = 'remediator-test/busybox:1';

export interface TestHealthcheck {
  /** e.g. ['CMD-SHELL', 'test -f /tmp/ok'] or ['CMD', 'true'] */
  test: string[];
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
}

export interface TestContainerOptions {
  name: string;
  labels?: Record<string, string>;
  cmd?: string[];
  env?: Record<string, string> | string[];
  healthcheck?: TestHealthcheck;
  start?: boolean;
  /** 'none' (default), 'host', or a user network the test made (there is no default bridge). */
  networkMode?: string;
}

const ns = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : Math.round(ms * 1e6));

/** Create (and by default start) a busybox container; returns its id. */
export async function createTestContainer(docker: Docker, opts: TestContainerOptions): Promise<string> {
  const env = Array.isArray(opts.env) ? opts.env : Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const hc = opts.healthcheck;
  const container = await docker.createContainer({
    name: opts.name,
    Image: TEST_IMAGE,
    Cmd: opts.cmd ?? ['sleep', '3600'],
    Env: env,
    Labels: opts.labels ?? {},
    ...(hc && {
      // The Engine API wants nanoseconds; the options take milliseconds for readability.
      Healthcheck: {
        Test: hc.test,
        Interval: ns(hc.intervalMs),
        Timeout: ns(hc.timeoutMs),
        Retries: hc.retries,
        StartPeriod: ns(hc.startPeriodMs),
      },
    }),
    HostConfig: {
      // busybox sleep as PID 1 ignores SIGTERM; without an init every stop/restart waits 10 s.
      Init: true,
      // No bridge on these machines (dockerd runs with --bridge=none): 'none' or 'host' only.
      NetworkMode: opts.networkMode ?? 'none',
    },
  });
  if (opts.start ?? true) await container.start();
  return container.id;
}

/** Force-remove every container (running or not) whose name starts with namePrefix. */
export async function removeContainers(docker: Docker, namePrefix: string): Promise<void> {
  // The name filter is an unanchored regex match, so narrow it down exactly afterwards.
  const list = await docker.listContainers({ all: true, filters: { name: [namePrefix] } });
  const mine = list.filter((c) => c.Names.some((n) => n.replace(/^\//, '').startsWith(namePrefix)));
  await Promise.all(
    mine.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((err: { statusCode?: number }) => {
          // 404: already gone; 409: a removal is already in progress.
          if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
        }),
    ),
  );
}

/** `t<random6>-<tag>-`: a container-name prefix unique to one test (file). */
export function uniquePrefix(tag: string): string {
  const safeTag = tag.replace(/[^a-zA-Z0-9_.-]/g, '-');
  return `t${randomBytes(3).toString('hex')}-${safeTag}-`;
}

/** State.StartedAt of a container (changes on every (re)start: handy to prove a restart). */
export async function inspectStartedAt(docker: Docker, name: string): Promise<string> {
  return (await docker.getContainer(name).inspect()).State.StartedAt;
}
