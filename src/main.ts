// First: before anything loads dockerode (see the file).
import './docker/lazy-modules.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { commandHelp, isCommand, OVERVIEW, usageLine, version, wantsHelp, type CommandName } from './cli/help.js';
import { processIO, type CliIO } from './cli/io.js';
import { withStackEnv } from './cli/stack-env.js';
import { EXIT } from './cli/term.js';
import { loadConfig, type Role } from './config.js';
import { CatalogError, ConfigError, coerceError, UnreachableError, UsageError } from './errors.js';
import { createLogger, secretsOf } from './observability/logger.js';

// One-shot commands load only what they use: a CLI should answer quickly.
const ONE_SHOT: Partial<Record<CommandName, (argv: string[], io: CliIO) => Promise<number>>> = {
  check: async (argv, io) => (await import('./cli/check.js')).checkCommand(argv, io),
  simulate: async (argv, io) => (await import('./cli/simulate.js')).simulateCommand(argv, io),
  history: async (argv, io) => (await import('./cli/history.js')).historyCommand(argv, io),
  report: async (argv, io) => (await import('./cli/report.js')).reportCommand(argv, io),
  pause: async (argv, io) => (await import('./cli/pause.js')).pauseCommand(argv, io),
  resume: async (argv, io) => (await import('./cli/pause.js')).resumeCommand(argv, io),
  pauses: async (argv, io) => (await import('./cli/pause.js')).pausesCommand(argv, io),
  approve: async (argv, io) => (await import('./cli/approve.js')).answerCommand('approve', argv, io),
  deny: async (argv, io) => (await import('./cli/approve.js')).answerCommand('deny', argv, io),
  approvals: async (argv, io) => (await import('./cli/approve.js')).approvalsCommand(argv, io),
  reset: async (argv, io) => (await import('./cli/reset.js')).resetCommand(argv, io),
};

const PACKAGE_ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `--host H` (repeatable) of `worker` and `start`: the hosts served, as WORKER_HOSTS says it. */
function hostFlags(command: 'start' | 'serve' | 'worker', argv: string[]): string[] {
  if (argv.length === 0) return [];
  if (command === 'serve') throw new UsageError(`unexpected argument "${argv[0]}"\n${usageLine(command)}`);
  const { values, positionals } = parseArgs({
    args: argv,
    options: { host: { type: 'string', multiple: true } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"\n${usageLine(command)}`);
  const hosts = (values.host ?? []).flatMap((h) => h.split(',')).map((h) => h.trim());
  if (hosts.some((h) => h === '')) throw new UsageError(`--host needs a host name\n${usageLine(command)}`);
  return hosts;
}

async function run(command: 'start' | 'serve' | 'worker', argv: string[]): Promise<number> {
  const roles = {
    start: { http: true, worker: true },
    serve: { http: true, worker: false },
    worker: { http: false, worker: true },
  }[command];
  const needs: Role[] = [...(roles.http ? (['http'] as const) : []), ...(roles.worker ? (['worker'] as const) : [])];
  // --host overrides WORKER_HOSTS; both are validated (and named in errors) by loadConfig.
  const hosts = hostFlags(command, argv);
  const config = loadConfig(hosts.length > 0 ? { ...process.env, WORKER_HOSTS: hosts.join(',') } : process.env, needs);
  // Every line is scrubbed of the secrets this configuration holds, whatever carries them.
  const log = createLogger(config.logLevel, { secrets: secretsOf(config) });
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

/** Node's parseArgs messages carry a tip about `--` that only confuses; keep the first sentence. */
function parseErrorText(err: Error): string {
  return err.message.split(/\.\s/)[0]!.replace(/\.$/, '');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const [command = 'start', ...rest] = argv;
  const out = process.stdout;
  try {
    if (command === '--version' || command === '-V' || command === 'version') {
      out.write(`remediator ${version()}\n`);
      return;
    }
    if (command === 'help' || command === '--help' || command === '-h') {
      const topic = rest[0];
      if (topic !== undefined && !isCommand(topic)) {
        process.stderr.write(`remediator help: unknown command "${topic}"\n${OVERVIEW}\n`);
        process.exitCode = EXIT.usage;
        return;
      }
      out.write(`${topic ? commandHelp(topic) : OVERVIEW}\n`);
      return;
    }
    if (!isCommand(command)) {
      process.stderr.write(`remediator: unknown command "${command}"\n${OVERVIEW}\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    if (wantsHelp(rest)) {
      out.write(`${commandHelp(command)}\n`);
      return;
    }
    const oneShot = ONE_SHOT[command];
    if (oneShot) {
      const io = processIO();
      const stack = withStackEnv(io.env, { cwd: process.cwd(), packageRoot: PACKAGE_ROOT });
      if (stack.note) io.err.write(`${stack.note}\n`);
      process.exitCode = await oneShot(rest, { ...io, env: stack.env });
      // A one-shot command is done: a socket a library still holds must not keep it alive.
      setTimeout(() => process.exit(), 2_000).unref();
      return;
    }
    await run(command as 'start' | 'serve' | 'worker', rest);
  } catch (err) {
    const code = (err as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      const usage = isCommand(command) ? usageLine(command) : OVERVIEW;
      process.stderr.write(
        `remediator ${command}: ${parseErrorText(err as Error)}\n${usage}\n(remediator ${command} --help says more)\n`,
      );
      process.exitCode = EXIT.usage;
    } else if (err instanceof UsageError) {
      process.stderr.write(`remediator ${command}: ${err.message}\n`);
      process.exitCode = EXIT.usage;
    } else if (err instanceof UnreachableError) {
      process.stderr.write(`remediator ${command}: ${err.message}\n`);
      process.exitCode = EXIT.unavailable;
    } else if (err instanceof ConfigError) {
      process.stderr.write(`remediator: configuration error: ${err.message}\n`);
      process.exitCode = EXIT.config;
    } else if (err instanceof CatalogError) {
      process.stderr.write(`remediator: ${err.message}\n`);
      process.exitCode = EXIT.config;
    } else {
      process.stderr.write(`remediator: ${coerceError(err).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
    // A half-started runtime may hold sockets open; the exit code is what matters now.
    setTimeout(() => process.exit(), 100).unref();
  }
}

void main();
