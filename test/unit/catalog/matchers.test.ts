import { describe, expect, it } from 'vitest';
import { matcherMatches, parseMatchers, type Matcher } from '../../../src/catalog/matchers.js';

function one(text: string): Matcher {
  const ms = parseMatchers(text);
  expect(ms).toHaveLength(1);
  return ms[0]!;
}

const matches = (text: string, labels: Record<string, string>) =>
  parseMatchers(text).every((m) => matcherMatches(m, labels));

describe('parseMatchers: operators', () => {
  it.each([
    ['alertname="HighLatency"', 'alertname', '=', 'HighLatency'],
    ['severity!="info"', 'severity', '!=', 'info'],
    ['service=~"worker|api"', 'service', '=~', 'worker|api'],
    ['env!~"dev.*"', 'env', '!~', 'dev.*'],
  ])('%s parses to name, op and value', (text, name, op, value) => {
    expect(one(text)).toMatchObject({ name, op, value, text });
  });

  it('= and != compare the whole value', () => {
    expect(matches('alertname="HighLatency"', { alertname: 'HighLatency' })).toBe(true);
    expect(matches('alertname="HighLatency"', { alertname: 'HighLatencyX' })).toBe(false);
    expect(matches('severity!="info"', { severity: 'critical' })).toBe(true);
    expect(matches('severity!="info"', { severity: 'info' })).toBe(false);
  });

  it('!~ is the negation of the anchored regex', () => {
    expect(matches('env!~"dev.*"', { env: 'prod' })).toBe(true);
    expect(matches('env!~"dev.*"', { env: 'dev-2' })).toBe(false);
    expect(matches('env!~"dev"', { env: 'dev-2' })).toBe(true);
  });
});

describe('parseMatchers: regexes are fully anchored', () => {
  it('=~"api" does not match "api-2" nor "my-api"', () => {
    expect(matches('c=~"api"', { c: 'api' })).toBe(true);
    expect(matches('c=~"api"', { c: 'api-2' })).toBe(false);
    expect(matches('c=~"api"', { c: 'my-api' })).toBe(false);
  });

  it('anchors an alternation as a whole: =~"api|web" does not match "api2" or "2web"', () => {
    expect(matches('c=~"api|web"', { c: 'web' })).toBe(true);
    expect(matches('c=~"api|web"', { c: 'api2' })).toBe(false);
    expect(matches('c=~"api|web"', { c: '2web' })).toBe(false);
  });
});

describe('parseMatchers: a missing label reads as ""', () => {
  it.each([
    ['foo!="bar"', true],
    ['foo=~".+"', false],
    ['foo=~".*"', true],
    ['foo=""', true],
    ['foo!~".+"', true],
  ])('%s on labels without foo -> %s', (text, expected) => {
    expect(matches(text, { alertname: 'X' })).toBe(expected);
  });
});

describe('parseMatchers: values', () => {
  it('unescapes \\" \\\\ and \\n in quoted values', () => {
    expect(one('summary="say \\"hi\\""').value).toBe('say "hi"');
    expect(one('path="C:\\\\dir"').value).toBe('C:\\dir');
    expect(one('msg="a\\nb"').value).toBe('a\nb');
  });

  it('keeps , and } inside quoted values', () => {
    expect(one('a="x,y"').value).toBe('x,y');
    expect(one('{a="}"}').value).toBe('}');
  });

  it('accepts unquoted values, trimmed', () => {
    expect(one('severity=critical').value).toBe('critical');
    expect(one('  severity =  critical  ').value).toBe('critical');
  });

  it('an unquoted regex is anchored too', () => {
    expect(matches('c=~api', { c: 'api-2' })).toBe(false);
  });
});

describe('parseMatchers: lists', () => {
  it('reads the brace form {a="b", c=~"d"}', () => {
    const ms = parseMatchers('{alertname="HighLatency", severity=~"critical|page"}');
    expect(ms.map((m) => [m.name, m.op, m.value])).toEqual([
      ['alertname', '=', 'HighLatency'],
      ['severity', '=~', 'critical|page'],
    ]);
    expect(ms.map((m) => m.text)).toEqual(['alertname="HighLatency"', 'severity=~"critical|page"']);
  });

  it('reads a comma list without braces, mixing quoted and unquoted', () => {
    const ms = parseMatchers('a="1",b!=2 , c=~"3"');
    expect(ms.map((m) => [m.name, m.op, m.value])).toEqual([
      ['a', '=', '1'],
      ['b', '!=', '2'],
      ['c', '=~', '3'],
    ]);
  });

  it('a list matches only when every matcher does', () => {
    const text = '{alertname="QueueDepthHigh", service=~".+"}';
    expect(matches(text, { alertname: 'QueueDepthHigh', service: 'worker' })).toBe(true);
    expect(matches(text, { alertname: 'QueueDepthHigh' })).toBe(false);
    expect(matches(text, { alertname: 'Other', service: 'worker' })).toBe(false);
  });
});

describe('parseMatchers: errors', () => {
  it.each([
    ['', /no matcher/],
    ['{}', /no matcher/],
    ['alertname', /expected name="value"/],
    ['1abc="x"', /expected name="value"/],
    ['{a="b"', /missing closing "}"/],
    ['a="b', /unterminated quoted value/],
    ['a="b" c="d"', /expected "," between matchers/],
    ['a=~"(x"', /invalid regex "\(x"/],
    ['a!~"[z-a]"', /invalid regex "\[z-a\]"/],
  ])('%j is refused with %s', (text, message) => {
    expect(() => parseMatchers(text)).toThrow(message);
  });

  // Alertmanager refuses an unescaped '"' inside an unquoted value ("matcher value contains
  // unescaped double quote"). Here `alertname=="x"` is read as alertname equals `="x"`, so a
  // typo loads fine and the remediation silently never matches.
  it('refuses a doubled operator such as alertname=="x" (Alertmanager does too)', () => {
    expect(() => parseMatchers('alertname=="x"')).toThrow();
  });
});
