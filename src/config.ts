import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from './errors.js';
import { parseRedisUrl, REDIS_URL_EXAMPLES } from './redis-url.js';

/**
 * Configuration comes only from the environment, is validated once at start, frozen and passed
 * down. Every error names the variable so the operator knows what to fix.
 */
const Bool = Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')]);

const EnvSchema = Type.Object({
  PORT: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  // The form (single, Sentinel, Cluster) is checked by parseRedisUrl below, with its own message.
  REDIS_URL: Type.Optional(Type.String({ minLength: 1 })),
  QUEUE_PREFIX: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
  DOCKER_HOST: Type.Optional(Type.String({ pattern: '^(unix|tcp|http|https|ssh)://' })),
  DOCKER_CERT_PATH: Type.Optional(Type.String({ minLength: 1 })),
  DOCKER_TLS_VERIFY: Type.Optional(Type.String()),
  WEBHOOK_TOKEN: Type.Optional(Type.String({ minLength: 12 })),
  WEBHOOK_BASIC_USER: Type.Optional(Type.String({ minLength: 1 })),
  WEBHOOK_BASIC_PASSWORD: Type.Optional(Type.String({ minLength: 12 })),
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
  SLACK_BOT_TOKEN: Type.Optional(Type.String({ pattern: '^xox[a-z]-' })),
  SLACK_WEBHOOK_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  SLACK_CHANNEL: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
  SLACK_API_URL: Type.Optional(Type.String({ pattern: '^https?://.*/$' })),
  HISTORY_RETENTION_SECONDS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,9}$' })),
  ADMIN_USER: Type.Optional(Type.String({ minLength: 1 })),
  ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 12 })),
  MAX_IN_FLIGHT: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,3}$' })),
  TARGET_LOCK_SECONDS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$' })),
  JOB_LOCK_SECONDS: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,4}$' })),
});

const hints: Record<string, string> = {
  PORT: 'a TCP port number, e.g. 9095',
  REDIS_URL: `a Redis URL, one of: ${REDIS_URL_EXAMPLES.join(', ')}`,
  QUEUE_PREFIX: 'letters, digits, _ and - only (no ":")',
  DOCKER_HOST: 'unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host',
  WEBHOOK_TOKEN: 'at least 12 characters (24+ recommended); Alertmanager sends it as "Authorization: Bearer <token>"',
  WEBHOOK_BASIC_PASSWORD: 'at least 12 characters',
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
  SLACK_BOT_TOKEN: 'a Slack bot token (xoxb-...)',
  SLACK_WEBHOOK_URL: 'a Slack incoming webhook URL (https://hooks.slack.com/services/...)',
  SLACK_CHANNEL: 'a channel name or id, e.g. #oncall or C0123456',
  SLACK_API_URL: "Slack's Web API base URL ending in '/', e.g. https://slack.com/api/",
  HISTORY_RETENTION_SECONDS: 'seconds, e.g. 7776000 (90 days)',
  ADMIN_USER: 'the queue UI user name',
  ADMIN_PASSWORD: 'at least 12 characters',
  MAX_IN_FLIGHT: 'a whole number, e.g. 10',
  TARGET_LOCK_SECONDS: 'seconds a per-target lock lasts before it expires, e.g. 600',
  JOB_LOCK_SECONDS: 'seconds before a job whose worker stopped answering runs again, e.g. 30',
};

/** What a process needs: the webhook secret is only demanded where HTTP is served. */
export type Role = 'http' | 'worker' | 'cli';

export interface Config {
  readonly port: number;
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
}

const truthy = (v: string | undefined): boolean => v === 'true' || v === '1';

/** Parse and validate the environment. Throws {@link ConfigError} naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv, roles: readonly Role[] = ['http', 'worker']): Config {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const first = Value.Errors(EnvSchema, picked).First();
  if (first) {
    const variable = first.path.replace(/^\//, '') || 'environment';
    throw new ConfigError(variable, `invalid value (expected ${hints[variable] ?? first.message})`);
  }
  const e = picked as Static<typeof EnvSchema>;

  if (e.REDIS_URL !== undefined) parseRedisUrl(e.REDIS_URL); // throws ConfigError('REDIS_URL', …)

  const port = Number(e.PORT ?? 9095);
  if (port > 65535) throw new ConfigError('PORT', `${port} is not a TCP port (0-65535; 0 picks a free one)`);
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
      'not set: the webhook needs a secret (or WEBHOOK_BASIC_USER/WEBHOOK_BASIC_PASSWORD); ' +
        'set WEBHOOK_AUTH_DISABLED=true to run without authentication on a trusted network',
    );
  }

  return Object.freeze({
    port,
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
  });
}
