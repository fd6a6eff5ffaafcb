// Spawns the real `remediator` binary as a user runs it, collecting its JSON log lines.
import { spawn, type ChildProcess } from 'node:child_process';
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

/** `remediator <command> [...args]` with `env` (and PATH, HOME, PROMETHEUS_URL) only. */
export function spawnRemediator(command: string, env: Record<string, string>, args: string[] = []): Proc {
  const child = spawn(process.execPath, [BIN, command, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      LOG_LEVEL: 'info',
      // The shipped remediations verify with PromQL: the global set-up's (empty) Prometheus.
      PROMETHEUS_URL: inject('prometheusUrl'),
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
    kill: (signal = 'SIGTERM') => void child.kill(signal),
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
