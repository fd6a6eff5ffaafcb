import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTemplate, hostOf, renderName } from '../../../src/catalog/template.js';
import { TemplateError } from '../../../src/errors.js';

// The oracle, written here rather than imported, so a loosened rule in src/ shows up.
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const CONTAINER = '{{ labels.container }}';

const renderContainer = (value: string) => renderName(CONTAINER, { labels: { container: value } });

describe('renderName', () => {
  it('renders a label, with or without spaces inside the braces', () => {
    expect(renderContainer('api')).toBe('api');
    expect(renderName('{{labels.container}}', { labels: { container: 'api' } })).toBe('api');
  });

  it('renders an annotation', () => {
    expect(renderName('{{ annotations.target }}', { labels: {}, annotations: { target: 'db-1' } })).toBe('db-1');
  });

  it('renders literal text around several placeholders', () => {
    const source = { labels: { project: 'shop', service: 'worker' } };
    expect(renderName('{{ labels.project }}-{{ labels.service }}-1', source)).toBe('shop-worker-1');
  });

  it('returns a template without placeholders as it is', () => {
    expect(renderName('api_1.blue', { labels: {} })).toBe('api_1.blue');
  });

  it('accepts a value of 253 characters', () => {
    const v = 'a'.repeat(253);
    expect(renderContainer(v)).toBe(v);
  });

  it.each([
    ['a shell command', 'api;rm -rf /'],
    ['a path', '../x'],
    ['a query string', 'a?b=1'],
    ['a newline', 'a\nb'],
    ['a command substitution', '$(id)'],
    ['an empty value', ''],
    ['a 300-character value', 'a'.repeat(300)],
    ['a leading dash', '-rm'],
    ['a leading dot', '.hidden'],
    ['a space', 'api 2'],
    ['a non-ASCII letter', 'apí'],
  ])('refuses %s with a TemplateError naming the label', (_what, value) => {
    expect(() => renderContainer(value)).toThrow(TemplateError);
    expect(() => renderContainer(value)).toThrow(/labels\.container/);
  });

  it('refuses a missing label, naming it', () => {
    expect(() => renderName(CONTAINER, { labels: { service: 'api' } })).toThrow(TemplateError);
    expect(() => renderName(CONTAINER, { labels: { service: 'api' } })).toThrow(
      'labels.container is missing from the alert',
    );
  });

  it('refuses a missing annotation when the alert has no annotations at all', () => {
    expect(() => renderName('{{ annotations.target }}', { labels: {} })).toThrow(TemplateError);
  });

  it('refuses a label that exists on annotations only (no cross-lookup)', () => {
    expect(() => renderName(CONTAINER, { labels: {}, annotations: { container: 'api' } })).toThrow(TemplateError);
  });

  it('refuses an unsupported placeholder with a TemplateError, not a plain Error', () => {
    expect(() => renderName('{{ .Labels.container }}', { labels: { container: 'api' } })).toThrow(TemplateError);
  });

  it('refuses when valid parts add up to more than 253 characters', () => {
    const source = { labels: { a: 'a'.repeat(200), b: 'b'.repeat(200) } };
    expect(() => renderName('{{ labels.a }}{{ labels.b }}', source)).toThrow(TemplateError);
  });
});

