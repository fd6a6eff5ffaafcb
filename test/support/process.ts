// Spawns the real `remediator` binary as a user runs it, collecting its JSON log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';

export const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'remediator.js');

export interface Proc {
  child: ChildProcess;
  output(): string;
  lines(): Record<string, any>[];
  /** Resolves with the first log line satisfying `pred`, or rejects after `timeoutMs`. */
  waitForLine(pred: (l: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * `remediator <command> [...args]` with `env` (and PATH, HOME, PROMETHEUS_URL) only.
 * `ownPidNamespace`: run it under `unshare --pid --fork --mount-proc`, as a worker in a
 * container of its own sees the engine's processes: not at all. Signals from kill() go to
 * remediator itself (unshare does not pass them on).
 */
/** The run's Prometheus inside vitest; outside it (bench/redis-cost.ts) the caller says. */
function setUpPrometheus(): string {
  try {
    return inject('prometheusUrl');
  } catch {
    return '';
  }
}

export function spawnRemediator(
  command: string,
  env: Record<string, string>,
  opts: string[] | { ownPidNamespace?: boolean; args?: string[] } = {},
): Proc {
  const { ownPidNamespace = false, args: extra = [] } = Array.isArray(opts) ? { args: opts } : opts;
  const argv = [process.execPath, BIN, command, ...extra];
  const [file, ...args] = ownPidNamespace ? ['unshare', '--pid', '--fork', '--mount-proc', ...argv] : argv;
  const child = spawn(file!, args, {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      LOG_LEVEL: 'info',
      // The shipped remediations verify with PromQL: the global set-up's (empty) Prometheus.
      ...(env.PROMETHEUS_URL === undefined && { PROMETHEUS_URL: setUpPrometheus() }),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (c: Buffer) => {
    out += c.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, any>;
        } catch {
          return {};
        }
      });
  return {
    child,
    output: () => out,
    lines,
    exited,
    kill(signal = 'SIGTERM') {
      if (!ownPidNamespace || child.pid === undefined) return void child.kill(signal);
      // unshare's one child is remediator (pid 1 in its namespace).
      let inner: number | undefined;
      try {
        inner = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]);
      } catch {
        inner = undefined;
      }
      try {
        if (inner) process.kill(inner, signal);
        else child.kill(signal);
      } catch {
        /* gone already */
      }
    },
    waitForLine(pred, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines().find(pred);
          if (hit) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no matching log line within ${timeoutMs} ms; output:\n${out.slice(-3000)}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}
