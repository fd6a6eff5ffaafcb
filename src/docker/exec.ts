import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { TransientError } from '../errors.js';
import { stopExec } from './exec-stop.js';
import type { ExecOptions, ExecResult } from './port.js';

/**
 * A supervised `docker exec`: a command that times out or is aborted is stopped inside the
 * container, and confirmed gone, before this returns. Dropping the stream alone would leave
 * the process running, and a retry would then run beside it.
 *
 * The command runs under a constant wrapper, `sh -c 'echo <marker>$$ >&2; exec "$@"' -- argv`:
 * the shell prints its own pid in the container and then becomes the command (same pid), so
 * the pid names the command itself. argv is passed as positional parameters, never spliced
 * into the script: nothing in it is interpreted by the shell. Containers without `sh` run the
 * command unwrapped. How a run is stopped (its whole process group, confirmed gone, or
 * ExecStillRunningError, which keeps the target locked and escalates): exec-stop.ts.
 */

const MARKER = 'remediator-exec-pid=';
const WRAPPER = `echo "${MARKER}$$" >&2; exec "$@"`;

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
    await stopExec(container, exec, pid, { user: o.user, argv: o.cmd });
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
