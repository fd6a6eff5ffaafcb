import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Role } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const TOKEN = '0123456789abcdef-token';
const base = { WEBHOOK_TOKEN: TOKEN };

function configError(env: NodeJS.ProcessEnv, roles?: Role[]): ConfigError {
  try {
    loadConfig(env, roles);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  return expect.unreachable('expected a ConfigError');
}

describe('loadConfig: defaults', () => {
  it('fills the core values from defaults when only the webhook secret is set', () => {
    expect(loadConfig(base)).toMatchObject({
      port: 9095,
      host: '127.0.0.1',
      redisUrl: 'redis://127.0.0.1:6379',
      queuePrefix: 'remediator',
      dockerHost: 'unix:///var/run/docker.sock',
      dockerCertPath: undefined,
      dockerTlsVerify: false,
      auth: { disabled: false, token: TOKEN, basic: undefined },
      bodyLimit: 1_048_576,
      remediationsDir: 'remediations',
      workerConcurrency: 4,
      logLevel: 'info',
      dryRun: false,
      optInLabel: 'remediator.enable',
      episodeTtlSeconds: 30 * 24 * 3600,
      shutdownTimeoutMs: 30_000,
      prometheusUrl: undefined,
    });
  });

  it('reads values that are set, as numbers and booleans where they are', () => {
    const c = loadConfig({
      ...base,
      PORT: '8080',
      WORKER_CONCURRENCY: '16',
      DRY_RUN: 'true',
      LOG_LEVEL: 'debug',
      REDIS_URL: 'rediss://r:6380/1',
      SHUTDOWN_TIMEOUT_SECONDS: '5',
    });
    expect(c).toMatchObject({
      port: 8080,
      workerConcurrency: 16,
      dryRun: true,
      logLevel: 'debug',
      redisUrl: 'rediss://r:6380/1',
      shutdownTimeoutMs: 5000,
    });
  });

  it('takes 1 and 0 as booleans too', () => {
    expect(loadConfig({ ...base, DRY_RUN: '1' }).dryRun).toBe(true);
    expect(loadConfig({ ...base, DRY_RUN: '0' }).dryRun).toBe(false);
  });

  it('accepts PORT=0 (the OS picks a free port)', () => {
    expect(loadConfig({ ...base, PORT: '0' }).port).toBe(0);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ ...base, PORT: '', LOG_LEVEL: '' })).toMatchObject({ port: 9095, logLevel: 'info' });
  });

  it('ignores variables it does not know', () => {
    expect(() => loadConfig({ ...base, PATH: '/usr/bin', HOME: '/root' })).not.toThrow();
  });

  it('returns a frozen object, auth included', () => {
    const c = loadConfig(base);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.auth)).toBe(true);
    expect(() => {
      (c as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});

describe('loadConfig: each invalid variable is named', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '123456'],
    ['REDIS_URL', 'localhost'],
    ['REDIS_URL', 'http://redis:6379'],
    ['WORKER_CONCURRENCY', '0'],
    ['WORKER_CONCURRENCY', '101'],
    ['WORKER_CONCURRENCY', 'four'],
    ['LOG_LEVEL', 'loud'],
    ['DRY_RUN', 'yes'],
    ['WEBHOOK_TOKEN', 'short'],
    ['WEBHOOK_TOKEN', 'x'.repeat(15)],
    ['DOCKER_HOST', '/var/run/docker.sock'],
    ['QUEUE_PREFIX', 'a:b'],
    ['PROMETHEUS_URL', 'prometheus:9090'],
  ])('%s=%j', (variable, value) => {
    const err = configError({ ...base, [variable]: value });
    expect(err.variable).toBe(variable);
    expect(err.message.startsWith(`${variable}: `)).toBe(true);
  });

  // EPISODE_TTL_SECONDS=0 passes validation, then the producer's `SET … EX 0` is refused by
  // Redis ("invalid expire time") after the jobs were added: every delivery answers 503.
  it('EPISODE_TTL_SECONDS=0 is refused, naming the variable', () => {
    expect(configError({ ...base, EPISODE_TTL_SECONDS: '0' }).variable).toBe('EPISODE_TTL_SECONDS');
  });

  it('the message says what would be valid', () => {
    expect(configError({ ...base, REDIS_URL: 'localhost' }).message).toContain('redis://');
    expect(configError({ ...base, PORT: '70000' }).message).toContain('65535');
  });
});

