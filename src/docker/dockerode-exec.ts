/**
 * `exec` through dockerode: argv without a shell, output kept bounded (the tail), a timeout and
 * an abort that stop waiting. Its own file because the stream handling is the adapter's longest part.
 */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { TransientError } from '../errors.js';
import { call, mapDockerError } from './dockerode-errors.js';
import type { ExecOptions, ExecResult } from './port.js';

/** Keeps only the last `max` bytes written to it: exec output stays bounded in memory and in Redis. */
class TailBuffer {
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

export async function execIn(docker: Docker, id: string, o: ExecOptions): Promise<ExecResult> {
  const container = docker.getContainer(id);
  const exec = await call(`exec in ${id}`, () =>
    container.exec({
      Cmd: o.cmd,
      AttachStdout: true,
      AttachStderr: true,
      User: o.user,
      WorkingDir: o.workdir,
      Env: o.env,
    }),
  );
  const stream = await call(`exec in ${id}`, () => exec.start({ hijack: true, stdin: false }));
  const out = new TailBuffer(o.maxOutputBytes);
  const err = new TailBuffer(o.maxOutputBytes);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  docker.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new TransientError(`exec in ${id}: no exit after ${o.timeoutMs} ms (${o.cmd.join(' ')})`));
    }, o.timeoutMs);
    const onAbort = () => {
      clearTimeout(timer);
      stream.destroy();
      reject(new TransientError(`exec in ${id}: aborted`));
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('end', () => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    stream.on('error', (e) => {
      clearTimeout(timer);
      reject(mapDockerError(e, `exec in ${id}`));
    });
  });
  // The stream can end a moment before the engine records the exit code.
  let info = await call(`exec inspect in ${id}`, () => exec.inspect());
  for (let i = 0; info.Running && i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20));
    info = await call(`exec inspect in ${id}`, () => exec.inspect());
  }
  return {
    exitCode: info.ExitCode ?? -1,
    stdout: out.toString(),
    stderr: err.toString(),
    truncated: out.truncated || err.truncated,
  };
}
