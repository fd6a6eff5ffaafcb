// A real Redis Sentinel set on 127.0.0.1 for tests: a master, one replica, and three
// `redis-sentinel` processes monitoring it (quorum 2). Timeouts are short so a failover
// completes in a few seconds. Each process is a direct child, stopped by its pid.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startRedis, type RedisHandle } from './daemons.js';
import { infoRecord, nodeCommand } from './redis-probe.js';
import {
  freePort,
  isRunning,
  pollUntil,
  spawnDaemon,
  terminate,
  track,
  untrack,
  waitUntil,
  type Proc,
  type Tracked,
} from './procs.js';

export interface Address {
  host: string;
  port: number;
}

export interface SentinelProc {
  port: number;
  pid: number;
  dir: string;
}

export interface RedisSentinelHandle {
  masterName: string;
  /** `redis+sentinel://127.0.0.1:S1,127.0.0.1:S2,127.0.0.1:S3/<masterName>`. */
  url: string;
  sentinels: SentinelProc[];
  /** The two data nodes; which one is master changes with failover(). */
  servers: RedisHandle[];
  /** The master every sentinel reports now (throws if they disagree). */
  master(): Promise<Address>;
  /**
   * `SENTINEL FAILOVER <name>` (~1 s): resolves with the new master once every sentinel reports
   * it and it answers role:master. With `rejoin`, also waits until the old master follows it as
   * a replica (so a second failover can happen); sentinel reconfigures it on its next INFO
   * round, which comes every 10 s: up to ~11 s more.
   */
  failover(opts?: { rejoin?: boolean }): Promise<Address>;
  stop(): Promise<void>;
}

const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 5000;

const replication = (port: number): Promise<Record<string, string>> => infoRecord(port, ['INFO', 'replication']);

async function startSentinel(dir: string, masterName: string, masterPort: number): Promise<SentinelProc & Tracked> {
  mkdirSync(dir, { recursive: true });
  const log = path.join(dir, 'sentinel.log');
  const conf = path.join(dir, 'sentinel.conf');
  let cur!: Proc;
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    // Sentinel rewrites its config file (epochs, known peers): it must be ours and writable.
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        'logfile ""',
        `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${masterName} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${masterName} ${FAILOVER_TIMEOUT_MS}`,
        `sentinel parallel-syncs ${masterName} 1`,
        '',
      ].join('\n'),
    );
    cur = spawnDaemon('redis-sentinel', [conf], log);
    try {
      await waitUntil(`redis-sentinel on ${port}`, cur, log, 30_000, async () => {
        const addr = (await nodeCommand(port, ['SENTINEL', 'get-master-addr-by-name', masterName])) as string[] | null;
        return Array.isArray(addr) && Number(addr[1]) === masterPort;
      });
      break;
    } catch (err) {
      await terminate(cur, 2000);
      if (attempt >= 3) throw err;
    }
  }
  const entry: SentinelProc & Tracked = {
    port,
    pid: cur.child.pid ?? 0,
    dir,
    proc: () => cur,
    async stop() {
      if (isRunning(cur)) await terminate(cur, 10_000);
      untrack(entry);
    },
  };
  track(entry);
  return entry;
}

