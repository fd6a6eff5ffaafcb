import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { HistoryFilterError, UsageError } from '../errors.js';
import { DEFAULT_STATS_SINCE, statsQueryOf } from '../http/routes/stats.js';
import { createStatsReader } from '../stats/index.js';
import { usageLine } from './help.js';
import { connectRedis, type CliIO } from './io.js';
import { renderReport } from './report-view.js';
import { EXIT, paintFor } from './term.js';

/**
 * `remediator report [--since 7d] [--remediation R] [--host H] [--json]`: did the fixes work?
 * The same figures as GET /api/v1/stats, read from the rollups in Redis. Exit 0 with a report
 * (even an empty one), 2 for a bad option, 69 when Redis is out of reach.
 */
export async function reportCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      since: { type: 'string' },
      remediation: { type: 'string' },
      host: { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"\n${usageLine('report')}`);
  let q;
  try {
    q = statsQueryOf(values);
  } catch (err) {
    if (err instanceof HistoryFilterError) throw new UsageError(`--${err.message}\n${usageLine('report')}`);
    throw err;
  }
  const config = loadConfig(io.env, ['cli']);
  const redis = await connectRedis(config.redisUrl);
  try {
    const report = await createStatsReader({ redis, prefix: config.queuePrefix }).query(q);
    io.out.write(
      values.json
        ? `${JSON.stringify(report, null, 2)}\n`
        : renderReport(report, paintFor(io.out, io.env), values.since ?? DEFAULT_STATS_SINCE),
    );
    return EXIT.ok;
  } finally {
    redis.disconnect();
  }
}
