// Proves initSwarm(): a single-node swarm on a private dockerd (--bridge=none --iptables=false)
// runs and scales a busybox service, and leaving it removes the bridge link it made; stopping
// dockerd then leaves no process and no mount.
import { mkdtemp, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBusyboxImage, startDockerd, type DockerdHandle } from '../../scripts/lib/daemons.js';
import { dockerFromHost } from '../../scripts/lib/busybox-image.js';
import { pollUntil } from '../../scripts/lib/procs.js';
import { initSwarm, linkNames, type SwarmHandle } from '../../scripts/lib/swarm.js';
import { TEST_IMAGE } from '../support/docker.js';
import { mountsUnder, pidAlive, processesMentioning } from '../support/leftovers.js';

let root: string;
let dockerd: DockerdHandle;
let swarm: SwarmHandle | undefined;

beforeAll(async () => {
  root = await mkdtemp('/tmp/rmd-');
  dockerd = await startDockerd({ root });
  await ensureBusyboxImage(dockerd.dockerHost);
});
afterAll(async () => {
  await swarm?.leave();
  await dockerd?.stop();
  await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

const runningTasks = async (service: string) => {
  const docker = dockerFromHost(dockerd.dockerHost);
  const tasks = await docker.listTasks({ filters: { service: [service], 'desired-state': ['running'] } });
  return tasks.filter((t) => (t as { Status?: { State?: string } }).Status?.State === 'running').length;
};

describe('initSwarm', () => {
  it('makes the engine a manager advertising 127.0.0.1, with our own gateway bridge', async () => {
    swarm = await initSwarm(dockerd);
    const docker = dockerFromHost(dockerd.dockerHost);
    const info = (await docker.info()) as {
      Swarm: { LocalNodeState: string; ControlAvailable: boolean; NodeAddr: string };
    };
    expect(info.Swarm).toMatchObject({ LocalNodeState: 'active', ControlAvailable: true, NodeAddr: '127.0.0.1' });
    expect(swarm.listenAddr).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await linkNames()).toContain(swarm.bridge);
    // Swarm took our docker_gwbridge network rather than making a machine-wide "docker_gwbridge" link.
    const gw = (await docker.getNetwork('docker_gwbridge').inspect()) as { Options: Record<string, string> };
    expect(gw.Options['com.docker.network.bridge.name']).toBe(swarm.bridge);
  });

  it('runs a busybox service and scales it through the Swarm API', async () => {
    const docker = dockerFromHost(dockerd.dockerHost);
    const created = (await docker.createService({
      Name: 'swarm-probe',
      TaskTemplate: { ContainerSpec: { Image: TEST_IMAGE, Command: ['sleep', '3600'], Init: true } },
      Mode: { Replicated: { Replicas: 1 } },
    })) as { id?: string; ID?: string };
    const service = docker.getService(created.id ?? created.ID ?? 'swarm-probe');
    await pollUntil('1 running task', 30_000, async () => (await runningTasks('swarm-probe')) === 1);
    const spec = (await service.inspect()) as { Version: { Index: number }; Spec: Record<string, any> };
    await service.update({ ...spec.Spec, version: spec.Version.Index, Mode: { Replicated: { Replicas: 2 } } });
    await pollUntil('2 running tasks', 30_000, async () => (await runningTasks('swarm-probe')) === 2);
    const after = (await service.inspect()) as {
      Spec: { Mode: { Replicated: { Replicas: number } } };
      PreviousSpec?: any;
    };
    expect(after.Spec.Mode.Replicated.Replicas).toBe(2);
    expect(after.PreviousSpec?.Mode?.Replicated?.Replicas).toBe(1);
    await service.remove();
  });

  it('leave() removes the bridge link; stopping dockerd then leaves no process and no mount', async () => {
    const bridge = swarm!.bridge;
    await swarm!.leave();
    const info = (await dockerFromHost(dockerd.dockerHost).info()) as { Swarm: { LocalNodeState: string } };
    expect(info.Swarm.LocalNodeState).toBe('inactive');
    expect(await linkNames()).not.toContain(bridge);
    const pid = dockerd.pid;
    await dockerd.stop();
    expect(pidAlive(pid)).toBe(false);
    expect(processesMentioning(root)).toEqual([]);
    expect(mountsUnder(root)).toEqual([]);
  });
});
