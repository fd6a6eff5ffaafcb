/**
 * What `remediator --help`, `remediator <command> --help` and `--version` print. Kept apart from
 * the commands so help and version load nothing else (no Redis client, no Docker, no catalog).
 */
import { readFileSync } from 'node:fs';

/** Every command of the CLI, in the order the overview lists them. */
export const COMMANDS = [
  'start',
  'serve',
  'worker',
  'check',
  'simulate',
  'history',
  'report',
  'pause',
  'resume',
  'pauses',
  'approve',
  'deny',
  'approvals',
  'reset',
] as const;
export type CommandName = (typeof COMMANDS)[number];

export const isCommand = (s: string): s is CommandName => (COMMANDS as readonly string[]).includes(s);

/** The exit-code table, the same words in every usage text and in README.md. */
export const EXIT_CODES_TEXT =
  'exit codes: 0 ok, 1 problems found (invalid files or payload), 2 usage, 69 unavailable (Redis or\n' +
  'Docker out of reach), 78 configuration (the message names the variable).';

const ENV_NOTE =
  'Configuration comes from the environment (README.md lists every variable). check, simulate,\n' +
  'history, report and the operator commands also read .run/env of a stack `npm run up` started, for the\n' +
  'variables not set.';

const OPERATOR_NOTE =
  'Talks to Redis directly (REDIS_URL, QUEUE_PREFIX), like history: no API token needed where a\n' +
  'worker can reach Redis. Recorded in history (outcome operator) with --by (default: login@host).';

const RUNTIME = (what: string, extra: string) =>
  `${what}\n\nSIGTERM/SIGINT stop it gracefully; SIGHUP (or a file change) reloads remediations/.\n${extra}`;

export const USAGE: Record<CommandName, string> = {
  start: `usage: remediator start [--host H]...\n\n${RUNTIME(
    'HTTP (webhook, /healthz, /readyz, /metrics, /api/v1, /admin) and the worker in one process.',
    'Needs WEBHOOK_TOKEN (or WEBHOOK_BASIC_USER/WEBHOOK_BASIC_PASSWORD), REDIS_URL, DOCKER_HOST; listens on HOST:PORT.\n' +
      '--host H: the worker serves only these hosts of HOSTS_FILE, as for remediator worker.',
  )}`,
  serve: `usage: remediator serve\n\n${RUNTIME(
    'HTTP only (webhook, /healthz, /readyz, /metrics, /api/v1, /admin): enqueues jobs, never calls Docker.',
    'Stateless: run several behind a load balancer. Needs WEBHOOK_TOKEN and REDIS_URL; listens on HOST:PORT.',
  )}`,
  worker: `usage: remediator worker [--host H]...\n\n${RUNTIME(
    'The worker only: runs jobs against the Docker Engine and delivers notifications (every sink).',
    'Serves /healthz, /readyz and /metrics (nothing else) on HOST:WORKER_PORT (default 9096).\n' +
      'Needs REDIS_URL and DOCKER_HOST (the one process that needs the Docker socket).\n\n' +
      'Hosts (HOSTS_FILE maps host names to engines; README "Beyond one machine"):\n' +
      "  --host H   consume only host H's queue, over H's engine from the hosts file (on H itself: its\n" +
      '             local socket). Repeatable (--host a --host b, or --host a,b); WORKER_HOSTS=a,b says the same.\n' +
      '  without    serve every host of the hosts file (one worker reaching remote engines over TLS or\n' +
      '             SSH), or "local" (DOCKER_HOST) without a hosts file.\n' +
      'One BullMQ worker per host (WORKER_CONCURRENCY each); a heartbeat per host says it is served.\n' +
      'A host no worker serves holds its jobs, then escalates them after HOST_DOWN_ESCALATE_SECONDS (600).',
  )}`,
  check:
    'usage: remediator check [--dir DIR] [--rules DIR] [--json]\n\n' +
    'Validate remediations/ (or --dir, REMEDIATIONS_DIR) and alert-rules/ (or --rules; with promtool when\n' +
    'installed), and warn about remediations no rule triggers and rules no remediation handles.\n' +
    'Exit 0 when valid (warnings allowed), 1 when anything is invalid.',
  simulate:
    'usage: remediator simulate FILE|- [--json] [--dir DIR] [--notify]\n\n' +
    'What an Alertmanager payload (a file, or - for stdin) would do now: matches, targets, guards and\n' +
    "the worker's decision. Reads Redis and lists containers; writes nothing, enqueues nothing.\n" +
    '--notify also prints, one JSON line per request, what each configured notification sink (or,\n' +
    'with none, Slack) would send for each job (if it acts: when the action succeeds, and when it\n' +
    'escalates); nothing is sent.\n' +
    'Needs REDIS_URL and DOCKER_HOST (without Docker, targets are not looked up).',
  history:
    'usage: remediator history [--alertname NAME] [--remediation ID] [--target NAME] [--outcome OUTCOME]\n' +
    '                          [--since TIME] [--until TIME] [--limit N] [--cursor C] [--details] [--json]\n' +
    '  TIME: an ISO date, epoch ms, or an age such as 30m, 2h, 7d\n\n' +
    'Past remediations, newest first, from Redis (kept HISTORY_RETENTION_SECONDS): under each one, when the\n' +
    'alert resolved and the tail of exec output; --details adds every step of its story. Needs REDIS_URL.',
  report:
    'usage: remediator report [--since TIME] [--remediation ID] [--host HOST] [--json]\n' +
    '  TIME: an ISO date, epoch ms, or an age such as 24h, 7d (default 7d)\n\n' +
    'Did the fixes work? Per remediation, step and host: runs, success rate, verification pass rate,\n' +
    'time to first action, to verified and to resolved (MTTR), recurrence within 1h/24h, escalations,\n' +
    'cooldown/circuit/skip counts (the figures of GET /api/v1/stats). Needs REDIS_URL.',
  pause:
    'usage: remediator pause (--target HOST/NAME | --remediation ID | --all) --for DURATION --reason TEXT\n' +
    '                        [--by NAME] [--json]\n\n' +
    'Hold every job that would act on that target (a container or service name on a Docker host; NAME\n' +
    'alone is on the default host, HOST/* is all of it), that remediation, or everything (--all: the kill\n' +
    'switch). Held jobs wait, they are not dropped, and act once the pause ends (--for: 30m, 1h, 2d; at\n' +
    `most 7d) or is resumed. Every worker obeys it.\n${OPERATOR_NOTE}`,
  resume:
    'usage: remediator resume (--target HOST/NAME | --remediation ID | --all) [--reason TEXT] [--by NAME] [--json]\n\n' +
    'End a pause now: the jobs it held wake and act (each checks its alert still fires first).\n' +
    OPERATOR_NOTE,
  pauses: `usage: remediator pauses [--json]\n\nThe pauses in force: scope, until when, by whom, why.\n${OPERATOR_NOTE}`,
  approve:
    'usage: remediator approve ID --reason TEXT [--by NAME] [--json]\n\n' +
    'Approve a step that waits for a human (ID from Slack, remediator approvals or the job log): it\n' +
    `runs once its guards allow. Exit 1 when the approval is unknown, answered, expired or its job gone.\n${OPERATOR_NOTE}`,
  deny:
    'usage: remediator deny ID --reason TEXT [--by NAME] [--json]\n\n' +
    `Deny a step that waits for a human: it does not run, and the job ends refused.\n${OPERATOR_NOTE}`,
  approvals:
    'usage: remediator approvals [--all] [--json]\n\n' +
    `Steps waiting for an approval (--all: also those answered or expired, kept 7 days).\n${OPERATOR_NOTE}`,
  reset:
    'usage: remediator reset (--cooldown | --circuit) ID TARGET --reason TEXT [--by NAME] [--json]\n' +
    '  TARGET: [HOST/]NAME (a container), [HOST/]container/NAME, [HOST/]service/PROJECT/NAME,\n' +
    '          [HOST/]swarm/NAME or [HOST/]host: what the target resolved to\n\n' +
    're-arm remediation ID on TARGET: --cooldown ends its cooldown now (jobs waiting it out go on),\n' +
    '--circuit forgets the runs counted in its budget window and closes the circuit.\n' +
    OPERATOR_NOTE,
};

