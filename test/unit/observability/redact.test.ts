import { describe, expect, it } from 'vitest';
import { compileRedactor, pathSegments } from '../../../src/observability/redact.js';
import { createLogger } from '../../../src/observability/logger.js';

const X = '[x]';

describe('compileRedactor', () => {
  it("reads pino's path syntax: dots, brackets, quotes", () => {
    expect(pathSegments('a.b["c-d"].*')).toEqual(['a', 'b', 'c-d', '*']);
    expect(pathSegments("*.headers['set-cookie']")).toEqual(['*', 'headers', 'set-cookie']);
  });

  it('censors exact and wildcard paths at their depth, objects and arrays alike', () => {
    const r = compileRedactor(['token', 'a.b', '*.secret', '*.*.headers["authorization"]'], X);
    expect(r({ token: 't', keep: 'k' })).toEqual({ token: X, keep: 'k' });
    expect(r({ a: { b: 1, c: 2 } })).toEqual({ a: { b: X, c: 2 } });
    expect(r({ any: { secret: 's' }, list: [{ secret: 's' }] })).toEqual({
      any: { secret: X },
      list: [{ secret: 's' }],
    });
    expect(r({ p: { q: { headers: { authorization: 'Bearer s', accept: '*/*' } } } })).toEqual({
      p: { q: { headers: { authorization: X, accept: '*/*' } } },
    });
    expect(r({ list: [{ headers: { authorization: 'Bearer s' } }] })).toEqual({
      list: [{ headers: { authorization: X } }],
    });
    // Not at a listed depth: left alone.
    expect(r({ deep: { er: { secret: 's' } } })).toEqual({ deep: { er: { secret: 's' } } });
  });

  it("never changes the caller's object and returns it as is when nothing matched", () => {
    const r = compileRedactor(['*.token'], X);
    const obj = { a: { token: 't', n: 1 }, b: { n: 2 } };
    const out = r(obj);
    expect(out).toEqual({ a: { token: X, n: 1 }, b: { n: 2 } });
    expect(obj.a.token).toBe('t');
    expect(out.b).toBe(obj.b);
    const clean = { a: { n: 1 } };
    expect(r(clean)).toBe(clean);
  });

  it('leaves values that serialize themselves whole (Date, Buffer)', () => {
    const r = compileRedactor(['*.token'], X);
    const when = new Date(0);
    const out = r({ when, buf: Buffer.from('token') });
    expect(out.when).toBe(when);
    expect(JSON.stringify(out)).toContain('1970');
  });
});

describe('createLogger with the compiled paths', () => {
  it('still hands an Error to the err serializer whole, its secret-named fields blanked', () => {
    const lines: string[] = [];
    const log = createLogger('info', { destination: { write: (s: string) => void lines.push(s) } });
    const err = Object.assign(new Error('boom'), { token: 'tok-0123456789', code: 'E1' });
    log.error({ err, headers: { authorization: 'Bearer tok-0123456789' } }, 'failed');
    log.child({ request: { headers: { cookie: 'sid=tok-0123456789' } } }).info('child');
    const text = lines.join('');
    expect(text).toContain('"message":"boom"');
    expect(text).toContain('"code":"E1"');
    expect(text).not.toContain('tok-0123456789');
    expect(text.match(/\[redacted\]/g)?.length).toBe(3);
  });
});
