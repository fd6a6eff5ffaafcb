/**
 * HTML for the operator page: escaping (alert labels and annotations are other people's text)
 * and the colours outcomes are shown in. Pure.
 */

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside an element or a quoted attribute. */
export const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]!);

/** Markup that is already safe (built by `html` or from escaped parts). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}
export const raw = (text: string): Html => new Html(text);

/** A template tag that escapes every interpolated value unless it is already `Html` (arrays joined). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const part = Array.isArray(v)
      ? v.map((x) => (x instanceof Html ? x.text : esc(x))).join('')
      : v instanceof Html
        ? v.text
        : esc(v);
    out += part + strings[i + 1]!;
  });
  return new Html(out);
}

/** Colour of an outcome: green fixed, red a human is needed, amber held back, grey nothing done. */
export function outcomeColour(outcome: string): string {
  switch (outcome) {
    case 'succeeded':
      return '#2e7d32';
    case 'resolved':
      return '#66bb6a';
    case 'failed':
    case 'refused':
    case 'escalated':
    case 'circuit_open':
      return '#c62828';
    case 'cooldown':
    case 'skipped':
    case 'dry_run':
      return '#ef8f00';
    default:
      return '#9e9e9e';
  }
}
