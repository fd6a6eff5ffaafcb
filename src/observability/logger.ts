// The one logger of a process, and the reason a secret never reaches a log line. Three layers,
// each catching what the one before may miss:
// 1. serializers: a request is logged as method + route (never its URL: the query string or
//    an unknown path can hold a token), an error without the raw bytes or HTTP config that
//    some errors carry (Node's parser puts the whole request in `rawPacket`);
// 2. redact paths: Authorization-like headers and secret-named fields, wherever an object
//    carrying them is logged (compiled once, redact.ts: pino's own redact re-parsed them per line);
// 3. a last pass over every serialized line: the secrets this process was configured with
//    (webhook token, passwords, Slack token and webhook URL, every notification sink's secrets:
//    routing keys, webhook URLs, the HMAC secret; passwords in URLs), and any
//    `scheme://user:password@` in the text, are replaced before the line is written.
import pino, { type Logger } from 'pino';
import type { Config } from '../config.js';
import { SINK_VARIABLES, sinkSecrets } from '../notify/sinks/index.js';
import { compileRedactor } from './redact.js';

const CENSOR = '[redacted]';

// Header names that carry credentials; `*.headers.x` also covers `req.headers`, `err.headers`, ...
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key'];
const headerPaths = (base: string) => SECRET_HEADERS.map((h) => `${base}["${h}"]`);

/** Paths pino blanks out wherever they appear: tokens and webhook URLs never reach a log line. */
export const REDACT_PATHS = [
  ...headerPaths('headers'),
  ...headerPaths('*.headers'),
  ...headerPaths('*.*.headers'),
  'authorization',
  'cookie',
  'rawPacket',
  '*.rawPacket',
  'config.auth',
  'config.admin',
  'config.slack',
  'auth.token',
  'auth.basic',
  'token',
  'password',
  'webhookUrl',
  'slackToken',
  'botToken',
  'slack.botToken',
  'slack.webhookUrl',
  'admin.password',
  '*.token',
  '*.password',
  '*.webhookUrl',
  '*.botToken',
  // Notification sinks' settings: routing keys, webhook URLs, the HMAC secret.
  'config.sinks',
  'sinks',
  'routingKey',
  'routing_key',
  'secret',
  '*.routingKey',
  '*.routing_key',
  '*.secret',
  // The environment, if someone ever logs it.
  ...[
    'WEBHOOK_TOKEN',
    'WEBHOOK_BASIC_PASSWORD',
    'ADMIN_PASSWORD',
    'SLACK_BOT_TOKEN',
    'SLACK_WEBHOOK_URL',
    ...Object.keys(SINK_VARIABLES).filter((v) => SINK_VARIABLES[v]!.secret),
  ].flatMap((v) => [v, `*.${v}`]),
];

// Fields of an error that hold a whole request (bytes, headers, HTTP client config), not a reason.
const ERROR_BAGGAGE = ['rawPacket', 'config', 'request', 'response', 'headers', 'options'];

interface LoggedRequest {
  method?: string;
  routeOptions?: { url?: string };
}

/** Serializers Fastify takes over (its own `req` logs the raw URL, query string included). */
export const serializers = {
  req: (req: LoggedRequest) => ({ method: req.method, route: req.routeOptions?.url ?? '(no route)' }),
  res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
  err: (err: Error) => {
    const out = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
    for (const key of ERROR_BAGGAGE) delete out[key];
    return out;
  },
};

// `scheme://user:password@`: the password goes, the user stays (it says which account).
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:"]*:)[^\s/?#@"]+@/gi;
// Shorter values are not scrubbed from text: they would blank out ordinary words.
const MIN_SCRUB_LENGTH = 6;

/** The last pass over a serialized line (exported for its unit test). */
export function scrubber(secrets: readonly (string | undefined)[]): (line: string) => string {
  const needles = new Set<string>();
  for (const s of secrets) {
    if (s === undefined || s.length < MIN_SCRUB_LENGTH) continue;
    needles.add(s);
    // As it appears inside a JSON string (quotes, backslashes, control characters escaped).
    needles.add(JSON.stringify(s).slice(1, -1));
  }
  // Longest first, so a secret that contains another is replaced whole.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  return (line) => {
    let out = line;
    for (const n of ordered) if (out.includes(n)) out = out.split(n).join(CENSOR);
    return out.includes('://') ? out.replace(URL_CREDENTIALS, `$1${CENSOR}@`) : out;
  };
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

