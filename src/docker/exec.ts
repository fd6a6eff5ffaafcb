import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { ExecStillRunningError, TransientError } from '../errors.js';
import type { ExecOptions, ExecResult } from './port.js';

/**
 * A supervised `docker exec`: a command that times out or is aborted is stopped inside the
 * container, and confirmed gone, before this returns. Dropping the stream alone would leave
 * the process running, and a retry would then run beside it.
 *
 * The command runs under a constant wrapper, `sh -c 'echo <marker>$$ >&2; exec "$@"' -- argv`:
 * the shell prints its own pid in the container and then becomes the command (same pid), so
 * the pid names the command itself. argv is passed as positional parameters, never spliced
 * into the script: nothing in it is interpreted by the shell. To stop it: SIGTERM, then
 * SIGKILL, each through another exec of `kill`, until Docker says the exec is no longer
 * running. Containers without `sh` run the command unwrapped; there, a stop uses the exec's
 * host pid when this process can signal it (a worker beside its engine) and otherwise reports
 * ExecStillRunningError, which keeps the target locked and escalates.
 */

const MARKER = 'remediator-exec-pid=';
const WRAPPER = `echo "${MARKER}$$" >&2; exec "$@"`;
const STOP_GRACE_MS = 2_000;
const KILL_CONFIRM_MS = 3_000;

/** Keeps only the last `max` bytes written to it: exec output stays bounded in memory and in Redis. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 0) {
      const head = this.chunks[0]!;
      const excess = this.size - this.max;
      this.truncated = true;
      if (head.length <= excess) {
        this.chunks.shift();
        this.size -= head.length;
      } else {
        this.chunks[0] = head.subarray(excess);
        this.size -= excess;
      }
    }
  }
  toString(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads the wrapper's pid line off the front of stderr (`input`) and passes the rest to `output`. */
function pidReader(onPid: (pid: number) => void): { input: PassThrough; output: PassThrough } {
  let head: Buffer | undefined = Buffer.alloc(0);
  const input = new PassThrough();
  const output = new PassThrough();
  input.on('data', (c: Buffer) => {
    if (head === undefined) return void output.write(c);
    head = Buffer.concat([head, c]);
    const nl = head.indexOf(10);
    if (nl < 0 && head.length < 64) return;
    const line = head.subarray(0, nl < 0 ? head.length : nl);
    const rest = nl < 0 ? Buffer.alloc(0) : head.subarray(nl + 1);
    head = undefined;
    if (line.toString().startsWith(MARKER)) onPid(Number(line.toString().slice(MARKER.length)));
    else output.write(nl < 0 ? line : Buffer.concat([line, Buffer.from('\n')]));
    if (rest.length > 0) output.write(rest);
  });
  input.on('end', () => {
    if (head && head.length > 0) output.write(head);
    output.end();
  });
  return { input, output };
}

async function running(exec: Docker.Exec): Promise<boolean> {
  try {
    return (await exec.inspect()).Running;
  } catch {
    return false; // the exec (or its container) is gone
  }
}

async function waitStopped(exec: Docker.Exec, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (!(await running(exec))) return true;
    if (Date.now() > until) return false;
    await sleep(100);
  }
}

/** Signal a pid inside the container through another (short, bounded) exec of `kill`. */
async function signalInContainer(container: Docker.Container, pid: number, signal: 'TERM' | 'KILL'): Promise<void> {
  const k = await container.exec({ Cmd: ['kill', `-${signal}`, String(pid)], AttachStdout: true, AttachStderr: true });
  const s = await k.start({ hijack: true, stdin: false });
  await Promise.race([new Promise((r) => s.on('end', r).on('error', r)), sleep(2_000)]);
  s.destroy();
}

