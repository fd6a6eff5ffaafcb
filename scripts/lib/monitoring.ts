// Starts the real monitoring programs (Debian's prometheus, prometheus-alertmanager and
// prometheus-node-exporter) on 127.0.0.1 with private ports and data folders, for the
// end-to-end tests and the demo. Same rules as daemons.ts: argv arrays (no shell), direct
// children whose pid we know, a readiness wait, stop() by pid; and the probes that tell which
// of their pages answer. The configuration builders are in monitoring-config.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './daemons.js';

const SETPRIV = '/usr/bin/setpriv';

export interface MonitorHandle {
  name: string;
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  pid: number;
  dir: string;
  stop(): Promise<void>;
}

interface Proc {
  child: ChildProcess;
  exited: Promise<void>;
  done: boolean;
}
const running = new Set<Proc>();
let exitHook = false;

// Only an 'exit' hook (sync: SIGTERM to what is left); signal handlers stay with daemons.ts
// so the two modules do not fight over re-raising the signal. setpriv's PDEATHSIG covers a
// parent that dies without running any hook.
function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const p of running)
      if (!p.done)
        try {
          p.child.kill('SIGTERM');
        } catch {
          /* gone */
        }
  });
}

function spawnLogged(cmd: string, args: string[], log: string): Proc {
  const fd = openSync(log, 'a');
  const [file, argv] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'SIGTERM', '--', cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const proc: Proc = { child, exited: Promise.resolve(), done: false };
  proc.exited = new Promise<void>((resolve) => {
    const end = (): void => void ((proc.done = true), running.delete(proc), resolve());
    child.once('exit', end).once('error', end);
  });
  running.add(proc);
  return proc;
}

async function terminate(p: Proc, deadlineMs: number): Promise<void> {
  if (p.done) return;
  p.child.kill('SIGTERM');
  const ac = new AbortController();
  const late = await Promise.race([
    p.exited.then(() => false),
    sleep(deadlineMs, true, { signal: ac.signal }).catch(() => false),
  ]);
  ac.abort();
  if (late && !p.done) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
}

const tail = (file: string): Promise<string> =>
  readFile(file, 'utf8').then(
    (t) => t.split('\n').slice(-15).join('\n'),
    () => '(no log)',
  );

async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
  await res?.body?.cancel();
  return res?.status === 200;
}

/**
 * Start `cmd` with the args for a port and wait until `readyPath` answers 200. A free port can
 * be taken by someone else before the daemon binds it: then retry with another one (unless
 * the caller chose the port).
 */
async function startDaemon(
  name: string,
  cmd: string,
  args: (port: number) => string[],
  opts: { dir: string; port?: number; readyPath: string; timeoutMs?: number },
): Promise<MonitorHandle> {
  installExitHook();
  mkdirSync(opts.dir, { recursive: true });
  const log = path.join(opts.dir, `${name}.log`);
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const url = `http://127.0.0.1:${port}`;
    const p = spawnLogged(cmd, args(port), log);
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    let failure: string | undefined;
    for (;;) {
      if (p.done) {
        failure = `${name} exited (code ${p.child.exitCode}) before it was ready`;
        break;
      }
      if (await httpOk(url + opts.readyPath)) break;
      if (Date.now() > deadline) {
        failure = `${name} not ready on ${url} after ${opts.timeoutMs ?? 30_000} ms`;
        break;
      }
      await sleep(100);
    }
    if (failure === undefined) {
      return { name, port, url, pid: p.child.pid ?? 0, dir: opts.dir, stop: () => terminate(p, 10_000) };
    }
    await terminate(p, 2000);
    if (opts.port !== undefined || attempt >= 3) throw new Error(`${failure}:\n${await tail(log)}`);
  }
}

/** Prometheus with `config` (YAML text) and `files` (rule files, relative to its folder). */
export async function startPrometheus(opts: {
  dir: string;
  config: string;
  files?: Record<string, string>;
  port?: number;
}): Promise<MonitorHandle> {
  mkdirSync(opts.dir, { recursive: true });
  const config = path.join(opts.dir, 'prometheus.yml');
  writeFileSync(config, opts.config);
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(path.join(opts.dir, name), text);
  return startDaemon(
    'prometheus',
    'prometheus',
    (port) => [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(opts.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { dir: opts.dir, port: opts.port, readyPath: '/-/ready' },
  );
}

/** Alertmanager with `config` (YAML text), no cluster (a test wanting an HA pair passes peers itself). */
export async function startAlertmanager(opts: {
  dir: string;
  config: string;
  port?: number;
  args?: string[];
}): Promise<MonitorHandle> {
  mkdirSync(opts.dir, { recursive: true });
  const config = path.join(opts.dir, 'alertmanager.yml');
  writeFileSync(config, opts.config);
  return startDaemon(
    'alertmanager',
    'prometheus-alertmanager',
    (port) => [
      `--config.file=${config}`,
      `--storage.path=${path.join(opts.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(opts.args ?? ['--cluster.listen-address=']),
    ],
    { dir: opts.dir, port: opts.port, readyPath: '/-/ready' },
  );
}

/** node_exporter; `args` e.g. ['--collector.disable-defaults', '--collector.filesystem']. */
export async function startNodeExporter(opts: { dir: string; port?: number; args?: string[] }): Promise<MonitorHandle> {
  return startDaemon(
    'node-exporter',
    'prometheus-node-exporter',
    (port) => [`--web.listen-address=127.0.0.1:${port}`, ...(opts.args ?? [])],
    { dir: opts.dir, port: opts.port, readyPath: '/metrics' },
  );
}

// The configuration builders live in monitoring-config.ts (pure); re-exported for callers.
export * from './monitoring-config.js';

// ---- probes ---------------------------------------------------------------------------------

/**
 * The first of `urls` that answers 2xx (redirects followed), or undefined. What `up` and the
 * demo print: Debian's Prometheus 2.42 serves /classic/alerts but no /alerts, so the page
 * to show depends on the build.
 */
export async function firstAnswering(urls: string[], init: RequestInit = {}): Promise<string | undefined> {
  for (const url of urls) {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(3000) }).catch(() => undefined);
    await res?.body?.cancel();
    if (res && res.status >= 200 && res.status < 300) return url;
  }
  return undefined;
}

/** Prometheus' alerts page: the current UI's, else the classic one (Debian's package). */
export const prometheusAlertsPage = (base: string): Promise<string | undefined> =>
  firstAnswering([`${base}/alerts`, `${base}/classic/alerts`]);

/**
 * Whether an Alertmanager serves its web UI. Debian's package has none: `/` is a placeholder
 * page (200) and the UI's script.js is missing, so the UI's own file is what is asked.
 */
export const alertmanagerHasUi = async (base: string): Promise<boolean> =>
  (await firstAnswering([`${base}/script.js`])) !== undefined;
