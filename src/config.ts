import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from './errors.js';
import { parseRedisUrl, REDIS_URL_EXAMPLES } from './redis-url.js';
import { SINK_VARIABLES, parseSinks } from './notify/sinks/index.js';

/**
 * Configuration comes only from the environment, is validated once at start, frozen and passed
 * down. Every error names the variable so the operator knows what to fix.
 */

/** The shortest webhook token, basic-auth or queue-UI password accepted (README says the same). */
export const MIN_SECRET_LENGTH = 16;
const Secret = Type.String({ minLength: MIN_SECRET_LENGTH });
const SECRET_HINT = `at least ${MIN_SECRET_LENGTH} characters (surrounding whitespace is trimmed)`;

/**
 * Secrets (and the user names beside them) lose surrounding whitespace: a secret file ends in
 * a newline, and Alertmanager trims its credentials_file the same way, so an untrimmed value
 * would make every delivery 401. Each secret may also come from `<NAME>_FILE`.
 */
const SINK_SECRETS = Object.keys(SINK_VARIABLES).filter((k) => SINK_VARIABLES[k]!.secret);
const SECRETS = [
  'WEBHOOK_TOKEN',
  'WEBHOOK_BASIC_PASSWORD',
  'ADMIN_PASSWORD',
  'OPERATOR_TOKEN',
  'SLACK_SIGNING_SECRET',
  ...SINK_SECRETS,
] as const;
const TRIMMED = new Set<string>([...SECRETS, 'WEBHOOK_BASIC_USER', 'ADMIN_USER']);

/** The notification sinks' own variables (each sink declares them in src/notify/sinks/<name>/). */
const SinkEnvSchema = Type.Object(
  Object.fromEntries(Object.entries(SINK_VARIABLES).map(([name, v]) => [name, Type.Optional(v.schema)])),
);

const Bool = Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')]);

const EnvSchema = Type.Object({
  PORT: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  WORKER_PORT: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  // The form (single, Sentinel, Cluster) is checked by parseRedisUrl below, with its own message.
  REDIS_URL: Type.Optional(Type.String({ minLength: 1 })),
  QUEUE_PREFIX: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
  DOCKER_HOST: Type.Optional(Type.String({ pattern: '^(unix|tcp|http|https|ssh)://' })),
  DOCKER_CERT_PATH: Type.Optional(Type.String({ minLength: 1 })),
  DOCKER_TLS_VERIFY: Type.Optional(Type.String()),
  WEBHOOK_TOKEN: Type.Optional(Secret),
  WEBHOOK_BASIC_USER: Type.Optional(Type.String({ minLength: 1 })),
  WEBHOOK_BASIC_PASSWORD: Type.Optional(Secret),
  WEBHOOK_AUTH_DISABLED: Type.Optional(Bool),
  WEBHOOK_BODY_LIMIT: Type.Optional(Type.String({ pattern: '^[0-9]{3,9}$' })),
  REMEDIATIONS_DIR: Type.Optional(Type.String({ minLength: 1 })),
  HOSTS_FILE: Type.Optional(Type.String({ minLength: 1 })),
  WORKER_CONCURRENCY: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
  LOG_LEVEL: Type.Optional(
    Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
  ),
  DRY_RUN: Type.Optional(Bool),
  OPT_IN_LABEL: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' })),
  EPISODE_TTL_SECONDS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,8}$' })),
  SHUTDOWN_TIMEOUT_SECONDS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$' })),
  PROMETHEUS_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  ALERTMANAGER_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  ALERTMANAGER_EXTERNAL_URL: Type.Optional(Type.String({ pattern: '^https?://[^/?#@]+(/[^?#]*)?$' })),
  ALERTMANAGER_UI: Type.Optional(Bool),
  SLACK_BOT_TOKEN: Type.Optional(Type.String({ pattern: '^xox[a-z]-' })),
  SLACK_WEBHOOK_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  SLACK_CHANNEL: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
  SLACK_API_URL: Type.Optional(Type.String({ pattern: '^https?://.*/$' })),
  HISTORY_RETENTION_SECONDS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,9}$' })),
  ADMIN_USER: Type.Optional(Type.String({ minLength: 1 })),
  ADMIN_PASSWORD: Type.Optional(Secret),
  MAX_IN_FLIGHT: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$' })),
  TARGET_LOCK_SECONDS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$' })),
  JOB_LOCK_SECONDS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$' })),
  // Beyond one machine (README "Beyond one machine"): which hosts a worker serves, how long a
  // host without a worker holds its jobs, its heartbeat, the fleet-wide in-flight cap.
  WORKER_HOSTS: Type.Optional(
    Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}(,[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127})*$' }),
  ),
  HOST_DOWN_ESCALATE_SECONDS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,6}$' })),
  HOST_HEARTBEAT_SECONDS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$' })),
  MAX_IN_FLIGHT_GLOBAL: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$' })),
  OPERATOR_TOKEN: Type.Optional(Secret),
  SLACK_SIGNING_SECRET: Type.Optional(Secret),
  APPROVAL_TIMEOUT_SECONDS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,5}$' })),
  APPROVAL_ABOVE_CONTAINERS: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
  MAX_DISRUPTIVE_PER_MINUTE: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
});

