// Builds and runs the processes under test as children of the bench: the real remediator as a
// user runs it in production (compiled JavaScript, `node dist/main.js start|serve`, like the
// Dockerfile) and the naive prototype, compiled the same way. A child keeps its memory and CPU
// apart from the load generator, so RSS is the service's alone.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** Under .tmp/ (gitignored, not linted), never dist/: bin/remediator.js prefers dist/ when it exists. */
export const BUILD_DIR = path.join(ROOT, '.tmp', 'bench-build');
export const SERVICE_MAIN = path.join(BUILD_DIR, 'src', 'main.js');
export const PROTOTYPE_MAIN = path.join(BUILD_DIR, 'bench', 'prototype.js');

const SETPRIV = '/usr/bin/setpriv';

/**
 * The Node options remediator ships with: the Dockerfile's `ENV NODE_OPTIONS="..."`, so the
 * bench measures the process a user's container runs.
 */
export function shippedNodeOptions(): string {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  return /^ENV\s+NODE_OPTIONS="([^"]*)"\s*$/m.exec(text)?.[1] ?? '';
}
const children = new Set<ChildProcess>();

/** SIGTERM every child still running; sync, so it also works from an 'exit' hook. */
export function killChildrenSync(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}

async function run(cmd: string, args: string[]): Promise<void> {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve, reject) => child.once('error', reject).once('exit', resolve));
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${code}`);
}

/** Compile src/ and the prototype without type checking (npm test does that); ~5-8 s. */
export async function build(): Promise<void> {
  await run(process.execPath, [
    path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    path.join(ROOT, 'bench', 'tsconfig.build.json'),
  ]);
  for (const f of [SERVICE_MAIN, PROTOTYPE_MAIN]) if (!existsSync(f)) throw new Error(`build did not produce ${f}`);
}

export interface Child {
  name: string;
  pid: number;
  url: string;
  logFile: string;
  /** Resident set size and its peak (VmRSS, VmHWM of /proc/<pid>/status) in MB (10^6 bytes, as the targets). */
  memory(): { rssMB: number; peakMB: number };
  /** CPU time used so far (user + system), ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

const tail = (file: string) => {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
};

/**
 * CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat. Unlike
 * req/s it barely moves when other work shares the machine, so it is the figure to compare
 * when the machine is busy. Linux reports it in clock ticks of 10 ms (USER_HZ = 100).
 */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function memoryOf(pid: number): { rssMB: number; peakMB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMB: (kb('VmRSS') * 1024) / 1e6, peakMB: (kb('VmHWM') * 1024) / 1e6 };
}

/**
 * Start `node <main> [args]` with `env`, logs to `logFile`, and wait until GET /healthz answers.
 * With setpriv the child also dies if the bench is SIGKILLed (PR_SET_PDEATHSIG).
 */
export async function startChild(opts: {
  name: string;
  main: string;
  args: string[];
  port: number;
  env: Record<string, string>;
  logFile: string;
  nodeArgs?: string[];
}): Promise<Child> {
  const fd = openSync(opts.logFile, 'a');
  const argv = [...(opts.nodeArgs ?? []), opts.main, ...opts.args];
  const [file, args] = existsSync(SETPRIV)
    ? [SETPRIV, ['--pdeathsig', 'SIGTERM', '--', process.execPath, ...argv]]
    : [process.execPath, argv];
  // Only what the child needs: PATH and HOME, plus its own configuration.
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    NODE_ENV: 'production',
    ...opts.env,
  };
  const child = spawn(file, args, { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()).once('error', () => resolve()));
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `${opts.name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail(opts.logFile)}`,
      );
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${opts.name} not ready after 30 s:\n${tail(opts.logFile)}`);
    }
    await sleep(50);
  }
  const pid = child.pid!;
  return {
    name: opts.name,
    pid,
    url,
    logFile: opts.logFile,
    memory: () => memoryOf(pid),
    cpuMs: () => cpuMsOf(pid),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const late = await Promise.race([exited.then(() => false), sleep(20_000, true)]);
        if (late) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      children.delete(child);
    },
  };
}
