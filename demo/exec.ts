// Running things inside the demo's containers through the Engine API (no docker CLI): a
// command's exit code and output, fault.sh, and the demultiplexing of a container's logs.
import type Docker from 'dockerode';

/** Run a command in a container; resolves with its exit code and output. */
export async function execIn(
  docker: Docker,
  container: string,
  cmd: string[],
  timeoutMs = 15_000,
): Promise<{ exitCode: number; output: string }> {
  const exec = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  let output = '';
  const sink = { write: (c: Buffer) => ((output += c.toString()), true) } as unknown as NodeJS.WritableStream;
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => (stream.destroy(), reject(new Error(`${cmd.join(' ')} in ${container}: no exit after ${timeoutMs} ms`))),
      timeoutMs,
    );
    stream.on('end', () => (clearTimeout(timer), resolve()));
    stream.on('error', (err) => (clearTimeout(timer), reject(err)));
  });
  let info = await exec.inspect();
  for (let i = 0; info.Running && i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20));
    info = await exec.inspect();
  }
  return { exitCode: info.ExitCode ?? -1, output };
}

/** The logs of a container without a TTY: frames of [stream, 0, 0, 0, size (BE32)] + payload. */
export function demux(buf: Buffer): string {
  let out = '';
  for (let i = 0; i + 8 <= buf.length;) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return out;
}

/** Run demo/app/fault.sh in a container; a non-zero exit is an error carrying its output. */
export async function fault(docker: Docker, container: string, args: string[]): Promise<void> {
  const r = await execIn(docker, container, ['sh', '/app/fault.sh', ...args]);
  if (r.exitCode !== 0)
    throw new Error(`fault.sh ${args.join(' ')} in ${container} failed (${r.exitCode}): ${r.output.trim()}`);
}