describe('loadConfig: webhook secret', () => {
  it('refuses to serve HTTP without a secret, naming WEBHOOK_TOKEN and the way out', () => {
    const err = configError({});
    expect(err.variable).toBe('WEBHOOK_TOKEN');
    expect(err.message).toContain('WEBHOOK_AUTH_DISABLED=true');
    expect(configError({}, ['http']).variable).toBe('WEBHOOK_TOKEN');
  });

  it('allows no secret with WEBHOOK_AUTH_DISABLED=true, and says auth is off', () => {
    expect(loadConfig({ WEBHOOK_AUTH_DISABLED: 'true' }).auth).toEqual({
      disabled: true,
      token: undefined,
      basic: undefined,
    });
  });

  it('WEBHOOK_AUTH_DISABLED=false still needs a secret', () => {
    expect(configError({ WEBHOOK_AUTH_DISABLED: 'false' }).variable).toBe('WEBHOOK_TOKEN');
  });

  it.each<[Role[]]>([[['worker']], [['cli']]])('roles %j need no secret', (roles) => {
    expect(loadConfig({}, roles).auth.token).toBeUndefined();
  });

  it('basic auth alone is a secret', () => {
    const c = loadConfig({ WEBHOOK_BASIC_USER: 'alertmanager', WEBHOOK_BASIC_PASSWORD: 'long-enough-password' });
    expect(c.auth.basic).toEqual({ user: 'alertmanager', password: 'long-enough-password' });
  });

  it('a basic user without a password names WEBHOOK_BASIC_PASSWORD', () => {
    expect(configError({ ...base, WEBHOOK_BASIC_USER: 'alertmanager' }).variable).toBe('WEBHOOK_BASIC_PASSWORD');
  });

  it('a basic password without a user names WEBHOOK_BASIC_USER', () => {
    expect(configError({ ...base, WEBHOOK_BASIC_PASSWORD: 'long-enough-password' }).variable).toBe(
      'WEBHOOK_BASIC_USER',
    );
  });

  it('a basic password shorter than 16 characters names WEBHOOK_BASIC_PASSWORD', () => {
    expect(configError({ WEBHOOK_BASIC_USER: 'am', WEBHOOK_BASIC_PASSWORD: 'short' }).variable).toBe(
      'WEBHOOK_BASIC_PASSWORD',
    );
  });
});

describe('loadConfig: settings that come in pairs', () => {
  it('ADMIN_USER without ADMIN_PASSWORD names ADMIN_PASSWORD, and the reverse names ADMIN_USER', () => {
    expect(configError({ ...base, ADMIN_USER: 'ops' }).variable).toBe('ADMIN_PASSWORD');
    expect(configError({ ...base, ADMIN_PASSWORD: 'long-enough-password' }).variable).toBe('ADMIN_USER');
  });

  it('SLACK_BOT_TOKEN without SLACK_CHANNEL names SLACK_CHANNEL', () => {
    expect(configError({ ...base, SLACK_BOT_TOKEN: 'xoxb-1-2-abc' }).variable).toBe('SLACK_CHANNEL');
  });
});

describe('loadConfig: secrets are at least 16 characters, README and code alike', () => {
  it.each([
    ['WEBHOOK_TOKEN', {}],
    ['WEBHOOK_BASIC_PASSWORD', { WEBHOOK_BASIC_USER: 'am' }],
    ['ADMIN_PASSWORD', { ADMIN_USER: 'ops' }],
  ])('%s: 15 characters are refused with a message that says 16, 16 are taken', (variable, pair) => {
    const err = configError({ ...base, ...pair, [variable]: 'x'.repeat(15) });
    expect(err.variable).toBe(variable);
    expect(err.message).toContain('at least 16 characters');
    expect(err.message).not.toContain('x'.repeat(15));
    expect(() => loadConfig({ ...base, ...pair, [variable]: 'x'.repeat(16) })).not.toThrow();
  });
});

