import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createLogger, scrubber, secretsOf } from '../../../src/observability/logger.js';

const SECRET = 'tok-0123456789abcdef-secret';

function capture(secrets: string[] = []) {
  const lines: string[] = [];
  const log = createLogger('trace', { destination: { write: (s: string) => void lines.push(s) }, secrets });
  return { log, text: () => lines.join('') };
}

describe('createLogger: serializers (no secret configured, so nothing but them can help)', () => {
  it('logs a request as method and route, never its URL (query string or unknown path)', () => {
    const { log, text } = capture();
    log.info(
      {
        req: {
          method: 'POST',
          url: `/webhook/alertmanager?token=${SECRET}`,
          routeOptions: { url: '/webhook/alertmanager' },
        },
      },
      'r',
    );
    log.info({ req: { method: 'POST', url: `/webhook/${SECRET}`, routeOptions: {} } }, 'r');
    expect(text()).not.toContain(SECRET);
    expect(text()).toContain('"route":"/webhook/alertmanager"');
    expect(text()).toContain('"route":"(no route)"');
  });

  it("drops an error's raw request bytes and HTTP client config, keeping its message and code", () => {
    const { log, text } = capture();
    const err = Object.assign(new Error('Parse Error'), {
      code: 'HPE_INVALID_CONSTANT',
      rawPacket: Buffer.from(`POST /?token=${SECRET}`),
      config: { headers: { Authorization: `Bearer ${SECRET}` } },
      request: { path: `/?token=${SECRET}` },
    });
    log.trace({ err }, 'client error');
    expect(text()).not.toContain(SECRET);
    expect(text()).not.toContain('rawPacket');
    expect(text()).toContain('HPE_INVALID_CONSTANT');
  });
});

describe('createLogger: redact paths', () => {
  it.each(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key'])(
    'blanks the %s header at any depth up to two',
    (header) => {
      const { log, text } = capture();
      log.info({ headers: { [header]: SECRET } }, 'a');
      log.info({ request: { headers: { [header]: SECRET } } }, 'b');
      log.info({ outer: { inner: { headers: { [header]: SECRET } } } }, 'c');
      expect(text()).not.toContain(SECRET);
      expect(text()).toContain('[redacted]');
    },
  );

  it('blanks secret-named fields and the config parts that hold secrets', () => {
    const { log, text } = capture();
    log.info({ token: SECRET, password: SECRET, slack: { botToken: SECRET, webhookUrl: SECRET } }, 'a');
    log.info({ config: { auth: { token: SECRET }, admin: { password: SECRET } } }, 'b');
    log.info({ env: { WEBHOOK_TOKEN: SECRET, ADMIN_PASSWORD: SECRET } }, 'c');
    expect(text()).not.toContain(SECRET);
  });
});

describe('createLogger: the last pass over each line', () => {
  it('replaces a configured secret wherever it is, message and any field', () => {
    const { log, text } = capture([SECRET]);
    log.warn({ deep: { list: [`x${SECRET}y`] } }, `message with ${SECRET}`);
    expect(text()).not.toContain(SECRET);
    expect(text()).toContain('x[redacted]y');
  });

  it('finds a secret as JSON escapes it (quotes, backslashes)', () => {
    const odd = 'pa"ss\\word-0123456789';
    const { log, text } = capture([odd]);
    log.info({ v: `=${odd}=` }, 'a');
    expect(text()).not.toContain(JSON.stringify(odd).slice(1, -1));
    expect(text()).toContain('=[redacted]=');
  });

  it('removes the password of any user:password@ URL, keeping the user', () => {
    const { log, text } = capture();
    log.info({ dockerHost: 'ssh://deploy:hunter2-long@host:22', other: 'see https://a:b@x.example/p' }, 'a');
    expect(text()).toContain('ssh://deploy:[redacted]@host:22');
    expect(text()).toContain('https://a:[redacted]@x.example/p');
    expect(text()).not.toMatch(/hunter2|:b@/);
  });

  it('leaves short values alone (they would blank ordinary words)', () => {
    expect(scrubber(['abc'])('abc abc')).toBe('abc abc');
  });
});

describe('secretsOf', () => {
  it('lists every secret of a configuration, in the forms a line could show', () => {
    const config = loadConfig({
      WEBHOOK_TOKEN: SECRET,
      WEBHOOK_BASIC_USER: 'am',
      WEBHOOK_BASIC_PASSWORD: 'basic-password-0123',
      ADMIN_USER: 'ops',
      ADMIN_PASSWORD: 'admin-password-0123',
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/hooksecret0123',
      REDIS_URL: 'redis://:redis%2Fpw-0123@127.0.0.1:6379',
      ALERTMANAGER_URL: 'http://am:am-password-0123@127.0.0.1:9093',
    });
    const s = secretsOf(config);
    for (const v of [
      SECRET,
      'basic-password-0123',
      Buffer.from('am:basic-password-0123').toString('base64'),
      'admin-password-0123',
      Buffer.from('ops:admin-password-0123').toString('base64'),
      'https://hooks.slack.com/services/T0/B0/hooksecret0123',
      '/services/T0/B0/hooksecret0123',
      'redis/pw-0123',
      'am-password-0123',
    ])
      expect(s).toContain(v);
  });
});

describe('secretsOf and redaction: notification sinks', () => {
  const env = {
    WEBHOOK_TOKEN: SECRET,
    PAGERDUTY_ROUTING_KEY: 'R0UT1NGKEY0123456789abcdefabcdef',
    WEBHOOK_SINK_URL: 'https://automation.example/hooks/wh-path-secret-0123?sig=query-secret-0123',
    WEBHOOK_SINK_SECRET: 'hmac-secret-0123456789',
    TEAMS_WEBHOOK_URL: 'https://example.webhook.office.com/webhookb2/teams-path-secret-0123',
    MATTERMOST_WEBHOOK_URL: 'https://mm.example/hooks/mm-path-secret-0123',
  };

  it("lists every sink's routing key, HMAC secret and webhook URLs with their secret paths", () => {
    const s = secretsOf(loadConfig(env));
    for (const v of [
      'R0UT1NGKEY0123456789abcdefabcdef',
      'hmac-secret-0123456789',
      env.WEBHOOK_SINK_URL,
      '/hooks/wh-path-secret-0123',
      'sig=query-secret-0123',
      env.TEAMS_WEBHOOK_URL,
      '/webhookb2/teams-path-secret-0123',
      '/hooks/mm-path-secret-0123',
    ])
      expect(s).toContain(v);
  });

  it('a logged config, settings object or error text holding them comes out without them', () => {
    const config = loadConfig(env);
    const { log, text } = capture(secretsOf(config));
    log.info({ config }, 'config');
    log.info({ routingKey: env.PAGERDUTY_ROUTING_KEY, secret: env.WEBHOOK_SINK_SECRET, settings: config.sinks }, 'a');
    log.warn({ err: `POST ${env.MATTERMOST_WEBHOOK_URL} failed; key ${env.PAGERDUTY_ROUTING_KEY}` }, 'b');
    log.info({ env }, 'environment');
    for (const v of ['R0UT1NGKEY', 'hmac-secret', 'path-secret', 'query-secret']) expect(text()).not.toContain(v);
    expect(text()).toContain('[redacted]');
  });
});