function urlSecrets(value: string | undefined): string[] {
  if (value === undefined) return [];
  try {
    const u = new URL(value);
    return u.password ? [u.password, decodeURIComponent(u.password)] : [];
  } catch {
    return [];
  }
}

/** Every secret value a configuration holds, in the forms a log line could show it. */
export function secretsOf(config: Config): string[] {
  const out: (string | undefined)[] = [
    config.auth.token,
    config.slack.botToken,
    config.operatorToken,
    config.slackSigningSecret,
  ];
  for (const pair of [config.auth.basic, config.admin]) {
    if (!pair) continue;
    out.push(pair.password, b64(`${pair.user}:${pair.password}`));
  }
  const hook = config.slack.webhookUrl;
  if (hook !== undefined) {
    out.push(hook);
    // The path is the secret of an incoming webhook (https://hooks.slack.com/services/T/B/secret).
    try {
      const path = new URL(hook).pathname;
      if (path.length > 1) out.push(path);
    } catch {
      /* validated as http(s):// at start; nothing more to find */
    }
  }
  for (const u of [config.redisUrl, config.dockerHost, config.alertmanagerUrl, config.prometheusUrl])
    out.push(...urlSecrets(u));
  // Routing keys, webhook URLs (and their secret paths), the webhook sink's HMAC secret.
  if (config.sinks) out.push(...sinkSecrets(config));
  return out.filter((s): s is string => s !== undefined && s !== '');
}

export interface LoggerOptions {
  /** Where lines go (tests); stdout otherwise. */
  destination?: pino.DestinationStream;
  /** Values scrubbed from every line: {@link secretsOf} the process' configuration. */
  secrets?: readonly string[];
}

const redact = compileRedactor(REDACT_PATHS, CENSOR);

/**
 * The redact paths over a log object or child bindings. Keys with a serializer are left to it:
 * pino runs serializers after this, on the original value (an Error must reach `err` whole).
 */
function redactFields(obj: Record<string, unknown>): Record<string, unknown> {
  let plain: Record<string, unknown> | undefined;
  for (const key of Object.keys(obj)) if (Object.hasOwn(serializers, key)) (plain ??= { ...obj })[key] = undefined;
  if (!plain) return redact(obj);
  const out = { ...redact(plain) };
  for (const key of Object.keys(serializers)) if (Object.hasOwn(obj, key)) out[key] = obj[key];
  return out;
}

/** Each serializer's output goes through the paths as if it sat at its key. */
const redactedSerializers: Record<string, pino.SerializerFn> = Object.fromEntries(
  Object.entries(serializers as Record<string, pino.SerializerFn>).map(([key, fn]) => [
    key,
    (value: unknown) => redact({ [key]: fn(value) })[key],
  ]),
);

export function createLogger(level: string, opts: LoggerOptions = {}): Logger {
  const scrub = scrubber(opts.secrets ?? []);
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'remediator' },
    serializers: redactedSerializers,
    hooks: { streamWrite: scrub },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: redactFields,
    },
  };
  if (opts.destination) return redactingChildren(pino(options, opts.destination));
  // Pretty output only for a human at a terminal; JSON everywhere else.
  if (process.stdout.isTTY && process.env.LOG_FORMAT !== 'json') {
    return redactingChildren(
      pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss' } } }),
    );
  }
  return redactingChildren(pino(options));
}

/**
 * pino gives child bindings no formatter of ours (a child resets it), so the paths are applied
 * as the child is made. Children are made from their parent's prototype: they inherit this.
 */
function redactingChildren(logger: Logger): Logger {
  type ChildFn = (this: Logger, bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => Logger;
  const child = logger.child as unknown as ChildFn;
  const redacting: ChildFn = function (bindings, options) {
    return child.call(this, redactFields(bindings), options);
  };
  (logger as unknown as { child: ChildFn }).child = redacting;
  return logger;
}
