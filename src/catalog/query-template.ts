import { TemplateError } from '../errors.js';
import type { TemplateSource } from './template.js';

/**
 * Templates in PromQL (verify.query, when.query): `{{ labels.NAME }}` / `{{ annotations.NAME }}`
 * only, and only inside a double-quoted string literal, where the value is escaped as PromQL
 * string content. An alert can then pick which series a query looks at (its container, its
 * mountpoint, which may hold `/`), but never change the query's shape.
 */

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const REFERENCE = /^(labels|annotations)\.([A-Za-z_][A-Za-z0-9_]*)$/;
const MAX_VALUE = 1024;

/** Each placeholder with whether it sits inside a "..." string (backslash escapes honoured). */
function placeholders(query: string): { ref: string; start: number; end: number; quoted: boolean }[] {
  const out: { ref: string; start: number; end: number; quoted: boolean }[] = [];
  let inString = false;
  for (let i = 0; i < query.length; i++) {
    const c = query[i];
    if (query.startsWith('{{', i)) {
      const close = query.indexOf('}}', i + 2);
      if (close < 0) throw new TemplateError('unbalanced {{ }} in query');
      out.push({ ref: query.slice(i + 2, close).trim(), start: i, end: close + 2, quoted: inString });
      i = close + 1;
      continue;
    }
    if (inString && c === '\\') i++;
    else if (c === '"') inString = !inString;
  }
  return out;
}

/** Check a query's placeholders at load time; returns the references it uses. */
export function checkQueryTemplate(query: string): string[] {
  const refs: string[] = [];
  for (const p of placeholders(query)) {
    if (!REFERENCE.test(p.ref)) {
      throw new TemplateError(
        `unsupported placeholder {{ ${p.ref} }}: only {{ labels.NAME }} and {{ annotations.NAME }}`,
      );
    }
    if (!p.quoted) {
      throw new TemplateError(
        `{{ ${p.ref} }} must sit inside a double-quoted string, e.g. {container="{{ ${p.ref} }}"}`,
      );
    }
    refs.push(p.ref);
  }
  if (query.replace(PLACEHOLDER, '').includes('}}')) throw new TemplateError('unbalanced {{ }} in query');
  return refs;
}

/** PromQL string-literal content for a value: backslash, quote and control characters escaped. */
export function promqlEscape(value: string): string {
  return (
    value
      .replace(/[\\"]/g, (c) => `\\${c}`)
      // eslint-disable-next-line no-control-regex -- control characters are exactly what is escaped here
      .replace(/[\u0000-\u001f\u007f]/g, (c) => {
        const code = c.charCodeAt(0);
        return code === 10
          ? '\\n'
          : code === 9
            ? '\\t'
            : code === 13
              ? '\\r'
              : `\\x${code.toString(16).padStart(2, '0')}`;
      })
  );
}

/** Render a query against an alert; a missing label refuses it (the step fails, naming it). */
export function renderQuery(query: string, source: TemplateSource): string {
  let out = '';
  let last = 0;
  for (const p of placeholders(query)) {
    const m = REFERENCE.exec(p.ref);
    if (!m || !p.quoted) throw new TemplateError(`unsupported placeholder {{ ${p.ref} }} in query`);
    const map = m[1] === 'labels' ? source.labels : (source.annotations ?? {});
    const value = map[m[2]!];
    if (value === undefined || value === '') throw new TemplateError(`${p.ref} is missing from the alert`);
    if (value.length > MAX_VALUE) throw new TemplateError(`${p.ref} is longer than ${MAX_VALUE} characters`);
    out += query.slice(last, p.start) + promqlEscape(value);
    last = p.end;
  }
  return out + query.slice(last);
}
