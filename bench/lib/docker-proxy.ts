// A unix-socket pass-through in front of dockerd that timestamps every Engine API request and
// its response head. It lets the bench see, on its own monotonic clock, the moment the
// remediator (a separate process) *starts* a Docker call, which no log line can give with
// sub-millisecond precision. The raw dockerode baseline goes through the same proxy, so both
// sides pay the same extra hop (a local socket copy, tens of microseconds).
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { nowMs } from './stats.js';

export interface ProxyCall {
  seq: number;
  method: string;
  path: string;
  /** Request head seen (ms, monotonic). */
  at: number;
  /** Response head seen, once it has been. */
  doneAt: number | undefined;
  status: number | undefined;
}

export interface DockerProxy {
  socketPath: string;
  dockerHost: string;
  /** Index to pass to next(): only calls made after this point count. */
  mark(): number;
  /** The first call after `from` that satisfies `match`, once its response head arrived. */
  next(from: number, match: (c: ProxyCall) => boolean, timeoutMs?: number): Promise<ProxyCall>;
  calls(from: number): ProxyCall[];
  close(): Promise<void>;
}

const REQUEST_LINE = /(GET|POST|PUT|DELETE|HEAD) (\/\S*) HTTP\/1\.[01]\r\n/g;

export async function startDockerProxy(opts: { socketPath: string; upstream: string }): Promise<DockerProxy> {
  const calls: ProxyCall[] = [];
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  const sockets = new Set<net.Socket>();
  rmSync(opts.socketPath, { force: true });

  const server = net.createServer((client) => {
    const upstream = net.connect(opts.upstream);
    sockets.add(client).add(upstream);
    const pending: ProxyCall[] = [];
    client.on('data', (chunk: Buffer) => {
      const at = nowMs();
      // Request heads start a chunk in practice (keep-alive requests are sequential per socket).
      for (const m of chunk.toString('latin1').matchAll(REQUEST_LINE)) {
        const call: ProxyCall = {
          seq: calls.length,
          method: m[1]!,
          path: m[2]!,
          at,
          doneAt: undefined,
          status: undefined,
        };
        calls.push(call);
        pending.push(call);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (chunk.subarray(0, 7).toString('latin1') !== 'HTTP/1.') return;
      const call = pending.shift();
      if (!call) return;
      call.doneAt = nowMs();
      call.status = Number(chunk.subarray(9, 12).toString('latin1'));
      bus.emit('done', call);
    });
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(opts.socketPath, () => resolve()));

  return {
    socketPath: opts.socketPath,
    dockerHost: `unix://${opts.socketPath}`,
    mark: () => calls.length,
    calls: (from) => calls.slice(from),
    next(from, match, timeoutMs = 30_000) {
      const found = calls.slice(from).find((c) => c.doneAt !== undefined && match(c));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          bus.off('done', onDone);
          reject(
            new Error(
              `no matching Docker call within ${timeoutMs} ms (seen since mark: ${
                calls
                  .slice(from)
                  .map((c) => `${c.method} ${c.path}`)
                  .join(', ') || 'none'
              })`,
            ),
          );
        }, timeoutMs);
        const onDone = (c: ProxyCall) => {
          if (c.seq < from || !match(c)) return;
          clearTimeout(timer);
          bus.off('done', onDone);
          resolve(c);
        };
        bus.on('done', onDone);
      });
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(opts.socketPath, { force: true });
    },
  };
}