/** The first line of a command's usage: what an error message repeats. */
export const usageLine = (c: CommandName): string => USAGE[c].split('\n\n')[0]!;

export const OVERVIEW = `usage: remediator [command] [options]
       remediator <command> --help | --version

commands:
  start      HTTP webhook and worker in one process (default)
  serve      HTTP webhook only (enqueues jobs)
  worker     worker only (runs jobs against Docker; health and metrics on WORKER_PORT) [--host H]
  check      validate remediations/ and alert-rules/ [--dir DIR] [--rules DIR] [--json]
  simulate   FILE|-  what a payload would do now: matches, targets, guards [--json] [--dir DIR]
             [--notify]
  history    past remediations [--alertname --remediation --target --outcome --since --until
             --limit --cursor] [--details] [--json]
  report     did the fixes work: success, MTTR, recurrence [--since 7d] [--remediation] [--host] [--json]
  pause      hold jobs for a target, a remediation or --all (the kill switch) --for --reason
  resume     end a pause: held jobs act
  pauses     the pauses in force
  approve    ID --reason: let a step that waits for a human run
  deny       ID --reason: refuse it
  approvals  steps waiting for an approval [--all]
  reset      --cooldown|--circuit ID TARGET --reason: re-arm a remediation on a target

${EXIT_CODES_TEXT}

${ENV_NOTE}`;

/** The text for `remediator <command> --help`: the usage, then the shared notes. */
export function commandHelp(c: CommandName): string {
  return `${USAGE[c]}\n\n${EXIT_CODES_TEXT}\n\n${ENV_NOTE}`;
}

/** The version in package.json (src/ and dist/ both sit one folder below it). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** True when the arguments ask for help (before a `--`, which ends the options). */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}
