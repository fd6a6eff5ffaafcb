import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTemplate, renderName } from '../../../src/catalog/template.js';
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
