import { TemplateError } from '../errors.js';
/**
 * Target templates: `{{ labels.NAME }}` and `{{ annotations.NAME }}` only, nothing else, so an
 * alert can choose a container but never inject anything. Every rendered value must match
 * Docker's name rule; values are only ever passed to the Docker API, never to a shell.
 */

export const DOCKER_NAME_RULE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const MAX_NAME = 253;
const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const REFERENCE = /^(labels|annotations)\.([A-Za-z_][A-Za-z0-9_]*)$/;

export interface TemplateSource {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Check a template's syntax at load time; returns the references it uses. */
export function checkTemplate(template: string): string[] {
  const refs: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (!REFERENCE.test(m[1]!)) {
      throw new Error(`unsupported placeholder {{ ${m[1]} }}: only {{ labels.NAME }} and {{ annotations.NAME }}`);
    }
    refs.push(m[1]!);
  }
  const literal = template.replace(PLACEHOLDER, 'x');
  if (literal.includes('{{') || literal.includes('}}')) throw new Error('unbalanced {{ }}');
  if (!/^[a-zA-Z0-9_.-]*$/.test(literal))
    throw new Error(`literal text may only hold [a-zA-Z0-9_.-]: ${JSON.stringify(template)}`);
  return refs;
}

/** Render a template against an alert; the result obeys Docker's name rule or this throws. */
export function renderName(template: string, source: TemplateSource): string {
  const out = template.replace(PLACEHOLDER, (_all, ref: string) => {
    const m = REFERENCE.exec(ref);
    if (!m) throw new TemplateError(`unsupported placeholder {{ ${ref} }}`);
    const map = m[1] === 'labels' ? source.labels : (source.annotations ?? {});
    const value = map[m[2]!];
    if (value === undefined || value === '') throw new TemplateError(`${ref} is missing from the alert`);
    if (!DOCKER_NAME_RULE.test(value) || value.length > MAX_NAME) {
      throw new TemplateError(
        `${ref} = ${JSON.stringify(value.slice(0, 80))} is not a valid Docker name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)`,
      );
    }
    return value;
  });
  if (!DOCKER_NAME_RULE.test(out) || out.length > MAX_NAME) {
    throw new TemplateError(`rendered name ${JSON.stringify(out.slice(0, 80))} is not a valid Docker name`);
  }
  return out;
}
