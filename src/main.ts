import { processIO } from './cli/io.js';
import { EXIT } from './cli/term.js';
import { loadConfig, type Role } from './config.js';

import { CatalogError, ConfigError, coerceError, UnreachableError, UsageError } from './errors.js';

import { createLogger } from './observability/logger.js';

const USAGE = `usage: remediator [command]

commands:
  start      HTTP webhook and worker in one process (default)
  serve      HTTP webhook only (enqueues jobs)
  worker     worker only (runs jobs against Docker)
  check      validate remediations/, alert-rules/ and the hosts file [--dir DIR] [--rules DIR] [--hosts FILE] [--json]
  simulate   FILE|-  what a payload would do now: matches, targets, guards [--json] [--dir DIR]
  history    past remediations [--alertname --remediation --target --outcome --since --until
             --limit --cursor] [--json]

exit codes: 0 ok, 1 problems found, 2 usage, 78 configuration.
SIGHUP (or a file change) reloads remediations/ in a running start/serve/worker.

configuration comes from the environment: PORT, HOST, REDIS_URL, DOCKER_HOST, WEBHOOK_TOKEN,
REMEDIATIONS_DIR, WORKER_CONCURRENCY, LOG_LEVEL, DRY_RUN (see README.md).`;

// One-shot commands load only what they use: a CLI should answer quickly.
const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  check: async (argv) => (await import('./cli/check.js')).checkCommand(argv, processIO()),
  simulate: async (argv) => (await import('./cli/simulate.js')).simulateCommand(argv, processIO()),
  history: async (argv) => (await import('./cli/history.js')).historyCommand(argv, processIO()),
};

async function run(command: string): Promise<number> {
  const roles = {
    start: { http: true, worker: true },
    serve: { http: true, worker: false },
    worker: { http: false, worker: true },
  }[command as 'start' | 'serve' | 'worker'];
  const needs: Role[] = [...(roles.http ? (['http'] as const) : []), ...(roles.worker ? (['worker'] as const) : [])];
  const config = loadConfig(process.env, needs);
  const log = createLogger(config.logLevel);
  const { createRuntime } = await import('./container.js');
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
  // SIGHUP reloads remediations/; a broken file is logged and the running catalog kept.
  process.on('SIGHUP', () => void runtime.reload('SIGHUP'));
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
    if (Object.hasOwn(COMMANDS, command)) {
      process.exitCode = await COMMANDS[command]!(rest);
      // A one-shot command is done: a socket a library still holds must not keep it alive.
      setTimeout(() => process.exit(), 2_000).unref();
      return;
    }
    if (command === 'start' || command === 'serve' || command === 'worker') {
      await run(command);
      return;
    }
    process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    process.exitCode = EXIT.usage;
  } catch (err) {
    const code = (err as { code?: unknown } | undefined)?.code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_'))) {
      process.stderr.write(`remediator ${command}: ${(err as Error).message}\n`);
      process.exitCode = EXIT.usage;
    } else if (err instanceof UnreachableError) {
      process.stderr.write(`remediator ${command}: ${err.message}\n`);
      process.exitCode = EXIT.problems;
    } else if (err instanceof ConfigError) {
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
