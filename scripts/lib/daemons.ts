// Starts real Redis and Docker Engine daemons for tests, benchmarks and the local `up` script.
// Every daemon is a direct child (argv arrays, never shell strings; see procs.ts) so we know its
// pid and can wait for its exit; all of them are tracked so stopAll() and the exit hooks reap them.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { makeTestCerts, type CertDir, type TestCerts } from './test-certs.js';
import {
  freePort,
  isRunning,
  spawnDaemon,
  terminate,
  track,
  untrack,
  waitUntil,
  type Proc,
  type Tracked,
} from './procs.js';

export { freePort, stopAll } from './procs.js';
export type { CertDir, TestCerts } from './test-certs.js';
export { dockerFromHost, ensureBusyboxImage, ensureSleepOnlyImage } from './busybox-image.js';

const UNIX_PATH_MAX = 100; // sun_path is 108 bytes; keep a margin for containerd's ".ttrpc" suffix

// ---- Redis ----------------------------------------------------------------------------------

export interface RedisHandle {
  port: number;
  url: string;
  pid: number;
  dir: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

/**
 * Raw RESP: PING answers "+PONG" only once Redis has finished loading the AOF (-LOADING before),
 * and INFO's process_id proves the answer comes from our child, not an older server on the port.
 */
function redisReady(port: number, pid: number | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\nINFO server\r\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      const m = /process_id:(\d+)\r\n/.exec(buf);
      if (m) done(buf.startsWith('+PONG') && Number(m[1]) === pid);
    });
  });
}

export interface RedisOptions {
  dir: string;
  port?: number;
  aof?: boolean;
  /** More redis-server arguments (cluster mode, replicaof); they override the defaults. */
  extraArgs?: string[];
}

export async function startRedis(opts: RedisOptions): Promise<RedisHandle> {
  mkdirSync(opts.dir, { recursive: true });
  const log = path.join(opts.dir, 'redis.log');
  const args = (port: number): string[] => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--protected-mode',
    'yes',
    '--save',
    '',
    '--appendonly',
    opts.aof ? 'yes' : 'no',
    '--dir',
    opts.dir,
    '--maxmemory-policy',
    'noeviction',
    '--daemonize',
    'no',
    '--logfile',
    '',
    ...(opts.extraArgs ?? []),
  ];
  let port = opts.port ?? 0;
  let cur!: Proc;

  const launch = async (): Promise<void> => {
    // A port picked by freePort() can be grabbed by someone else before Redis binds it; retry
    // with a fresh one then, but never silently move a port the caller asked for (or a restart).
    for (let attempt = 1; ; attempt++) {
      if (!port) port = await freePort();
      cur = spawnDaemon('redis-server', args(port), log);
      try {
        await waitUntil(`redis-server on ${port}`, cur, log, 30_000, () => redisReady(port, cur.child.pid));
        return;
      } catch (err) {
        await terminate(cur, 2000);
        if (opts.port !== undefined || attempt >= 3 || handle.pid) throw err;
        port = 0;
      }
    }
  };

  const entry: Tracked = {
    proc: () => cur,
    async stop() {
      await terminate(cur, 10_000);
      untrack(entry);
    },
  };
  const handle: RedisHandle = {
    port: 0,
    url: '',
    pid: 0,
    dir: opts.dir,
    stop: () => entry.stop(),
    async restart() {
      await entry.stop();
      track(entry);
      await launch();
      handle.pid = cur.child.pid ?? 0;
    },
  };
  track(entry);
  await launch().catch((err) => {
    untrack(entry);
    throw err;
  });
  Object.assign(handle, { port, url: `redis://127.0.0.1:${port}`, pid: cur.child.pid ?? 0 });
  return handle;
}

// ---- Docker Engine --------------------------------------------------------------------------

