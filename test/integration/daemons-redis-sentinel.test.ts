// Proves startRedisSentinel(): a master, a replica in sync, three sentinels that agree on the
// master; failover() promotes the replica and every sentinel reports it; stop() leaves nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infoRecord, nodeCommand } from '../../scripts/lib/redis-probe.js';
import { startRedisSentinel, type RedisSentinelHandle } from '../../scripts/lib/redis-sentinel.js';
import { pidAlive, portOpen, processesMentioning } from '../support/leftovers.js';

let dir: string;
let set: RedisSentinelHandle;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rmd-sentinel-'));
  set = await startRedisSentinel({ dir, masterName: 'testmaster' });
});
afterAll(async () => {
  await set?.stop();
  await rm(dir, { recursive: true, force: true });
});

const role = async (port: number) => (await infoRecord(port, ['INFO', 'replication'])).role;

describe('startRedisSentinel', () => {
  it('starts a master, a replica in sync and three sentinels that agree (quorum 2)', async () => {
    expect(set.sentinels).toHaveLength(3);
    expect(set.url).toBe(`redis+sentinel://${set.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/testmaster`);
    const master = await set.master();
    expect(master).toEqual({ host: '127.0.0.1', port: set.servers[0]!.port });
    expect(await role(set.servers[0]!.port)).toBe('master');
    expect(await role(set.servers[1]!.port)).toBe('slave');
    const m = (await nodeCommand(set.sentinels[0]!.port, ['SENTINEL', 'master', 'testmaster'])) as string[];
    const fields = Object.fromEntries(m.flatMap((v, i) => (i % 2 === 0 ? [[v, m[i + 1]]] : [])));
    expect(fields).toMatchObject({ quorum: '2', 'num-slaves': '1', 'num-other-sentinels': '2' });
  });

  it('failover() promotes the replica: data written before it is on the new master', async () => {
    const old = await set.master();
    await nodeCommand(old.port, ['SET', 'before-failover', 'kept']);
    // Replication is asynchronous: WAIT makes sure the replica has the write before we switch.
    expect(Number(await nodeCommand(old.port, ['WAIT', '1', '5000']))).toBe(1);
    const next = await set.failover({ rejoin: true });
    expect(next.port).not.toBe(old.port);
    expect(await set.master()).toEqual(next);
    expect(await role(next.port)).toBe('master');
    expect(await role(old.port)).toBe('slave');
    expect(await nodeCommand(next.port, ['GET', 'before-failover'])).toBe('kept');
  }, 240_000);

  it('stop() leaves no redis-server or redis-sentinel process and no open port', async () => {
    const dir2 = await mkdtemp(path.join(os.tmpdir(), 'rmd-sentinel-stop-'));
    try {
      const s = await startRedisSentinel({ dir: dir2 });
      const pids = [...s.servers.map((x) => x.pid), ...s.sentinels.map((x) => x.pid)];
      const ports = [...s.servers.map((x) => x.port), ...s.sentinels.map((x) => x.port)];
      expect(pids.every(pidAlive)).toBe(true);
      await s.stop();
      expect(pids.filter(pidAlive)).toEqual([]);
      expect((await Promise.all(ports.map(portOpen))).filter(Boolean)).toEqual([]);
      expect(processesMentioning(dir2)).toEqual([]);
    } finally {
      await rm(dir2, { recursive: true, force: true });
    }
  });
});
