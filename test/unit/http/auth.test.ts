import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config.js';
import { authorize, bearerMatches, challenge } from '../../../src/http/auth.js';
import { fixtureText } from '../fixtures.js';

const TOKEN = 's3cret-token-0123456789';
const bearerOnly: Config['auth'] = { disabled: false, token: TOKEN, basic: undefined };
const basicOnly: Config['auth'] = {
  disabled: false,
  token: undefined,
  basic: { user: 'alertmanager', password: 'pass:word-123' },
};
const basic = (s: string) => `Basic ${Buffer.from(s, 'utf8').toString('base64')}`;

describe('authorize: bearer', () => {
  it('accepts the right token', () => {
    expect(authorize(`Bearer ${TOKEN}`, bearerOnly)).toBe(true);
  });

  it('accepts the header Alertmanager 0.25 actually sent (captured)', () => {
    const header = /^Authorization: (.*)$/m.exec(fixtureText('request-headers.txt'))![1]!.trim();
    expect(authorize(header, { disabled: false, token: 's3cret-token', basic: undefined })).toBe(true);
  });

  it('accepts a lowercase scheme (schemes are case-insensitive)', () => {
    expect(authorize(`bearer ${TOKEN}`, bearerOnly)).toBe(true);
    expect(authorize(`BEARER ${TOKEN}`, bearerOnly)).toBe(true);
  });

  it.each([
    ['a wrong token', 'Bearer not-the-token-at-all'],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`],
    ['the token with more after it', `Bearer ${TOKEN}x`],
    ['an empty header', ''],
    ['the scheme alone', 'Bearer'],
    ['the token without a scheme', TOKEN],
    ['another scheme with the token', `Token ${TOKEN}`],
    ['basic with the token as password', basic(`user:${TOKEN}`)],
  ])('refuses %s', (_what, header) => {
    expect(authorize(header, bearerOnly)).toBe(false);
  });

  it('refuses a missing header', () => {
    expect(authorize(undefined, bearerOnly)).toBe(false);
  });
});

describe('authorize: basic', () => {
  it('accepts the right user and password (a password may hold ":")', () => {
    expect(authorize(basic('alertmanager:pass:word-123'), basicOnly)).toBe(true);
  });

  it.each([
    ['a wrong user', basic('prometheus:pass:word-123')],
    ['a wrong password', basic('alertmanager:pass:word-124')],
    ['no colon', basic('alertmanagerpass:word-123'.replace(':', ''))],
    ['an empty password', basic('alertmanager:')],
    ['a bearer header', `Bearer ${TOKEN}`],
  ])('refuses %s', (_what, header) => {
    expect(authorize(header, basicOnly)).toBe(false);
  });

  it('with both configured, both schemes work', () => {
    const both: Config['auth'] = { disabled: false, token: TOKEN, basic: basicOnly.basic };
    expect(authorize(`Bearer ${TOKEN}`, both)).toBe(true);
    expect(authorize(basic('alertmanager:pass:word-123'), both)).toBe(true);
    expect(authorize(basic('alertmanager:nope'), both)).toBe(false);
  });
});

describe('authorize: disabled', () => {
  const disabled: Config['auth'] = { disabled: true, token: undefined, basic: undefined };
  it.each([[undefined], [''], ['Bearer whatever'], ['garbage']])('allows %j', (header) => {
    expect(authorize(header, disabled)).toBe(true);
  });
});

describe('challenge', () => {
  it('names the scheme the client should use', () => {
    expect(challenge(bearerOnly)).toMatch(/^Bearer /);
    expect(challenge(basicOnly)).toMatch(/^Basic /);
  });
});

describe('bearerMatches: the operator token', () => {
  const OP = 'operator-token-0123456789';
  it('accepts exactly the token, as Bearer, case-insensitive scheme', () => {
    expect(bearerMatches(`Bearer ${OP}`, OP)).toBe(true);
    expect(bearerMatches(`bearer ${OP}`, OP)).toBe(true);
  });
  it('refuses another token, a prefix, Basic, or nothing', () => {
    expect(bearerMatches(`Bearer ${OP}x`, OP)).toBe(false);
    expect(bearerMatches(`Bearer ${OP.slice(0, -1)}`, OP)).toBe(false);
    expect(bearerMatches(`Basic ${Buffer.from(`u:${OP}`).toString('base64')}`, OP)).toBe(false);
    expect(bearerMatches(undefined, OP)).toBe(false);
    expect(bearerMatches(OP, OP)).toBe(false);
  });
});
