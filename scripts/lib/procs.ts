// Child-process plumbing shared by the daemon helpers (Redis, Cluster, Sentinel, dockerd): every
// daemon is a direct child (argv arrays, never shell strings) so we know its pid and can wait for
// its exit; all of them are tracked so stopAll() and the exit hooks can reap them.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const SETPRIV = '/usr/bin/setpriv';

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
export interface Proc {
  child: ChildProcess;
  exited: Promise<void>;
  done: boolean;
}
/** Something stopAll() must stop: a daemon (proc() gives its child) or a clean-up (no child). */
export interface Tracked {
  proc(): Proc | undefined;
  stop(): Promise<void>;
}
const tracked = new Set<Tracked>();
let hooksInstalled = false;

/** Remember `t` so stopAll() and the exit hooks reap it; installs the hooks on first use. */
export function track(t: Tracked): void {
  installExitHooks();
  tracked.add(t);
}
export function untrack(t: Tracked): void {
  tracked.delete(t);
}

export function installExitHooks(): void {
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
export function spawnDaemon(cmd: string, args: string[], logFile: string): Proc {
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

export const isRunning = (p: Proc): boolean => !p.done && p.child.exitCode === null && p.child.signalCode === null;

/** SIGTERM, wait up to deadlineMs, then SIGKILL and wait again. */
export async function terminate(p: Proc, deadlineMs: number): Promise<void> {
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

export const tail = (file: string): Promise<string> =>
  readFile(file, 'utf8').then(
    (t) => t.split('\n').slice(-20).join('\n'),
    () => '(no log)',
  );

/** Poll `probe` until it returns true; fail early if the child dies. */
export async function waitUntil(
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

/**
 * Run a short command to completion (openssl, redis-cli, ip): bounded by `timeoutMs`, output
 * captured, never through a shell. Resolves with the exit code and the output; never rejects.
 */
export function runCommand(
  cmd: string,
  args: string[],
  timeoutMs = 30_000,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => (clearTimeout(timer), resolve({ code: null, out: `${out}${err.message}` })));
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, out })));
  });
}

/** Poll `probe` every 100 ms until it returns true; throws naming `what` after `timeoutMs`. */
export async function pollUntil(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      if (await probe()) return;
      last = '';
    } catch (err) {
      last = `: ${(err as Error).message}`;
    }
    if (Date.now() > deadline) throw new Error(`${what} not reached after ${timeoutMs} ms${last}`);
    await sleep(100);
  }
}
