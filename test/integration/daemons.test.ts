// Proves the shared test infrastructure: the global set-up's Redis and dockerd answer, the
// busybox image runs commands, and a private AOF Redis keeps data across a restart.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startRedis } from '../../scripts/lib/daemons.js';
import { createTestContainer, inspectStartedAt, removeContainers, uniquePrefix } from '../support/docker.js';

const docker = new Docker({ socketPath: inject('dockerHost').replace(/^unix:\/\//, '') });
const prefix = uniquePrefix('daemons');

afterAll(async () => {
  await removeContainers(docker, prefix);
});

/** Run a command in a container and return its (demultiplexed) stdout. */
async function execOut(id: string, cmd: string[]): Promise<{ out: string; exitCode: number | null }> {
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  let out = '';
  const sink = {
    write: (c: Buffer) => {
      out += c.toString();
      return true;
    },
  } as NodeJS.WritableStream;
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise((resolve) => stream.on('end', resolve));
  return { out, exitCode: (await exec.inspect()).ExitCode };
}

describe('shared daemons', () => {
  it('Redis from the global set-up answers PING', async () => {
    const redis = new Redis(inject('redisUrl'), { lazyConnect: true });
    try {
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
      expect(inject('redisUrl')).toBe(`redis://127.0.0.1:${inject('redisPort')}`);
      // noeviction matters: BullMQ refuses to run safely with an evicting Redis.
      expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    } finally {
      redis.disconnect();
    }
  });

  it('dockerd from the global set-up answers ping', async () => {
    expect(String(await docker.ping())).toBe('OK');
    expect((await docker.version()).ApiVersion).toMatch(/^1\.\d+$/);
  });

  it('runs a busybox container, execs echo, and removes it', async () => {
    const name = `${prefix}echo`;
    const id = await createTestContainer(docker, { name, labels: { 'remediator.test': '1' } });
    const info = await docker.getContainer(id).inspect();
    expect(info.State.Running).toBe(true);
    expect(info.HostConfig.Init).toBe(true);
    expect(info.HostConfig.NetworkMode).toBe('none');
    expect(await inspectStartedAt(docker, name)).toBe(info.State.StartedAt);

    const { out, exitCode } = await execOut(id, ['echo', 'hi']);
    expect(out).toBe('hi\n');
    expect(exitCode).toBe(0);

    // Init: true means a stop is quick (busybox sleep as PID 1 would ignore SIGTERM for 10 s).
    const t0 = Date.now();
    await docker.getContainer(id).restart({ t: 10 });
    expect(Date.now() - t0).toBeLessThan(5000);

    await removeContainers(docker, prefix);
    const left = await docker.listContainers({ all: true, filters: { name: [prefix] } });
    expect(left).toHaveLength(0);
  });

  it('a private AOF Redis keeps keys across restart()', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rmd-redis-aof-'));
    const handle = await startRedis({ dir, aof: true });
    try {
      expect(handle.url).not.toBe(inject('redisUrl'));
      const before = handle.pid;
      let redis = new Redis(handle.url);
      await redis.set('kept', 'yes');
      await redis.quit();

      await handle.restart();
      expect(handle.pid).not.toBe(before);

      redis = new Redis(handle.url);
      expect(await redis.get('kept')).toBe('yes');
      await redis.quit();
    } finally {
      await handle.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
