import { TemplateError } from '../errors.js';
/**
 * Target templates: `{{ labels.NAME }}` and `{{ annotations.NAME }}`, optionally through a
 * filter (`{{ labels.instance | host }}`), nothing else, so an alert can choose a container or
 * a host but never inject anything. Every rendered value must match Docker's name rule; values
 * are only ever passed to the Docker API, never to a shell.
 *
 * Filters only take characters away (a filter's output is a substring of its input), and the
 * rule is checked after them: no filter can produce a character the rule refuses.
 */

export const DOCKER_NAME_RULE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const MAX_NAME = 253;
const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const REFERENCE = /^(labels|annotations)\.([A-Za-z_][A-Za-z0-9_]*)$/;

/**
 * `host`: Prometheus' `instance` label without its port: `web-1:9100` -> `web-1`,
 * `10.0.0.5:9100` -> `10.0.0.5`, `[2001:db8::1]:9100` -> `2001:db8::1` (which the name rule then
 * refuses: an IPv6 literal is not a Docker host name). Anything else is left as it is, for the
 * rule to judge: a bare IPv6 address, a non-numeric port, a URL.
 */
export function hostOf(value: string): string {
  const v6 = /^\[([^\]]*)\](?::[0-9]{1,5})?$/.exec(value);
  if (v6) return v6[1]!;
  const port = /^([^:]*):[0-9]{1,5}$/.exec(value);
  return port ? port[1]! : value;
}

const FILTERS: Record<string, (value: string) => string> = { host: hostOf };
const FILTER_NAMES = Object.keys(FILTERS);

interface Placeholder {
  source: 'labels' | 'annotations';
  name: string;
  /** The reference as written without filters: `labels.instance`. */
  ref: string;
  filters: string[];
  /** As written, for messages: `labels.instance | host`. */
  text: string;
}

/** Parse `labels.X | f | g`; throws a plain Error (load time) naming what is wrong. */
function parsePlaceholder(inner: string): Placeholder {
  const [head, ...rest] = inner.split('|').map((s) => s.trim());
  const m = REFERENCE.exec(head!);
  if (!m) {
    throw new Error(
      `unsupported placeholder {{ ${inner} }}: only {{ labels.NAME }} and {{ annotations.NAME }}, optionally | ${FILTER_NAMES.join(' | ')}`,
    );
  }
  for (const f of rest) {
    if (!Object.hasOwn(FILTERS, f))
      throw new Error(
        `unsupported placeholder {{ ${inner} }}: unknown filter "${f}" (only | ${FILTER_NAMES.join(', | ')})`,
      );
  }
  return {
    source: m[1] as 'labels' | 'annotations',
    name: m[2]!,
    ref: head!,
    filters: rest,
    text: [head, ...rest].join(' | '),
  };
}

export interface TemplateSource {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Check a template's syntax at load time; returns the references it uses (without filters). */
export function checkTemplate(template: string): string[] {
  const refs: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) refs.push(parsePlaceholder(m[1]!).ref);
  const literal = template.replace(PLACEHOLDER, 'x');
  if (literal.includes('{{') || literal.includes('}}')) throw new Error('unbalanced {{ }}');
  if (!/^[a-zA-Z0-9_.-]*$/.test(literal))
    throw new Error(`literal text may only hold [a-zA-Z0-9_.-]: ${JSON.stringify(template)}`);
  return refs;
}

/** Render a template against an alert; the result obeys Docker's name rule or this throws. */
export function renderName(template: string, source: TemplateSource): string {
  const out = template.replace(PLACEHOLDER, (_all, inner: string) => {
    let p: Placeholder;
    try {
      p = parsePlaceholder(inner);
    } catch (err) {
      throw new TemplateError((err as Error).message);
    }
    const map = p.source === 'labels' ? source.labels : (source.annotations ?? {});
    const raw = Object.hasOwn(map, p.name) ? map[p.name] : undefined;
    if (raw === undefined || raw === '') throw new TemplateError(`${p.ref} is missing from the alert`);
    const value = p.filters.reduce((v, f) => FILTERS[f]!(v), raw);
    if (value === '') throw new TemplateError(`${p.text} of ${JSON.stringify(raw.slice(0, 80))} is empty`);
    if (!DOCKER_NAME_RULE.test(value) || value.length > MAX_NAME) {
      const from = value === raw ? '' : ` (from ${JSON.stringify(raw.slice(0, 80))})`;
      throw new TemplateError(
        `${p.text} = ${JSON.stringify(value.slice(0, 80))}${from} is not a valid Docker name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)`,
      );
    }
    return value;
  });
  if (!DOCKER_NAME_RULE.test(out) || out.length > MAX_NAME) {
    throw new TemplateError(`rendered name ${JSON.stringify(out.slice(0, 80))} is not a valid Docker name`);
  }
  return out;
}
