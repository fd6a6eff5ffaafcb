import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { describeRedisUrl, parseRedisUrl, redactRedisUrl, REDIS_URL_EXAMPLES } from '../../src/redis-url.js';

const refusal = (url: string): ConfigError => {
  try {
    parseRedisUrl(url);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  return expect.unreachable(`${url} was accepted`);
};

describe('parseRedisUrl: one Redis', () => {
  it.each(['redis://127.0.0.1:6379', 'rediss://:pw@r.example.com:6380/2', 'redis://u:p@h', 'redis://h/0?family=6'])(
    '%s is passed to ioredis as is',
    (url) => expect(parseRedisUrl(url)).toEqual({ kind: 'single', url }),
  );

  it.each([
    ['redis://', /no host/],
    ['redis://h:6379/abc', /database number/],
    ['redis://h:6379/0/1', /database number/],
  ])('%s is refused: %s', (url, reason) => expect(refusal(url).message).toMatch(reason));
});

describe('parseRedisUrl: Sentinel', () => {
  it('reads sentinels, master name, db and both sets of credentials', () => {
    expect(
      parseRedisUrl(
        'redis+sentinel://app:s%40cret@10.0.0.1:26379,sentinel-2.example.com,[::1]:26380/mymaster?db=3&sentinelUsername=mon&sentinelPassword=x%26y',
      ),
    ).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-2.example.com', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'mymaster',
      db: 3,
      username: 'app',
      password: 's@cret',
      sentinelUsername: 'mon',
      sentinelPassword: 'x&y',
    });
  });

  it('a password without a user name, db 0 by default', () => {
    expect(parseRedisUrl('redis+sentinel://:pw@h:1/m')).toMatchObject({
      username: undefined,
      password: 'pw',
      db: 0,
      sentinelPassword: undefined,
    });
  });

  it.each([
    ['redis+sentinel://h1:26379,h2:26379', /\/<master name>/],
    ['redis+sentinel://h1:26379/', /\/<master name>/],
    ['redis+sentinel://h1:26379/my master', /master name/],
    ['redis+sentinel://h1:26379/m?db=x', /db=x/],
    ['redis+sentinel://h1:26379/m?password=x', /unknown query parameter "password"/],
    ['redis+sentinel://h1:99999/m', /not a TCP port/],
    ['redis+sentinel://h1:26379,,h2/m', /"" is not host:port/],
    ['redis+sentinel://h1:26379,h1:26379/m', /listed twice/],
    ['redis+sentinel://h_1:26379/m', /is not host:port/],
    ['redis+sentinel:///m', /no host/],
    ['rediss+sentinel://h1:26379/m', /TLS to sentinels is not supported yet/],
  ])('%s is refused: %s', (url, reason) => expect(refusal(url).message).toMatch(reason));
});

describe('parseRedisUrl: Cluster', () => {
  it('reads the seed nodes and credentials; 6379 by default', () => {
    expect(parseRedisUrl('redis+cluster://:pw@n1:7000,n2,n3:7002')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 6379 },
        { host: 'n3', port: 7002 },
      ],
      username: undefined,
      password: 'pw',
    });
    expect(parseRedisUrl('redis+cluster://n1:7000/')).toMatchObject({ kind: 'cluster' });
  });

  it.each([
    ['redis+cluster://n1:7000/1', /no path/],
    ['redis+cluster://n1:7000?db=1', /unknown query parameter "db"/],
    ['rediss+cluster://n1:7000', /TLS to Cluster nodes/],
    ['redis+cluster://n1:7000,' + Array.from({ length: 64 }, (_, i) => `n${i + 2}`).join(','), /more than 64/],
  ])('%s is refused: %s', (url, reason) => expect(refusal(url).message).toMatch(reason));
});

describe('parseRedisUrl: errors name REDIS_URL and show every form', () => {
  it.each(['localhost', 'http://redis:6379', 'redis+proxy://h:1', 'redis-sentinel://h:1/m'])('%s', (url) => {
    const err = refusal(url);
    expect(err.variable).toBe('REDIS_URL');
    for (const example of REDIS_URL_EXAMPLES) expect(err.message).toContain(example);
  });

  it('every example parses', () => {
    for (const example of REDIS_URL_EXAMPLES) expect(() => parseRedisUrl(example)).not.toThrow();
  });

  it('loadConfig refuses a bad REDIS_URL and keeps a good one of each form', () => {
    const env = { WEBHOOK_TOKEN: '0123456789abcdef-token' };
    expect(() => loadConfig({ ...env, REDIS_URL: 'redis+sentinel://h:1' })).toThrow(
      /^REDIS_URL: invalid value: .*master name/,
    );
    for (const url of REDIS_URL_EXAMPLES) expect(loadConfig({ ...env, REDIS_URL: url }).redisUrl).toBe(url);
  });
});

describe('redactRedisUrl / describeRedisUrl', () => {
  it.each([
    ['redis://u:hunter2@h:6379/0', 'redis://u:redacted@h:6379/0'],
    ['redis://h:6379', 'redis://h:6379'],
    [
      'redis+sentinel://u:hunter2@a:1,b:2/m?db=1&sentinelPassword=hunter3',
      'redis+sentinel://u:redacted@a:1,b:2/m?db=1&sentinelPassword=redacted',
    ],
    ['redis+sentinel://:hunter2@a:1/m', 'redis+sentinel://:redacted@a:1/m'],
    ['redis+cluster://:hunter2@a:1,b:2', 'redis+cluster://:redacted@a:1,b:2'],
    ['redis+cluster://a:1,b:2', 'redis+cluster://a:1,b:2'],
    ['not a url hunter2', 'redis://(unparseable)'],
  ])('%s -> %s', (url, redacted) => {
    expect(redactRedisUrl(url)).toBe(redacted);
    expect(redactRedisUrl(url)).not.toContain('hunter');
  });

  it('says where a URL points without its credentials', () => {
    expect(describeRedisUrl('redis://:pw@h:7/0')).toBe('h:7');
    expect(describeRedisUrl('redis+sentinel://:pw@a:1,b:2/m')).toBe('master "m" via sentinels a:1,b:2');
    expect(describeRedisUrl('redis+cluster://:pw@a:1,b')).toBe('Cluster a:1,b:6379');
    expect(describeRedisUrl('garbage')).toBe('REDIS_URL');
  });
});