export async function startRedisSentinel(opts: { dir: string; masterName?: string }): Promise<RedisSentinelHandle> {
  const masterName = opts.masterName ?? 'remediator';
  const servers: RedisHandle[] = [];
  const sentinels: Array<SentinelProc & Tracked> = [];
  const stop = async (): Promise<void> => {
    await Promise.allSettled(sentinels.map((s) => s.stop()));
    await Promise.allSettled(servers.map((s) => s.stop()));
  };
  const ask = async (s: SentinelProc, ...args: string[]) => nodeCommand(s.port, ['SENTINEL', ...args]);
  const master = async (): Promise<Address> => {
    const seen = await Promise.all(
      sentinels.map(async (s) => {
        const a = (await ask(s, 'get-master-addr-by-name', masterName)) as string[] | null;
        return a ? `${a[0]}:${a[1]}` : 'none';
      }),
    );
    if (new Set(seen).size !== 1) throw new Error(`sentinels disagree on the master: ${seen.join(', ')}`);
    const [host, port] = seen[0]!.split(':');
    return { host: host!, port: Number(port) };
  };

  // Redis 7 waits 5 s before a diskless full sync to batch replicas; we have one replica.
  const sync = ['--repl-diskless-sync-delay', '0'];
  try {
    servers.push(await startRedis({ dir: path.join(opts.dir, 'redis-0'), extraArgs: sync }));
    const m = servers[0]!.port;
    servers.push(
      await startRedis({
        dir: path.join(opts.dir, 'redis-1'),
        extraArgs: [...sync, '--replicaof', '127.0.0.1', String(m)],
      }),
    );
    await pollUntil(
      'the replica in sync',
      30_000,
      async () => (await replication(servers[1]!.port)).master_link_status === 'up',
    );
    for (let i = 0; i < 3; i++)
      sentinels.push(await startSentinel(path.join(opts.dir, `sentinel-${i}`), masterName, m));
    // A failover needs the sentinels to know each other (hello messages, every 2 s) and the replica.
    await pollUntil('sentinels discovering each other and the replica', 30_000, async () => {
      for (const s of sentinels) {
        const peers = (await ask(s, 'sentinels', masterName)) as unknown[];
        const replicas = (await ask(s, 'replicas', masterName)) as unknown[];
        if (peers.length !== 2 || replicas.length !== 1) return false;
      }
      return true;
    });
  } catch (err) {
    await stop();
    throw err;
  }

  /** What a sentinel knows of one replica (`SENTINEL REPLICAS`: a flat field list per replica). */
  const replicaSeen = async (s: SentinelProc, port: number): Promise<Record<string, string> | undefined> => {
    const list = (await ask(s, 'replicas', masterName)) as string[][];
    for (const flat of list) {
      const r: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) r[flat[i]!] = flat[i + 1]!;
      if (Number(r.port) === port) return r;
    }
    return undefined;
  };

  // A forced failover picks a replica every sentinel sees as in sync; one it ran into while a
  // loaded machine delayed it (the promotion past failover-timeout) is aborted and never
  // retried, as the master is not down. So: wait for a good replica, ask, and ask again while
  // the replica is still not promoted. Sentinel turns the old master into a replica only after
  // its next INFO of it (every 10 s outside a failover), then a full sync; past 20 s the helper
  // points it at the new master itself, as sentinel would. Each wait says where it stands.
  const failover = async (o: { rejoin?: boolean; timeoutMs?: number } = {}): Promise<Address> => {
    const before = await master();
    const next = servers.find((s) => s.port !== before.port);
    if (!next) throw new Error('no replica to fail over to');
    await pollUntil(`every sentinel seeing 127.0.0.1:${next.port} as a replica in sync`, 30_000, async () => {
      for (const s of sentinels) {
        const r = await replicaSeen(s, next.port);
        if (!r || r.flags !== 'slave' || r['master-link-status'] !== 'ok')
          throw new Error(
            `sentinel ${s.port} sees ${r ? `${r.flags}, link ${r['master-link-status']}` : 'no replica'}`,
          );
      }
      return true;
    });
    let askedAt = 0;
    let asks = 0;
    let promotedAt = 0;
    let pointed = false;
    await pollUntil(`failover of ${masterName} to 127.0.0.1:${next.port}`, o.timeoutMs ?? 60_000, async () => {
      const role = (await replication(next.port)).role;
      if (role !== 'master') {
        if (Date.now() - askedAt > 15_000) {
          // Still a replica: no failover is under way that could finish after this ask.
          askedAt = Date.now();
          asks++;
          await ask(sentinels[(asks - 1) % sentinels.length]!, 'failover', masterName).catch(() => undefined);
        }
        throw new Error(`127.0.0.1:${next.port} still ${role} after ${asks} SENTINEL FAILOVER`);
      }
      promotedAt ||= Date.now();
      const now = await master().catch((err: Error) => {
        throw new Error(`promoted; ${err.message}`);
      });
      if (now.port !== next.port) throw new Error(`promoted; the sentinels still report ${now.host}:${now.port}`);
      if (!o.rejoin) return true;
      const old = await replication(before.port);
      if (old.role === 'slave' && old.master_link_status === 'up' && Number(old.master_port) === next.port) return true;
      if (!pointed && Date.now() - promotedAt > 20_000) {
        pointed = true;
        await nodeCommand(before.port, ['REPLICAOF', '127.0.0.1', String(next.port)]).catch(() => undefined);
      }
      throw new Error(
        `promoted; the old master 127.0.0.1:${before.port} is ${old.role}, link ${old.master_link_status ?? '-'}, following ${old.master_port ?? '-'}${pointed ? ' (pointed at the new master)' : ''}`,
      );
    });
    return { host: '127.0.0.1', port: next.port };
  };

  return {
    masterName,
    url: `redis+sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${masterName}`,
    sentinels: sentinels.map(({ port, pid, dir }) => ({ port, pid, dir })),
    servers,
    master,
    failover,
    stop,
  };
}