const hints: Record<string, string> = {
  PORT: 'a TCP port number, e.g. 9095',
  WORKER_PORT: 'a TCP port number, e.g. 9096',
  REDIS_URL: `a Redis URL, one of: ${REDIS_URL_EXAMPLES.join(', ')}`,
  QUEUE_PREFIX: 'letters, digits, _ and - only (no ":")',
  DOCKER_HOST: 'unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host',
  WEBHOOK_TOKEN: `${SECRET_HINT}, e.g. from openssl rand -hex 24; Alertmanager sends it as "Authorization: Bearer <token>"`,
  WEBHOOK_BASIC_PASSWORD: SECRET_HINT,
  WEBHOOK_AUTH_DISABLED: 'true or false',
  WEBHOOK_BODY_LIMIT: 'a size in bytes, e.g. 1048576',
  WORKER_CONCURRENCY: 'a whole number from 1 to 100',
  DRY_RUN: 'true or false',
  LOG_LEVEL: 'one of fatal, error, warn, info, debug, trace, silent',
  OPT_IN_LABEL: 'a Docker label name, e.g. remediator.enable',
  EPISODE_TTL_SECONDS: 'seconds, e.g. 2592000 (30 days)',
  SHUTDOWN_TIMEOUT_SECONDS: 'seconds, e.g. 30',
  PROMETHEUS_URL: 'an http(s):// URL, e.g. http://127.0.0.1:9090',
  ALERTMANAGER_URL: 'an http(s):// URL, e.g. http://127.0.0.1:9093',
  ALERTMANAGER_EXTERNAL_URL:
    "Alertmanager's address as people's browsers reach it, an http(s):// URL without credentials or query, e.g. https://alertmanager.example.com",
  ALERTMANAGER_UI: "true or false (false: the Alertmanager has no web UI, e.g. Debian's package)",
  SLACK_BOT_TOKEN: 'a Slack bot token (xoxb-...)',
  SLACK_WEBHOOK_URL: 'a Slack incoming webhook URL (https://hooks.slack.com/services/...)',
  SLACK_CHANNEL: 'a channel name or id, e.g. #oncall or C0123456',
  SLACK_API_URL: "Slack's Web API base URL ending in '/', e.g. https://slack.com/api/",
  HISTORY_RETENTION_SECONDS: 'seconds, e.g. 7776000 (90 days)',
  ADMIN_USER: 'the queue UI user name',
  ADMIN_PASSWORD: SECRET_HINT,
  MAX_IN_FLIGHT: 'a whole number, e.g. 10',
  TARGET_LOCK_SECONDS: 'seconds a per-target lock lasts before it expires, e.g. 600',
  JOB_LOCK_SECONDS: 'seconds before a job whose worker stopped answering runs again, e.g. 30',
  WORKER_HOSTS: 'host names of the hosts file, comma-separated, e.g. web-1,web-2 (as --host does)',
  HOST_DOWN_ESCALATE_SECONDS: 'seconds a job waits for a host with no worker before it escalates, e.g. 600',
  HOST_HEARTBEAT_SECONDS: 'seconds between worker heartbeats (the same in every process), e.g. 5',
  MAX_IN_FLIGHT_GLOBAL: 'a whole number: actions at once across every host, e.g. 50',
  OPERATOR_TOKEN: `${SECRET_HINT}; the bearer token of the operator API (approve, pause, reset), not the webhook's`,
  SLACK_SIGNING_SECRET: `${SECRET_HINT}; the Signing Secret of the Slack app (Basic Information), for Approve/Deny buttons`,
  APPROVAL_TIMEOUT_SECONDS: 'seconds a step waits for an approval before it escalates, e.g. 900',
  APPROVAL_ABOVE_CONTAINERS:
    'a whole number: disruptive steps on more containers than this need an approval (0: no such rule)',
  MAX_DISRUPTIVE_PER_MINUTE: 'a whole number of disruptive actions per minute across the fleet, e.g. 30 (0: no cap)',
};

