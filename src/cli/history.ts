import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import {
  createHistoryStore,
  parseHistoryFilter,
  type HistoryOutcome,
  type HistoryPage,
  type RawHistoryFilter,
} from '../history/index.js';
import { storyLines } from './history-story.js';
import { connectRedis, type CliIO } from './io.js';
import { usageLine } from './help.js';

import { EXIT, paintFor, plural, table, type Paint } from './term.js';
import { HistoryFilterError, UsageError } from '../errors.js';

export const HISTORY_USAGE = usageLine('history');

const FILTERS = ['alertname', 'remediation', 'target', 'outcome', 'since', 'until', 'limit', 'cursor'] as const;

function outcomeColour(o: HistoryOutcome, p: Paint): string {
  if (o === 'succeeded') return p.green(o);
  if (o === 'failed' || o === 'refused' || o === 'escalated' || o === 'circuit_open') return p.red(o);
  if (o === 'queued' || o === 'skipped' || o === 'cancelled') return p.dim(o);
  return p.yellow(o);
}

const when = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * The history page as a table, newest first, with the command for the next page. Under a row,
 * its story lines (history-story.ts): resolved, re-fired, exec output; all of it with details.
 */
export function renderHistory(
  page: HistoryPage,
  p: Paint,
  nextCommand: string | undefined,
  opts: { details?: boolean } = {},
): string {
  if (page.records.length === 0) return `${p.dim('no remediations recorded for this filter')}\n`;
  const rows = [
    ['TIME', 'REMEDIATION', 'ALERT', 'TARGET', 'OUTCOME', 'TRIES', 'SUMMARY'].map((h) => p.bold(h)),
    ...page.records.map((r) => [
      when(r.receivedAt),
      r.phase === 'resolve' ? `${r.remediation} (resolve)` : r.remediation,
      r.alertname,
      r.target || '-',
      outcomeColour(r.outcome, p),
      String(r.attempts),
      clip(r.summary.replace(/\s+/g, ' '), 120),
    ]),
  ];
  const [head, ...body] = table(rows);
  const lines = [
    head!,
    ...body.flatMap((line, i) => [line, ...storyLines(page.records[i]!, p, opts.details === true)]),
    '',
    `${plural(page.records.length, 'record')}${page.nextCursor ? ', more:' : ''}`,
  ];
  if (page.nextCursor && nextCommand) lines.push(`  ${nextCommand}`);
  return `${lines.join('\n')}\n`;
}

/** `remediator history`: exit 0 with a page (even an empty one), 69 when Redis is unreachable, 2 for a bad filter. */
export async function historyCommand(argv: string[], io: CliIO): Promise<number> {
  const options = Object.fromEntries(FILTERS.map((f) => [f, { type: 'string' as const }]));
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...options, json: { type: 'boolean' }, details: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"\n${HISTORY_USAGE}`);
  const raw = values as RawHistoryFilter & { json?: boolean; details?: boolean };
  let filter;
  try {
    filter = parseHistoryFilter(raw);
  } catch (err) {
    if (err instanceof HistoryFilterError) throw new UsageError(`--${err.message}\n${HISTORY_USAGE}`);
    throw err;
  }
  const config = loadConfig(io.env, ['cli']);
  const redis = await connectRedis(config.redisUrl);
  try {
    const store = createHistoryStore({
      redis,
      prefix: config.queuePrefix,
      retentionSeconds: config.historyRetentionSeconds,
    });
    const page = await store.query(filter);
    if (raw.json) {
      io.out.write(`${JSON.stringify(page, null, 2)}\n`);
      return EXIT.ok;
    }
    const args = FILTERS.filter((f) => f !== 'cursor' && raw[f] !== undefined).map(
      (f) => `--${f} ${JSON.stringify(raw[f])}`,
    );
    if (raw.details) args.push('--details');
    const next = page.nextCursor ? ['remediator history', ...args, `--cursor ${page.nextCursor}`].join(' ') : undefined;
    io.out.write(renderHistory(page, paintFor(io.out, io.env), next, { details: raw.details === true }));
    return EXIT.ok;
  } finally {
    redis.disconnect();
  }
}