export interface DockerdHandle {
  socketPath: string;
  dockerHost: string;
  pid: number;
  root: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Run `fn` after every stop (swarm's bridge link, which outlives dockerd). */
  afterStop(fn: () => Promise<void>): void;
}

/** A dockerd that also listens on tcp://127.0.0.1:P with --tlsverify (client certificates). */
export interface TlsDockerdHandle extends DockerdHandle {
  /** `tcp://127.0.0.1:P`, for DOCKER_HOST or a hosts file. */
  tcpHost: string;
  tcpPort: number;
  certs: TestCerts;
}

export interface DockerdOptions {
  root: string;
  /** Also listen on TCP with TLS, certificates made by openssl under `<root>/certs`. */
  tls?: boolean;
}

function dockerPing(socketPath: string): Promise<boolean> {
  return pingWith(http.get, { socketPath, path: '/_ping', timeout: 1000 });
}

/** The TCP listener answers only a client with the right certificate: proves TLS is set up. */
function dockerTlsPing(port: number, client: CertDir): Promise<boolean> {
  return pingWith(https.get, {
    host: '127.0.0.1',
    port,
    path: '/_ping',
    timeout: 1000,
    ca: readFileSync(client.ca),
    cert: readFileSync(client.cert),
    key: readFileSync(client.key),
  });
}

function pingWith(get: typeof http.get, options: https.RequestOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(options, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 && body === 'OK'));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/**
 * dockerd normally reaps its managed containerd and shims; after a SIGKILL it cannot, so we do.
 * Both carry the exec root in their argv, which makes them easy to find and hard to confuse.
 */
function killOrphans(execRoot: string): void {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${execRoot}/`)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
}

/**
 * dockerd leaves exec-root/netns/default (an nsfs bind mount made for the first host-network
 * container) mounted after a clean shutdown, and a SIGKILL can leave overlay mounts; either
 * makes removing the root fail with EBUSY. Unmount everything under root, deepest first.
 */
async function unmountUnder(root: string): Promise<void> {
  const unescape = (m: string): string =>
    m.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => unescape(l.split(' ')[4] ?? ''))
    .filter((m) => m.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of points) {
    await new Promise<void>((resolve) =>
      spawn('umount', ['-l', m], { stdio: 'ignore' })
        .on('close', () => resolve())
        .on('error', () => resolve()),
    );
  }
}

export function startDockerd(opts: DockerdOptions & { tls: true }): Promise<TlsDockerdHandle>;
export function startDockerd(opts: DockerdOptions): Promise<DockerdHandle>;
export async function startDockerd(opts: DockerdOptions): Promise<DockerdHandle | TlsDockerdHandle> {
  const root = path.resolve(opts.root);
  const socketPath = path.join(root, 'docker.sock');
  const execRoot = path.join(root, 'exec');
  // containerd's socket lives under exec-root and is the longest path dockerd creates.
  const longest = path.join(execRoot, 'containerd', 'containerd.sock.ttrpc');
  if (longest.length >= UNIX_PATH_MAX) {
    throw new Error(
      `dockerd root ${root} is too long for unix sockets (${longest.length} chars); use a short dir like /tmp/rmd-XXXX`,
    );
  }
  mkdirSync(root, { recursive: true });
  const log = path.join(root, 'dockerd.log');
  const args = [
    '--iptables=false',
    '--bridge=none',
    '--data-root',
    path.join(root, 'data'),
    '--exec-root',
    execRoot,
    '--host',
    `unix://${socketPath}`,
    '--pidfile',
    path.join(root, 'pid'),
  ];
  const certs = opts.tls ? await makeTestCerts(path.join(root, 'certs')) : undefined;
  let tcpPort = 0;
  const tlsArgs = (): string[] =>
    certs
      ? [
          '--host',
          `tcp://127.0.0.1:${tcpPort}`,
          '--tlsverify',
          '--tlscacert',
          certs.caCert,
          '--tlscert',
          certs.server.cert,
          '--tlskey',
          certs.server.key,
        ]
      : [];
  const cleanups: Array<() => Promise<void>> = [];
  let cur: Proc | undefined;

  const entry: Tracked = {
    proc: () => cur,
    async stop() {
      if (!cur) return;
      // dockerd stops running containers on SIGTERM (no live-restore); give it time for that.
      await terminate(cur, 30_000);
      killOrphans(execRoot);
      await unmountUnder(root);
      for (const fn of cleanups) await fn().catch(() => undefined);
      untrack(entry);
    },
  };
  const ready = async (): Promise<boolean> =>
    (await dockerPing(socketPath)) && (!certs || (await dockerTlsPing(tcpPort, certs.client)));
  const handle: DockerdHandle = {
    socketPath,
    dockerHost: `unix://${socketPath}`,
    pid: 0,
    root,
    stop: () => entry.stop(),
    afterStop: (fn) => void cleanups.push(fn),
    async start() {
      if (cur && isRunning(cur)) return;
      // A TCP port from freePort() can be taken before dockerd binds it: the first start tries
      // up to three; a restart keeps its port (clients hold the address).
      const first = tcpPort === 0;
      for (let attempt = 1; ; attempt++) {
        if (certs && first && attempt > 1) tcpPort = 0;
        if (certs && tcpPort === 0) tcpPort = await freePort();
        cur = spawnDaemon('dockerd', [...args, ...tlsArgs()], log);
        track(entry);
        handle.pid = cur.child.pid ?? 0;
        try {
          await waitUntil('dockerd', cur, log, 60_000, ready);
          break;
        } catch (err) {
          const exited = !isRunning(cur);
          await handle.stop();
          if (!(certs && first && exited && attempt < 3)) throw err;
        }
      }
      if (certs) Object.assign(handle, { tcpPort, tcpHost: `tcp://127.0.0.1:${tcpPort}` });
    },
  };
  if (certs) Object.assign(handle, { certs });
  await handle.start();
  return handle;
}