/** What a process needs: the webhook secret is only demanded where HTTP is served. */
export type Role = 'http' | 'worker' | 'cli';

export interface Config {
  readonly port: number;
  /** Health and metrics listener of `remediator worker` (the worker role alone). */
  readonly workerPort: number;
  readonly host: string;
  readonly redisUrl: string;
  readonly queuePrefix: string;
  readonly dockerHost: string;
  readonly dockerCertPath: string | undefined;
  readonly dockerTlsVerify: boolean;
  readonly auth: Readonly<{
    disabled: boolean;
    token: string | undefined;
    basic: Readonly<{ user: string; password: string }> | undefined;
  }>;
  readonly bodyLimit: number;
  readonly remediationsDir: string;
  /** The hosts file (YAML: host names to engines); undefined: one host, `local`, from DOCKER_HOST. */
  readonly hostsFile: string | undefined;
  readonly workerConcurrency: number;
  readonly logLevel: string;
  readonly dryRun: boolean;
  readonly optInLabel: string;
  readonly episodeTtlSeconds: number;
  readonly shutdownTimeoutMs: number;
  readonly prometheusUrl: string | undefined;
  /** Alertmanager API, for silences while remediating. */
  readonly alertmanagerUrl: string | undefined;
  /**
   * Where Slack's links into Alertmanager point: `externalUrl` replaces the payload's
   * externalURL (often an internal host name); without a UI, no UI links are made.
   */
  readonly alertmanagerLinks: Readonly<{ externalUrl: string | undefined; ui: boolean }>;
  readonly slack: Readonly<{
    botToken: string | undefined;
    webhookUrl: string | undefined;
    defaultChannel: string | undefined;
    apiUrl: string;
  }>;
  readonly historyRetentionSeconds: number;
  /** Credentials of the queue UI under /admin (separate from the webhook's); absent: UI off. */
  readonly admin: Readonly<{ user: string; password: string }> | undefined;
  /** Actions in flight at once across all workers. */
  readonly maxInFlight: number;
  readonly targetLockMs: number;
  readonly jobLockMs: number;
  /**
   * Each configured notification sink's settings, by sink name (Slack's are `slack` above):
   * what its variables said, validated. A sink that is absent is off.
   */
  readonly sinks: Readonly<Record<string, unknown>>;
  /** Hosts a worker serves (`--host`, WORKER_HOSTS); undefined: every host of the hosts file. */
  readonly workerHosts: readonly string[] | undefined;
  /** How long a job waits for a host with no worker before it escalates (host_down). */
  readonly hostDownEscalateMs: number;
  /** Worker heartbeat interval; a host is down after three missed. */
  readonly hostHeartbeatMs: number;
  /** Actions in flight at once across every host; undefined: no fleet-wide cap. */
  readonly maxInFlightGlobal: number | undefined;
  /** Bearer token of the operator API (approvals, pauses, reset); absent: that API is off. */
  readonly operatorToken?: string | undefined;
  /** Slack app signing secret: verifies POST /slack/interactions; absent: that route is off. */
  readonly slackSigningSecret?: string | undefined;
  /** Approvals: how long a step waits for an answer, and the container count above which one is needed. */
  readonly approvals?: Readonly<{ timeoutMs: number; aboveContainers: number }>;
  /** Disruptive actions started per minute across the fleet (0: no cap). */
  readonly maxDisruptivePerMinute?: number;
}

const truthy = (v: string | undefined): boolean => v === 'true' || v === '1';