describe('loadConfig: secrets lose surrounding whitespace (a secret file ends in a newline)', () => {
  it.each([
    ['WEBHOOK_TOKEN', {}, (c: ReturnType<typeof loadConfig>) => c.auth.token],
    [
      'WEBHOOK_BASIC_PASSWORD',
      { WEBHOOK_BASIC_USER: 'am' },
      (c: ReturnType<typeof loadConfig>) => c.auth.basic?.password,
    ],
    ['ADMIN_PASSWORD', { ADMIN_USER: 'ops' }, (c: ReturnType<typeof loadConfig>) => c.admin?.password],
  ])('%s is trimmed', (variable, pair, read) => {
    expect(read(loadConfig({ ...base, ...pair, [variable]: ` \t${TOKEN}\n` }))).toBe(TOKEN);
  });

  it('user names are trimmed too', () => {
    const c = loadConfig({
      ...base,
      WEBHOOK_BASIC_USER: 'am\n',
      WEBHOOK_BASIC_PASSWORD: TOKEN,
      ADMIN_USER: ' ops ',
      ADMIN_PASSWORD: TOKEN,
    });
    expect([c.auth.basic?.user, c.admin?.user]).toEqual(['am', 'ops']);
  });

  it('counts the length after trimming: 15 characters and a newline are refused', () => {
    expect(configError({ WEBHOOK_TOKEN: `${'x'.repeat(15)}\n` }).variable).toBe('WEBHOOK_TOKEN');
  });

  it('a token of whitespace only is not a token: "not set"', () => {
    expect(configError({ WEBHOOK_TOKEN: ' \n' }).message).toMatch(/^WEBHOOK_TOKEN: not set/);
  });
});

describe('loadConfig: <SECRET>_FILE', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rmd-cfg-'));
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text, { mode: 0o600 });
    return p;
  };

  it.each([
    ['WEBHOOK_TOKEN', {}, (c: ReturnType<typeof loadConfig>) => c.auth.token],
    [
      'WEBHOOK_BASIC_PASSWORD',
      { WEBHOOK_BASIC_USER: 'am' },
      (c: ReturnType<typeof loadConfig>) => c.auth.basic?.password,
    ],
    ['ADMIN_PASSWORD', { ADMIN_USER: 'ops' }, (c: ReturnType<typeof loadConfig>) => c.admin?.password],
  ])('%s_FILE is read and trimmed', (variable, pair, read) => {
    const env = { ...base, ...pair, [`${variable}_FILE`]: file(`${variable}.txt`, `${TOKEN}\n`) };
    if (variable === 'WEBHOOK_TOKEN') delete (env as Record<string, string>).WEBHOOK_TOKEN;
    expect(read(loadConfig(env))).toBe(TOKEN);
  });

  it('WEBHOOK_TOKEN_FILE alone is the webhook secret', () => {
    expect(loadConfig({ WEBHOOK_TOKEN_FILE: file('t1', `${TOKEN}\n`) }, ['http']).auth.token).toBe(TOKEN);
  });

  it('an unreadable file names the variable and the file, not its content', () => {
    const missing = path.join(dir, 'nope');
    const err = configError({ WEBHOOK_TOKEN_FILE: missing });
    expect(err.variable).toBe('WEBHOOK_TOKEN_FILE');
    expect(err.message).toContain(missing);
    expect(err.message).toContain('ENOENT');
  });

  it('an empty file (after trimming) names the variable', () => {
    const err = configError({ WEBHOOK_TOKEN_FILE: file('empty', '\n\n') });
    expect(err.variable).toBe('WEBHOOK_TOKEN_FILE');
    expect(err.message).toMatch(/empty/);
  });

  it('a file whose content is too short names the _FILE variable and the minimum, never the content', () => {
    const err = configError({ WEBHOOK_TOKEN_FILE: file('short', 'short-secret\n') });
    expect(err.variable).toBe('WEBHOOK_TOKEN_FILE');
    expect(err.message).toContain('at least 16 characters');
    expect(err.message).not.toContain('short-secret');
  });

  it('both WEBHOOK_TOKEN and WEBHOOK_TOKEN_FILE set is refused, naming both', () => {
    const err = configError({ WEBHOOK_TOKEN: TOKEN, WEBHOOK_TOKEN_FILE: file('t2', TOKEN) });
    expect(err.variable).toBe('WEBHOOK_TOKEN_FILE');
    expect(err.message).toContain('WEBHOOK_TOKEN or WEBHOOK_TOKEN_FILE');
  });
});

