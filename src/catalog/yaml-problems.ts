import type { TSchema } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { LineCounter, isMap, isNode, isScalar, parseDocument } from 'yaml';
import type { CatalogProblem } from '../errors.js';

/**
 * A YAML file read for validation: every problem carries the file, a JSON-pointer-like path and
 * the line it is on, as `remediator check` prints them. The same shape load.ts gives
 * remediations (kept apart so the hosts file does not depend on the remediation loader).
 */
export interface YamlFile {
  /** The parsed value; undefined when the YAML itself is broken (then `problems` says where). */
  raw: unknown;
  problems: CatalogProblem[];
  /** Record a problem at `path` (`/hosts/web-1/tls/ca`); its line is looked up in the file. */
  push(path: string, reason: string, severity?: 'error' | 'warning'): void;
}

export function readYaml(file: string, text: string): YamlFile {
  const problems: CatalogProblem[] = [];
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const push = (path: string, reason: string, severity: 'error' | 'warning' = 'error'): void => {
    const segments = path
      .split('/')
      .filter(Boolean)
      .map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
    // A key's problem is on the key's line (`  web 1:`), not on its value's (the next line).
    const parent = segments.length > 1 ? doc.getIn(segments.slice(0, -1), true) : doc.contents;
    const pair = isMap(parent)
      ? parent.items.find((p) => isScalar(p.key) && p.key.value === segments.at(-1))
      : undefined;
    const node = pair?.key ?? (segments.length > 0 ? doc.getIn(segments, true) : doc.contents);
    const line = isNode(node) && node.range ? ` (line ${lines.linePos(node.range[0]).line})` : '';
    problems.push({ file, path: path || '/', reason: reason + line, ...(severity === 'warning' && { severity }) });
  };
  for (const err of doc.errors) {
    problems.push({
      file,
      path: '/',
      reason: `YAML: ${err.message.split('\n')[0]} (line ${lines.linePos(err.pos[0]).line})`,
    });
  }
  return { raw: doc.errors.length > 0 ? undefined : (doc.toJS() as unknown), problems, push };
}

function describe(e: ValueError): string {
  if (e.message.startsWith('Unexpected property')) return `unknown key "${e.path.split('/').pop()}"`;
  if (e.message === 'Expected required property') return `missing "${e.path.split('/').pop()}"`;
  return e.message.replace(/^Expected/, 'expected');
}

/** Schema errors of `value`, one per path (the first is enough to fix it). */
export function schemaProblems(schema: TSchema, value: unknown, prefix = ''): { path: string; reason: string }[] {
  const seen = new Set<string>();
  const out: { path: string; reason: string }[] = [];
  for (const e of Value.Errors(schema, value)) {
    const path = prefix + e.path;
    if (seen.has(path)) continue;
    seen.add(path);
    out.push({ path, reason: describe(e) });
  }
  return out;
}
