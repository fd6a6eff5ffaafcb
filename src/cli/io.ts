import { coerceError, UnreachableError } from '../errors.js';
import { oneShotConnection, type RedisClient } from '../redis.js';
import { describeRedisUrl } from '../redis-url.js';

/** Where a command reads and writes: the process in main.ts, buffers in tests. */
export interface CliIO {
  out: { write(s: string): unknown; isTTY?: boolean };
  err: { write(s: string): unknown; isTTY?: boolean };
  stdin: AsyncIterable<Buffer | string> | Iterable<Buffer | string>;
  env: NodeJS.ProcessEnv;
}

export const processIO = (): CliIO => ({
  out: process.stdout,
  err: process.stderr,
  stdin: process.stdin,
  env: process.env,
});

/**
 * A Redis connection for a one-shot command: connect once, fail in seconds with a message an
 * operator can act on, never retry forever (a CLI that hangs is worse than one that says why).
 */
export async function connectRedis(url: string): Promise<RedisClient> {
  const redis = oneShotConnection(url);
  redis.on('error', () => undefined); // reported below, once
  try {
    await redis.connect();
    return redis;
  } catch (err) {
    redis.disconnect();
    // The URL may hold a password: show only where it points.
    throw new UnreachableError(
      `cannot reach Redis at ${describeRedisUrl(url)} (REDIS_URL): ${coerceError(err).message}`,
    );
  }
}

/** Read all of stdin, bounded so a runaway pipe cannot exhaust memory. */
export async function readAll(
  input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  maxBytes: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > maxBytes) throw new Error(`input is larger than ${maxBytes} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}
