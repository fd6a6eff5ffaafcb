// Starts real Redis and Docker Engine daemons for tests, benchmarks and the local `up` script.
// Every daemon is a direct child (argv arrays, never shell strings) so we know its pid and can
// wait for its exit; all of them are tracked so stopAll() and the exit hooks can reap them.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Docker from 'dockerode';

const SETPRIV = '/usr/bin/setpriv';
const UNIX_PATH_MAX = 100; // sun_path is 108 bytes; keep a margin for containerd's ".ttrpc" suffix

/** Ask the OS for a free 127.0.0.1 port (racy by nature; startRedis retries on a bind clash). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

// ---- child tracking -------------------------------------------------------------------------

/** A spawned daemon; `done` also covers spawn failures (ENOENT), which never set exitCode. */
interface Proc {
  child: ChildProcess;
  exited: Promise<void>;
  done: boolean;
}
interface Tracked {
  proc(): Proc | undefined;
  stop(): Promise<void>;
}
const tracked = new Set<Tracked>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' also fires on uncaught exceptions and process.exit(); only sync work is possible
  // there, so just SIGTERM: both daemons then shut down cleanly on their own.
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, function onSignal() {
      killAllSync();
      // If nobody else handles the signal, restore the default behaviour (die by the signal).
      if (process.listenerCount(sig) > 1) return;
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    });
  }
}

function killAllSync(): void {
  for (const t of tracked) {
    const p = t.proc();
    if (p && isRunning(p)) {
      try {
        p.child.kill('SIGTERM');
      } catch {
        /* already gone */
      }
    }
  }
}

/** Stop every daemon this process started (graceful, in parallel). */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...tracked].map((t) => t.stop()));
}

/**
 * Spawn `cmd args` with its output appended to logFile. When setpriv is present the child also
 * gets PR_SET_PDEATHSIG=SIGTERM, which covers the case no hook can: the parent being SIGKILLed.
 */
function spawnDaemon(cmd: string, args: string[], logFile: string): Proc {
  const fd = openSync(logFile, 'a');
  const [file, argv] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'SIGTERM', '--', cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { stdio: ['ignore', fd, fd] }); // the child keeps its own copy
  closeSync(fd);
  const proc: Proc = { child, exited: Promise.resolve(), done: false };
  proc.exited = new Promise<void>((resolve) => {
    const end = (): void => void ((proc.done = true), resolve());
    child.once('exit', end).once('error', end);
  });
  return proc;
}

const isRunning = (p: Proc): boolean => !p.done && p.child.exitCode === null && p.child.signalCode === null;

/** SIGTERM, wait up to deadlineMs, then SIGKILL and wait again. */
async function terminate(p: Proc, deadlineMs: number): Promise<void> {
  const { child, exited } = p;
  if (!isRunning(p)) return;
  child.kill('SIGTERM');
  // The deadline timer must be cancelled: a pending 30 s timer keeps vitest's process alive.
  const ac = new AbortController();
  const deadline = sleep(deadlineMs, true, { signal: ac.signal }).catch(() => false);
  const timedOut = await Promise.race([exited.then(() => false), deadline]);
  ac.abort();
  if (timedOut && isRunning(p)) {
    child.kill('SIGKILL');
    await exited;
  }
}

const tail = (file: string): Promise<string> =>
  readFile(file, 'utf8').then(
    (t) => t.split('\n').slice(-20).join('\n'),
    () => '(no log)',
  );

/** Poll `probe` until it returns true; fail early if the child dies. */
async function waitUntil(
  what: string,
  p: Proc,
  log: string,
  timeoutMs: number,
  probe: () => Promise<boolean>,
): Promise<void> {
  const { child } = p;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isRunning(p))
      throw new Error(
        `${what} exited (code ${child.exitCode}, signal ${child.signalCode}) before it was ready:\n${await tail(log)}`,
      );
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs} ms:\n${await tail(log)}`);
    await sleep(50);
  }
}

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

export async function startRedis(opts: { dir: string; port?: number; aof?: boolean }): Promise<RedisHandle> {
  installExitHooks();
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
      tracked.delete(entry);
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
      tracked.add(entry);
      await launch();
      handle.pid = cur.child.pid ?? 0;
    },
  };
  tracked.add(entry);
  await launch().catch((err) => {
    tracked.delete(entry);
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
}

function dockerPing(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
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

export async function startDockerd(opts: { root: string }): Promise<DockerdHandle> {
  installExitHooks();
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
  let cur: Proc | undefined;

  const entry: Tracked = {
    proc: () => cur,
    async stop() {
      if (!cur) return;
      // dockerd stops running containers on SIGTERM (no live-restore); give it time for that.
      await terminate(cur, 30_000);
      killOrphans(execRoot);
      await unmountUnder(root);
      tracked.delete(entry);
    },
  };
  const handle: DockerdHandle = {
    socketPath,
    dockerHost: `unix://${socketPath}`,
    pid: 0,
    root,
    stop: () => entry.stop(),
    async start() {
      if (cur && isRunning(cur)) return;
      cur = spawnDaemon('dockerd', args, log);
      tracked.add(entry);
      handle.pid = cur.child.pid ?? 0;
      try {
        await waitUntil('dockerd', cur, log, 60_000, () => dockerPing(socketPath));
      } catch (err) {
        await handle.stop();
        throw err;
      }
    },
  };
  await handle.start();
  return handle;
}

// ---- busybox test image ---------------------------------------------------------------------

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
