import pino, { type Logger } from 'pino';

/** Paths pino blanks out wherever they appear: tokens and webhook URLs never reach a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'config.auth',
  'auth.token',
  'auth.basic',
  'token',
  'password',
  'webhookUrl',
  'slackToken',
  'botToken',
  'slack.botToken',
  'slack.webhookUrl',
  'config.slack',
  'admin.password',
  '*.token',
  '*.password',
  '*.webhookUrl',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'remediator' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (destination) return pino(options, destination);
  // Pretty output only for a human at a terminal; JSON everywhere else.
  if (process.stdout.isTTY && process.env.LOG_FORMAT !== 'json') {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss' } } });
  }
  return pino(options);
}