describe('renderName property', () => {
  const anyValue = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: fc.constantFrom(...'aZ09_.-;/ $(){}\n?'), maxLength: 20 }),
    fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,300}$/),
  );

  it('either throws TemplateError or returns exactly the value, which obeys the Docker name rule', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        let out: string;
        try {
          out = renderContainer(value);
        } catch (err) {
          expect(err).toBeInstanceOf(TemplateError);
          expect(DOCKER_NAME.test(value) && value.length <= 253).toBe(false);
          return;
        }
        expect(out).toBe(value);
        expect(out).toMatch(DOCKER_NAME);
        expect(out.length).toBeLessThanOrEqual(253);
      }),
      { numRuns: 2000 },
    );
  });

  it('with literal text around the placeholder, the output is prefix + value + suffix or a TemplateError', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        let out: string;
        try {
          out = renderName('svc-{{ labels.v }}.1', { labels: { v: value } });
        } catch (err) {
          expect(err).toBeInstanceOf(TemplateError);
          expect(DOCKER_NAME.test(value) && value.length + 6 <= 253).toBe(false);
          return;
        }
        expect(out).toBe(`svc-${value}.1`);
        expect(value).toMatch(DOCKER_NAME);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('checkTemplate', () => {
  it('returns the references a template uses', () => {
    expect(checkTemplate('{{ labels.project }}-{{ annotations.service }}')).toEqual([
      'labels.project',
      'annotations.service',
    ]);
    expect(checkTemplate('api')).toEqual([]);
  });

  it.each([
    ['a Go template', '{{ .Labels.x }}', /unsupported placeholder/],
    ['a pipeline', '{{ labels.a | upper }}', /unsupported placeholder/],
    ['another namespace', '{{ env.HOME }}', /unsupported placeholder/],
    ['an empty placeholder', '{{ }}', /unsupported placeholder/],
    ['literal text with a space', 'api {{ labels.a }}', /literal text/],
    ['literal text with a slash', 'x/{{ labels.a }}', /literal text/],
    ['an unclosed placeholder', '{{ labels.a', /unbalanced/],
    ['an unopened placeholder', 'labels.a }}', /unbalanced/],
    ['a single brace', '{ labels.a }', /literal text/],
  ])('rejects %s: %j', (_what, template, message) => {
    expect(() => checkTemplate(template)).toThrow(message);
  });
});

describe('the host filter: {{ labels.instance | host }}', () => {
  const HOST = '{{ labels.instance | host }}';
  const renderHost = (instance: string) => renderName(HOST, { labels: { instance } });

  it.each([
    ['web-1:9100', 'web-1'],
    ['10.0.0.5:9100', '10.0.0.5'],
    ['db.example.com:65535', 'db.example.com'],
    ['web-1', 'web-1'],
    ['Web_1.prod:1', 'Web_1.prod'],
  ])('%s -> %s', (instance, host) => expect(renderHost(instance)).toBe(host));

  it('works with or without spaces, in annotations, and beside literal text', () => {
    expect(renderName('{{labels.instance|host}}', { labels: { instance: 'a:1' } })).toBe('a');
    expect(renderName('{{ annotations.node | host }}', { labels: {}, annotations: { node: 'n1:22' } })).toBe('n1');
    expect(renderName('{{ labels.instance | host }}-blue', { labels: { instance: 'a:1' } })).toBe('a-blue');
    expect(renderName('{{ labels.instance | host | host }}', { labels: { instance: 'a:1' } })).toBe('a');
  });

  it('strips the brackets of an IPv6 literal, which the name rule then refuses, saying so', () => {
    expect(hostOf('[2001:db8::1]:9100')).toBe('2001:db8::1');
    expect(hostOf('[::1]')).toBe('::1');
    expect(() => renderHost('[2001:db8::1]:9100')).toThrow(
      'labels.instance | host = "2001:db8::1" (from "[2001:db8::1]:9100") is not a valid Docker name',
    );
  });

  it.each([
    ['a bare IPv6 address', '2001:db8::1'],
    ['a non-numeric port', 'web-1:http'],
    ['a port too long', 'web-1:123456'],
    ['two ports', 'web-1:80:90'],
    ['a URL (blackbox targets)', 'https://example.com:443'],
    ['a path after the port', 'web-1:9100/metrics'],
    ['a shell command', '$(reboot):9100'],
    ['a newline', 'web-1\n:9100'],
    ['a space', 'web 1:9100'],
    ['braces', '{global}:9100'],
    ['a leading dash', '-web:9100'],
    ['a leading dot', '.web:9100'],
    ['unicode', 'wéb-1:9100'],
    ['a bracket left open', '[web-1:9100'],
    ['text after the brackets', '[web-1]x:9100'],
    ['too long', `${'a'.repeat(254)}:9100`],
  ])('refuses %s with a TemplateError naming the label', (_what, instance) => {
    const err = (() => {
      try {
        return renderHost(instance);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(TemplateError);
    expect((err as Error).message).toMatch(/^labels\.instance \| host = .* is not a valid Docker name/);
  });

  it.each([':9100', '[]:9100', '[]'])('%j leaves nothing: refused as empty', (instance) => {
    expect(() => renderHost(instance)).toThrow(/^labels\.instance \| host of .* is empty$/);
  });

  it('property: the output is a substring of the input that obeys the name rule, or a TemplateError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (instance) => {
        try {
          const out = renderHost(instance);
          expect(DOCKER_NAME.test(out)).toBe(true);
          expect(instance.includes(out)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(TemplateError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('checkTemplate accepts | host and refuses any other filter at load time', () => {
    expect(checkTemplate(HOST)).toEqual(['labels.instance']);
    expect(() => checkTemplate('{{ labels.instance | lower }}')).toThrow(/unknown filter "lower" \(only \| host\)/);
    expect(() => checkTemplate('{{ labels.instance | }}')).toThrow(/unknown filter ""/);
    expect(() => checkTemplate('{{ labels.instance | host(1) }}')).toThrow(/unknown filter "host\(1\)"/);
    expect(() => checkTemplate('{{ host | labels.instance }}')).toThrow(/unsupported placeholder/);
  });

  it('a label name from Object.prototype is missing, not a function turned to text', () => {
    expect(() => renderName('{{ labels.constructor | host }}', { labels: {} })).toThrow(
      'labels.constructor is missing from the alert',
    );
  });
});
