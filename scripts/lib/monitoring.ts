// Starts the real monitoring programs (Debian's prometheus, prometheus-alertmanager and
// prometheus-node-exporter) on 127.0.0.1 with private ports and data folders, for the
// end-to-end tests and the demo. Same rules as daemons.ts: argv arrays (no shell), direct
// children whose pid we know, a readiness wait, stop() by pid. It also holds the
// configuration builders, so the tests and `npm run up` run the same configuration.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
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

// ---- configuration --------------------------------------------------------------------------

export interface ScrapeJob {
  job: string;
  targets: string[];
  /** Keep only series whose `label` matches `regex` (e.g. one mountpoint of node_exporter). */
  keep?: { label: string; regex: string };
}

/** prometheus.yml: scrape and evaluation interval, rule files, the Alertmanager, the jobs. */
export function prometheusConfig(o: {
  interval: string;
  ruleFiles: string[];
  alertmanager: string;
  jobs: ScrapeJob[];
}): string {
  return stringify({
    global: { scrape_interval: o.interval, evaluation_interval: o.interval, scrape_timeout: o.interval },
    rule_files: o.ruleFiles,
    alerting: { alertmanagers: [{ static_configs: [{ targets: [o.alertmanager] }] }] },
    scrape_configs: o.jobs.map((j) => ({
      job_name: j.job,
      static_configs: [{ targets: j.targets }],
      ...(j.keep && {
        metric_relabel_configs: [{ source_labels: [j.keep.label], regex: j.keep.regex, action: 'keep' }],
      }),
    })),
  });
}

/**
 * alertmanager.yml: every alert goes to remediator's webhook (bearer token read from a file),
 * one group per alert unless `groupBy` says otherwise, resolved notifications on. The timings are parameters: the tests use
 * ~1 s, examples/alertmanager.yml explains production values.
 */
export function alertmanagerConfig(o: {
  webhookUrl: string;
  tokenFile: string;
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
  /** Labels that group alerts into one notification; default `['...']` (one group per alert). */
  groupBy?: string[];
}): string {
  return stringify({
    route: {
      receiver: 'remediator',
      group_by: o.groupBy ?? ['...'],
      group_wait: o.groupWait,
      group_interval: o.groupInterval,
      repeat_interval: o.repeatInterval,
    },
    receivers: [
      {
        name: 'remediator',
        webhook_configs: [
          {
            url: o.webhookUrl,
            send_resolved: true,
            max_alerts: 100,
            http_config: { authorization: { type: 'Bearer', credentials_file: o.tokenFile } },
          },
        ],
      },
    ],
  });
}

/**
 * A copy of a rule file with shorter timings, for tests and the fast demo: every `for:` becomes
 * `forDuration` and every range selector (`[2m]`) becomes `range`. Thresholds, labels and
 * annotations stay as they are; nothing else changes.
 */
export function shortenRules(text: string, o: { forDuration: string; range: string }): string {
  const doc = parse(text) as { groups: { name: string; rules: Record<string, unknown>[] }[] };
  if (!Array.isArray(doc?.groups)) throw new Error('not a Prometheus rule file: no "groups" list');
  for (const g of doc.groups) {
    for (const r of g.rules) {
      if (r.for !== undefined) r.for = o.forDuration;
      if (typeof r.expr === 'string') r.expr = r.expr.replace(/\[\s*[0-9]+(ms|s|m|h|d|w|y)\s*\]/g, `[${o.range}]`);
    }
  }
  return stringify(doc);
}