describe('loadConfig: the worker listener and Alertmanager links', () => {
  it('WORKER_PORT defaults to 9096 and is a TCP port, named when it is not', () => {
    expect(loadConfig(base).workerPort).toBe(9096);
    expect(loadConfig({ ...base, WORKER_PORT: '19096' }).workerPort).toBe(19096);
    expect(configError({ ...base, WORKER_PORT: '70000' }).variable).toBe('WORKER_PORT');
    expect(configError({ ...base, WORKER_PORT: 'nine' }).variable).toBe('WORKER_PORT');
  });

  it('ALERTMANAGER_EXTERNAL_URL and ALERTMANAGER_UI set where Slack links point', () => {
    expect(loadConfig(base).alertmanagerLinks).toEqual({ externalUrl: undefined, ui: true });
    expect(
      loadConfig({ ...base, ALERTMANAGER_EXTERNAL_URL: 'http://127.0.0.1:19093', ALERTMANAGER_UI: 'false' })
        .alertmanagerLinks,
    ).toEqual({ externalUrl: 'http://127.0.0.1:19093', ui: false });
  });

  it('ALERTMANAGER_EXTERNAL_URL must be a plain http(s) URL: no credentials (they would be posted to Slack), no query', () => {
    for (const bad of ['127.0.0.1:9093', 'http://user:pw@am:9093', 'https://am/?x=1', 'ftp://am'])
      expect(configError({ ...base, ALERTMANAGER_EXTERNAL_URL: bad }).message).toMatch(
        /^ALERTMANAGER_EXTERNAL_URL: invalid value \(expected Alertmanager's address/,
      );
    expect(configError({ ...base, ALERTMANAGER_UI: 'no' }).variable).toBe('ALERTMANAGER_UI');
  });
});

describe('loadConfig: the operator API and Slack interactivity', () => {
  it('OPERATOR_TOKEN and SLACK_SIGNING_SECRET are secrets: trimmed, at least 16 characters, _FILE form', () => {
    const c = loadConfig({
      ...base,
      OPERATOR_TOKEN: ' operator-0123456789abcdef\n',
      SLACK_SIGNING_SECRET: 'signing-0123456789abcdef',
    });
    expect(c.operatorToken).toBe('operator-0123456789abcdef');
    expect(c.slackSigningSecret).toBe('signing-0123456789abcdef');
    expect(configError({ ...base, OPERATOR_TOKEN: 'short' }).variable).toBe('OPERATOR_TOKEN');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rmd-op-'));
    const f = path.join(dir, 'op');
    writeFileSync(f, 'operator-from-a-file-0123\n');
    expect(loadConfig({ ...base, OPERATOR_TOKEN_FILE: f }).operatorToken).toBe('operator-from-a-file-0123');
  });

  it('OPERATOR_TOKEN must not be the webhook token or the queue UI password', () => {
    const err = configError({ ...base, OPERATOR_TOKEN: TOKEN });
    expect(err.variable).toBe('OPERATOR_TOKEN');
    expect(err.message).toMatch(/must differ from WEBHOOK_TOKEN and ADMIN_PASSWORD/);
  });

  it('approval and blast-radius settings have defaults and are named when wrong', () => {
    const c = loadConfig(base);
    expect(c.operatorToken).toBeUndefined();
    expect(c.approvals).toEqual({ timeoutMs: 900_000, aboveContainers: 5 });
    expect(c.maxDisruptivePerMinute).toBe(30);
    expect(loadConfig({ ...base, APPROVAL_TIMEOUT_SECONDS: '60', MAX_DISRUPTIVE_PER_MINUTE: '0' })).toMatchObject({
      approvals: { timeoutMs: 60_000 },
      maxDisruptivePerMinute: 0,
    });
    expect(configError({ ...base, APPROVAL_TIMEOUT_SECONDS: '0' }).variable).toBe('APPROVAL_TIMEOUT_SECONDS');
    expect(configError({ ...base, MAX_DISRUPTIVE_PER_MINUTE: '-1' }).variable).toBe('MAX_DISRUPTIVE_PER_MINUTE');
  });
});
