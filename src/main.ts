import { parseArgs } from 'node:util';
import { loadRemediations } from './catalog/load.js';
import { loadConfig, type Role } from './config.js';
import { createRuntime } from './container.js';
import { CatalogError, ConfigError, coerceError } from './errors.js';
import { createLogger } from './observability/logger.js';

const USAGE = `usage: remediator [command]

commands:
  start      HTTP webhook and worker in one process (default)
  serve      HTTP webhook only (enqueues jobs)
  worker     worker only (runs jobs against Docker)
  check      validate remediations/ and exit (0 valid, 1 invalid)

configuration comes from the environment: PORT, HOST, REDIS_URL, DOCKER_HOST, WEBHOOK_TOKEN,
REMEDIATIONS_DIR, WORKER_CONCURRENCY, LOG_LEVEL, DRY_RUN (see README.md).`;

async function check(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { dir: { type: 'string' } }, allowPositionals: false });
  const config = loadConfig(process.env, ['cli']);
  const dir = values.dir ?? config.remediationsDir;
  try {
    const list = await loadRemediations(dir);
    for (const r of list) process.stdout.write(`ok  ${r.id}  ${r.action.type}  match ${r.match.join(', ')}\n`);
    process.stdout.write(`${list.length} remediation(s) valid in ${dir}\n`);
    return 0;
  } catch (err) {
    if (err instanceof CatalogError) {
      for (const p of err.problems) process.stderr.write(`error  ${p.file}  ${p.path}  ${p.reason}\n`);
      process.stderr.write(`${err.problems.length} problem(s) in ${dir}\n`);
      return 1;
    }
    throw err;
  }
}

async function run(command: string): Promise<number> {
  const roles = { start: { http: true, worker: true }, serve: { http: true, worker: false }, worker: { http: false, worker: true } }[
    command as 'start' | 'serve' | 'worker'
  ];
  const needs: Role[] = [...(roles.http ? (['http'] as const) : []), ...(roles.worker ? (['worker'] as const) : [])];
  const config = loadConfig(process.env, needs);
  const log = createLogger(config.logLevel);
  const runtime = await createRuntime(config, log, roles);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'signal received');
    // The deadline covers jobs finishing; past it (plus closing time) the process exits anyway.
    const hard = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 10_000);
    hard.unref();
    runtime.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err: coerceError(err).message }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await runtime.start();
  return -1; // keep running
}

async function main(): Promise<void> {
  const [command = 'start', ...rest] = process.argv.slice(2);
  try {
    if (command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    if (command === 'check') {
      process.exitCode = await check(rest);
      return;
    }
    if (command === 'start' || command === 'serve' || command === 'worker') {
      await run(command);
      return;
    }
    process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    process.exitCode = 2;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`remediator: configuration error: ${err.message}\n`);
      process.exitCode = 78; // EX_CONFIG
    } else if (err instanceof CatalogError) {
      process.stderr.write(`remediator: ${err.message}\n`);
      process.exitCode = 78;
    } else {
      process.stderr.write(`remediator: ${coerceError(err).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
    // A half-started runtime may hold sockets open; the exit code is what matters now.
    setTimeout(() => process.exit(), 100).unref();
  }
}

void main();