/** Stop a running exec and confirm it is gone; throws ExecStillRunningError when it cannot. */
export async function stopExec(container: Docker.Container, exec: Docker.Exec, pid: number | undefined): Promise<void> {
  if (pid !== undefined && pid > 0) {
    await signalInContainer(container, pid, 'TERM').catch(() => undefined);
    if (await waitStopped(exec, STOP_GRACE_MS)) return;
    await signalInContainer(container, pid, 'KILL').catch(() => undefined);
    if (await waitStopped(exec, KILL_CONFIRM_MS)) return;
  } else {
    // Unwrapped: the exec's host pid, when this process shares the engine's pid namespace.
    const hostPid = (await exec.inspect().catch(() => undefined))?.Pid;
    if (hostPid && existsSync(`/proc/${hostPid}`)) {
      try {
        process.kill(hostPid, 'SIGKILL');
      } catch {
        /* not ours to signal */
      }
      if (await waitStopped(exec, KILL_CONFIRM_MS)) return;
    }
  }
  throw new ExecStillRunningError(
    `exec ${exec.id.slice(0, 12)} could not be confirmed stopped; its target stays locked until the lock expires`,
  );
}

async function startOnce(
  container: Docker.Container,
  o: ExecOptions,
  wrapped: boolean,
): Promise<ExecResult & { wrapperMissing: boolean }> {
  const exec = await container.exec({
    Cmd: wrapped ? ['sh', '-c', WRAPPER, 'remediator-exec', ...o.cmd] : o.cmd,
    AttachStdout: true,
    AttachStderr: true,
    User: o.user,
    WorkingDir: o.workdir,
    Env: o.env,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new TailBuffer(o.maxOutputBytes);
  const err = new TailBuffer(o.maxOutputBytes);
  let pid: number | undefined;
  const stdout = new PassThrough();
  const stderr = wrapped ? pidReader((p) => void (pid = p)) : { input: new PassThrough(), output: undefined };
  stdout.on('data', (c: Buffer) => out.push(c));
  (stderr.output ?? stderr.input).on('data', (c: Buffer) => err.push(c));
  container.modem.demuxStream(stream, stdout, stderr.input);
  const ended = new Promise<'ended'>((resolve, reject) => {
    stream.on('end', () => resolve('ended'));
    stream.on('error', reject);
  });
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<'timeout' | 'aborted'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), o.timeoutMs);
    onAbort = () => resolve('aborted');
    if (o.signal?.aborted) resolve('aborted');
    else o.signal?.addEventListener('abort', onAbort, { once: true });
  });
  const why = await Promise.race([ended, stop]).finally(() => {
    clearTimeout(timer);
    if (onAbort) o.signal?.removeEventListener('abort', onAbort);
  });
  if (why !== 'ended') {
    // Stop the process inside the container and confirm it is gone before anyone goes on.
    await stopExec(container, exec, pid);
    stream.destroy();
    const what = why === 'timeout' ? `no exit after ${o.timeoutMs} ms` : 'aborted';
    throw new TransientError(`exec in ${container.id.slice(0, 12)}: ${what} (${o.cmd.join(' ')}); stopped`);
  }
  // The stream can end a moment before the engine records the exit code.
  let info = await exec.inspect();
  for (let i = 0; info.Running && i < 50; i++) {
    await sleep(20);
    info = await exec.inspect();
  }
  const exitCode = info.ExitCode ?? -1;
  return {
    exitCode,
    stdout: out.toString(),
    stderr: err.toString(),
    truncated: out.truncated || err.truncated,
    // sh itself could not be started (126/127, no pid line): the image has no shell.
    wrapperMissing: wrapped && pid === undefined && (exitCode === 126 || exitCode === 127),
  };
}

/** Run a command in a container, supervised (see the file comment). */
export async function supervisedExec(container: Docker.Container, o: ExecOptions): Promise<ExecResult> {
  const { wrapperMissing, ...result } = await startOnce(container, o, true);
  if (!wrapperMissing) return result;
  const { wrapperMissing: _unused, ...plain } = await startOnce(container, o, false);
  return plain;
}
