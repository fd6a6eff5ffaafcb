// The faults of the seed runbooks, one per shipped runbook remediation: each breaks a demo
// container the way the runbook's incident did, and the remediation, not the demo, mends it.
// Injected from inside the container (fault.sh through `docker exec`) or, where the fault is
// Docker's own (a crash, a lost network), through the Engine API. Used by `npm run demo`
// (demo/cli.ts) and the end-to-end tests.
import type Docker from 'dockerode';
import { fault } from './exec.js';
import { createCanary, demoNames, type DemoSpec } from './parts.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait (bounded) until a container has stopped; its state then. */
async function stopped(docker: Docker, container: string, timeoutMs: number): Promise<Docker.ContainerInspectInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await docker.getContainer(container).inspect();
    if (!info.State.Running) return info;
    if (Date.now() > deadline) throw new Error(`${container} still runs after ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** Errors fault in the api or agent: every request answers 500 until it is turned off or the container restarts. */
export const setErrorFault = (docker: Docker, container: string, on: boolean): Promise<void> =>
  fault(docker, container, ['errors', on ? 'on' : 'off']);

/**
 * WorkerDown: a consumer replica crashes (SIGKILL: no chance to deregister). `corrupt` first
 * leaves a checkpoint in its container layer that is not a number, so a `start` brings back a
 * replica that refuses to run again at once: only a new container (recreate) is clean.
 */
export async function crashWorker(
  docker: Docker,
  worker: string,
  o: { corrupt?: boolean } = {},
): Promise<Docker.ContainerInspectInfo> {
  if (o.corrupt) await fault(docker, worker, ['worker', 'corrupt']);
  await docker.getContainer(worker).kill({ signal: 'SIGKILL' });
  return stopped(docker, worker, 15_000);
}

/** cpu_throttling: the noisy batch job bursts for `seconds` (bounded: it ends by itself), or stops. */
export const setCpuBurst = (docker: Docker, etl: string, on: boolean, seconds = 300): Promise<void> =>
  fault(docker, etl, on ? ['cpu', 'on', String(Math.max(1, Math.round(seconds)))] : ['cpu', 'off']);

/** network_failure: the gateway loses its network (Docker disconnects it) while it runs. */
export async function disconnectNetwork(docker: Docker, container: string, network: string): Promise<void> {
  await docker.getNetwork(network).disconnect({ Container: container, Force: false });
}

/**
 * ContainerOOMKilled: the training job's dataset grows past its memory limit; the kernel kills
 * its worker and the job exits (137, OOMKilled). Resolves once it has stopped.
 */
export async function growDataset(docker: Docker, trainer: string, mb = 48): Promise<Docker.ContainerInspectInfo> {
  await fault(docker, trainer, ['oom', 'on', String(mb)]);
  return stopped(docker, trainer, 30_000);
}

/** ServiceDown: the dependency's server process dies; its container keeps running. */
export const killDependency = (docker: Docker, db: string): Promise<void> => fault(docker, db, ['db', 'down']);

/**
 * The canary: release 2 (demo/image.ts) deployed beside the rest as `<project>-web-canary-1`,
 * labelled with release 1 as its rollback image; every request to it fails. An earlier canary
 * of the project is replaced. Returns its name.
 */
export async function deployCanary(docker: Docker, spec: DemoSpec): Promise<string> {
  const { canary } = demoNames(spec);
  await docker
    .getContainer(canary)
    .remove({ force: true })
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
  const c = await createCanary(docker, spec, demoNames(spec));
  await c.start();
  return canary;
}
