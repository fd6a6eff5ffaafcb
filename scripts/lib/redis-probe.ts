// One-shot Redis commands for the daemon helpers' readiness probes: one connection, one
// command, no retries and a short connect timeout, so a probe never hangs a poll loop.
import { Redis } from 'ioredis';

/** Run one command on 127.0.0.1:port and close the connection. */
export async function nodeCommand(port: number, args: string[]): Promise<unknown> {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
    // A probe inside a poll must answer or fail: a server that never replies would hold the poll.
    commandTimeout: 10_000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await redis.call(args[0]!, ...args.slice(1));
  } finally {
    redis.disconnect();
  }
}

/** `key:value` lines (INFO, CLUSTER INFO) as a record. */
export async function infoRecord(port: number, args: string[]): Promise<Record<string, string>> {
  const text = String(await nodeCommand(port, args));
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