/** `<name>_FILE`: the secret read from that file, trimmed; undefined when the variable is unset. */
function secretFile(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const variable = `${name}_FILE`;
  const file = env[variable]?.trim();
  if (file === undefined || file === '') return undefined;
  if ((env[name]?.trim() ?? '') !== '') throw new ConfigError(variable, `set ${name} or ${variable}, not both`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError(variable, `cannot read ${file} (${code})`);
  }
  const value = text.trim();
  if (value === '') throw new ConfigError(variable, `${file} is empty (after trimming whitespace)`);
  return value;
}

/** Parse and validate the environment. Throws {@link ConfigError} naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv, roles: readonly Role[] = ['http', 'worker']): Config {
  const picked: Record<string, string> = {};
  for (const key of [...Object.keys(EnvSchema.properties), ...Object.keys(SINK_VARIABLES)]) {
    const value = TRIMMED.has(key) ? env[key]?.trim() : env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const fromFile = new Set<string>();
  for (const name of SECRETS) {
    const value = secretFile(env, name);
    if (value === undefined) continue;
    picked[name] = value;
    fromFile.add(name);
  }
  const first = Value.Errors(EnvSchema, picked).First() ?? Value.Errors(SinkEnvSchema, picked).First();
  if (first) {
    const variable = first.path.replace(/^\//, '') || 'environment';
    const hint = hints[variable] ?? SINK_VARIABLES[variable]?.hint ?? first.message;
    // A secret read from a file is named by the variable the operator set.
    if (fromFile.has(variable))
      throw new ConfigError(
        `${variable}_FILE`,
        SINK_VARIABLES[variable]
          ? `the file's content is not valid (expected ${hint})`
          : `the file's content is too short (expected ${SECRET_HINT})`,
      );
    throw new ConfigError(variable, `invalid value (expected ${hint})`);
  }
  const e = picked as Static<typeof EnvSchema>;

  if (e.REDIS_URL !== undefined) parseRedisUrl(e.REDIS_URL); // throws ConfigError('REDIS_URL', …)

  const port = Number(e.PORT ?? 9095);
  if (port > 65535) throw new ConfigError('PORT', `${port} is not a TCP port (0-65535; 0 picks a free one)`);
  const workerPort = Number(e.WORKER_PORT ?? 9096);
  if (workerPort > 65535)
    throw new ConfigError('WORKER_PORT', `${workerPort} is not a TCP port (0-65535; 0 picks a free one)`);
  const concurrency = Number(e.WORKER_CONCURRENCY ?? 4);
  if (concurrency < 1 || concurrency > 100) throw new ConfigError('WORKER_CONCURRENCY', 'must be from 1 to 100');

  if ((e.ADMIN_USER === undefined) !== (e.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError(
      e.ADMIN_USER === undefined ? 'ADMIN_USER' : 'ADMIN_PASSWORD',
      'the queue UI needs both ADMIN_USER and ADMIN_PASSWORD',
    );
  }
  if (e.SLACK_BOT_TOKEN !== undefined && e.SLACK_CHANNEL === undefined) {
    throw new ConfigError(
      'SLACK_CHANNEL',
      'set a default channel for SLACK_BOT_TOKEN (a remediation may override it with notify.channel)',
    );
  }
  const disabled = truthy(e.WEBHOOK_AUTH_DISABLED);
  if ((e.WEBHOOK_BASIC_USER === undefined) !== (e.WEBHOOK_BASIC_PASSWORD === undefined)) {
    throw new ConfigError(
      e.WEBHOOK_BASIC_USER === undefined ? 'WEBHOOK_BASIC_USER' : 'WEBHOOK_BASIC_PASSWORD',
      'basic auth needs both WEBHOOK_BASIC_USER and WEBHOOK_BASIC_PASSWORD',
    );
  }
  const basic =
    e.WEBHOOK_BASIC_USER !== undefined && e.WEBHOOK_BASIC_PASSWORD !== undefined
      ? Object.freeze({ user: e.WEBHOOK_BASIC_USER, password: e.WEBHOOK_BASIC_PASSWORD })
      : undefined;
  if (roles.includes('http') && !disabled && e.WEBHOOK_TOKEN === undefined && basic === undefined) {
    throw new ConfigError(
      'WEBHOOK_TOKEN',
      'not set: the webhook needs a secret (WEBHOOK_TOKEN or WEBHOOK_TOKEN_FILE, or WEBHOOK_BASIC_USER/WEBHOOK_BASIC_PASSWORD); ' +
        'set WEBHOOK_AUTH_DISABLED=true to run without authentication on a trusted network',
    );
  }

  if (e.OPERATOR_TOKEN !== undefined && [e.WEBHOOK_TOKEN, e.ADMIN_PASSWORD].includes(e.OPERATOR_TOKEN)) {
    throw new ConfigError(
      'OPERATOR_TOKEN',
      'must differ from WEBHOOK_TOKEN and ADMIN_PASSWORD: whoever can post alerts must not be able to approve or pause',
    );
  }

  return Object.freeze({
    port,
    workerPort,
    host: e.HOST ?? '127.0.0.1',
    redisUrl: e.REDIS_URL ?? 'redis://127.0.0.1:6379',
    queuePrefix: e.QUEUE_PREFIX ?? 'remediator',
    dockerHost: e.DOCKER_HOST ?? 'unix:///var/run/docker.sock',
    dockerCertPath: e.DOCKER_CERT_PATH,
    dockerTlsVerify: truthy(e.DOCKER_TLS_VERIFY),
    auth: Object.freeze({ disabled, token: e.WEBHOOK_TOKEN, basic }),
    bodyLimit: Number(e.WEBHOOK_BODY_LIMIT ?? 1_048_576),
    remediationsDir: e.REMEDIATIONS_DIR ?? 'remediations',
    hostsFile: e.HOSTS_FILE,
    workerConcurrency: concurrency,
    logLevel: e.LOG_LEVEL ?? 'info',
    dryRun: truthy(e.DRY_RUN),
    optInLabel: e.OPT_IN_LABEL ?? 'remediator.enable',
    episodeTtlSeconds: Number(e.EPISODE_TTL_SECONDS ?? 30 * 24 * 3600),
    shutdownTimeoutMs: Number(e.SHUTDOWN_TIMEOUT_SECONDS ?? 30) * 1000,
    prometheusUrl: e.PROMETHEUS_URL,
    alertmanagerUrl: e.ALERTMANAGER_URL,
    alertmanagerLinks: Object.freeze({
      externalUrl: e.ALERTMANAGER_EXTERNAL_URL,
      ui: e.ALERTMANAGER_UI === undefined ? true : truthy(e.ALERTMANAGER_UI),
    }),
    slack: Object.freeze({
      botToken: e.SLACK_BOT_TOKEN,
      webhookUrl: e.SLACK_WEBHOOK_URL,
      defaultChannel: e.SLACK_CHANNEL,
      apiUrl: e.SLACK_API_URL ?? 'https://slack.com/api/',
    }),
    historyRetentionSeconds: Number(e.HISTORY_RETENTION_SECONDS ?? 90 * 24 * 3600),
    admin:
      e.ADMIN_USER !== undefined && e.ADMIN_PASSWORD !== undefined
        ? Object.freeze({ user: e.ADMIN_USER, password: e.ADMIN_PASSWORD })
        : undefined,
    maxInFlight: Number(e.MAX_IN_FLIGHT ?? 10),
    targetLockMs: Number(e.TARGET_LOCK_SECONDS ?? 600) * 1000,
    jobLockMs: Number(e.JOB_LOCK_SECONDS ?? 30) * 1000,
    sinks: Object.freeze(parseSinks(picked)),
    workerHosts: e.WORKER_HOSTS !== undefined ? Object.freeze([...new Set(e.WORKER_HOSTS.split(','))]) : undefined,
    hostDownEscalateMs: Number(e.HOST_DOWN_ESCALATE_SECONDS ?? 600) * 1000,
    hostHeartbeatMs: Number(e.HOST_HEARTBEAT_SECONDS ?? 5) * 1000,
    maxInFlightGlobal: e.MAX_IN_FLIGHT_GLOBAL !== undefined ? Number(e.MAX_IN_FLIGHT_GLOBAL) : undefined,
    operatorToken: e.OPERATOR_TOKEN,
    slackSigningSecret: e.SLACK_SIGNING_SECRET,
    approvals: Object.freeze({
      timeoutMs: Number(e.APPROVAL_TIMEOUT_SECONDS ?? 900) * 1000,
      aboveContainers: Number(e.APPROVAL_ABOVE_CONTAINERS ?? 5),
    }),
    maxDisruptivePerMinute: Number(e.MAX_DISRUPTIVE_PER_MINUTE ?? 30),
  });
}
