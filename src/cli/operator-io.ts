import { hostQueues } from './host-queues.js';
import os from 'node:os';
import { loadConfig } from '../config.js';
import { BadInputError, UsageError } from '../errors.js';
import { createOperator, type Operator } from '../guards/operator.js';
import { createHistoryStore } from '../history/index.js';
import { wakeThrough } from '../queue/wake.js';
import { connectRedis, type CliIO } from './io.js';

/**
 * What the operator commands (pause, resume, approve, deny, reset) share: they talk to Redis
 * directly, like `history`, so they work wherever a worker can (no API or token to reach),
 * record what they did in history, and wake the jobs concerned through their host's queue.
 */

/** Who is acting: --by, else the login and machine (what history and Slack will show). */
export function whoFrom(by: string | undefined, env: NodeJS.ProcessEnv): string {
  if (by !== undefined) {
    const v = by.trim();
    if (v === '' || v.length > 200) throw new UsageError('--by: expected a name of 1 to 200 characters');
    return v;
  }
  const user = env.USER ?? env.LOGNAME ?? os.userInfo().username;
  return `${user}@${os.hostname()}`;
}

/** A required --reason: a human says why, for the next human. */
export function reasonFrom(reason: string | undefined, usage: string): string {
  const v = reason?.trim() ?? '';
  if (v === '') throw new UsageError(`--reason is required: say why, for whoever reads the history\n${usage}`);
  if (v.length > 1000) throw new UsageError('--reason: at most 1000 characters');
  return v;
}

/** Run `fn` with an operator on Redis; bad input (a target, a duration) is a usage error. */
export async function withOperator<T>(io: CliIO, fn: (op: Operator) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env, ['cli']);
  const redis = await connectRedis(config.redisUrl);
  const queues = hostQueues(redis, config.queuePrefix);
  const queueFor = queues.queueFor;
  try {
    const op = createOperator({
      redis,
      prefix: config.queuePrefix,
      history: createHistoryStore({
        redis,
        prefix: config.queuePrefix,
        retentionSeconds: config.historyRetentionSeconds,
      }),
      wake: wakeThrough(queueFor),
      jobState: (host, jobId) => queueFor(host).getJobState(jobId),
    });
    return await fn(op);
  } catch (err) {
    if (err instanceof BadInputError && !(err instanceof UsageError)) throw new UsageError(err.message);
    throw err;
  } finally {
    await queues.close();
    redis.disconnect();
  }
}

export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
