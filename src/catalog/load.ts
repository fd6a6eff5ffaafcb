import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Type, type TSchema } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { CatalogError, type CatalogProblem } from '../errors.js';
import { parseMatchers } from './matchers.js';
import { NotifyShape, checkNotify, normalizeNotify } from './notify.js';
import { DEFAULTS, type Remediation } from './remediation.js';
import { RemediationFileSchema, durationMs, type RemediationFile } from './schema.js';
import { recurrenceGuardOf } from './recurrence.js';
import { checkRunbook, normalizeOnResolved, normalizeSteps, onResolvedAfterMs, queriesOf } from './steps.js';

const ID_RULE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

// The file without the action unions and steps: those are checked per `type` and per step
// (catalog/steps.ts) for precise messages.
const FileShape = Type.Object(
  {
    ...RemediationFileSchema.properties,
    action: Type.Optional(Type.Unknown()),
    steps: Type.Optional(Type.Unknown()),
    onResolved: Type.Optional(Type.Unknown()),
    notify: Type.Optional(NotifyShape),
  },
  { additionalProperties: false },
);

/** What a loader needs to know of the process: queries need PROMETHEUS_URL to mean anything. */
export interface LoadOptions {
  prometheusUrl?: string | undefined;
  /**
   * Without prometheusUrl, report as problems the `when` queries ('when': `check`, since a
   * step's condition cannot even be evaluated) or every query ('all': a worker, which also
   * verifies with them).
   */
  requirePrometheus?: 'when' | 'all' | undefined;
}

function describe(e: ValueError): string {
  if (e.message === 'Expected union value' && typeof e.schema.description === 'string') return e.schema.description;
  if (e.message === 'Expected union value') {
    if (
      /\/(delay|backoff|maxBackoff|within|queryWithin|cooldown|window|maxDuration|timeout|openFor|after)$/.test(e.path)
    ) {
      return 'expected a duration such as "30s", "5m", "1h" or a number of seconds';
    }
    if (e.path === '/match') return 'expected a matcher string or a list of them';
  }
  if (e.message.startsWith('Unexpected property')) return `unknown key "${e.path.split('/').pop()}"`;
  return e.message.replace(/^Expected/, 'expected');
}

function schemaProblems(schema: unknown, value: unknown, prefix: string): { path: string; reason: string }[] {
  const seen = new Set<string>();
  const out: { path: string; reason: string }[] = [];
  for (const e of Value.Errors(schema as TSchema, value)) {
    const path = prefix + e.path;
    if (seen.has(path)) continue; // one reason per place is enough to fix it
    seen.add(path);
    out.push({ path, reason: describe(e) });
  }
  return out;
}

/** Validate one remediation file's text; the id comes from the file name. */
export function parseRemediation(
  file: string,
  text: string,
  options: LoadOptions = {},
): { remediation?: Remediation; problems: CatalogProblem[] } {
  const problems: CatalogProblem[] = [];
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const push = (path: string, reason: string) => {
    const segments = path
      .split('/')
      .filter(Boolean)
      .map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
    const node = segments.length > 0 ? doc.getIn(segments, true) : doc.contents;
    const line = isNode(node) && node.range ? ` (line ${lines.linePos(node.range[0]).line})` : '';
    problems.push({ file, path: path || '/', reason: reason + line });
  };
  const id = file
    .replace(/\.ya?ml$/, '')
    .split('/')
    .pop()!;
  if (!ID_RULE.test(id)) push('', `file name gives id "${id}": use letters, digits, _ and - (no dots), at most 64`);
  for (const err of doc.errors) {
    problems.push({
      file,
      path: '/',
      reason: `YAML: ${err.message.split('\n')[0]} (line ${lines.linePos(err.pos[0]).line})`,
    });
  }
  if (doc.errors.length > 0) return { problems };
  const raw: unknown = doc.toJS();
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    push('', 'expected a mapping with match, target and action');
    return { problems };
  }
  for (const p of schemaProblems(FileShape, raw, '')) push(p.path, p.reason);
  const f = raw as RemediationFile;
  checkRunbook(f, push, schemaProblems);
  checkNotify(f, push, schemaProblems);
  if (options.requirePrometheus && !options.prometheusUrl) {
    for (const q of queriesOf(f)) {
      if (options.requirePrometheus === 'all' || q.path.endsWith('/when/query')) {
        push(q.path, 'a PromQL query needs PROMETHEUS_URL, which is not set');
      }
    }
  }

  const matchTexts = typeof f.match === 'string' ? [f.match] : Array.isArray(f.match) ? f.match : [];
  const matchers = matchTexts.flatMap((text, i) => {
    if (typeof text !== 'string') return []; // already reported by the schema
    try {
      return parseMatchers(text);
    } catch (err) {
      push(typeof f.match === 'string' ? '/match' : `/match/${i}`, (err as Error).message);
      return [];
    }
  });
  let silenceMs: number = DEFAULTS.silenceMaxDurationMs;
  try {
    silenceMs = durationMs(f.silence?.maxDuration, silenceMs);
  } catch {
    /* not a duration: the schema check above reported it */
  }
  if (f.silence && (silenceMs < 1000 || silenceMs > 86_400_000))
    push('/silence/maxDuration', 'expected a duration from 1s to 24h');
  const recurrence = recurrenceGuardOf(f, push);
  if (problems.length > 0) return { problems };

  const remediation: Remediation = {
    id,
    file,
    hash: createHash('sha256').update(text).digest('hex').slice(0, 16),
    description: f.description,
    match: matchTexts,
    matchers,
    target: f.target,
    steps: normalizeSteps(f),
    onResolved: normalizeOnResolved(f),
    onResolvedAfterMs: onResolvedAfterMs(f),
    delayMs: durationMs(f.delay, 0),
    guards: {
      cooldownMs: durationMs(f.guards?.cooldown, 0),
      budget: f.guards?.budget && { runs: f.guards.budget.runs, windowMs: durationMs(f.guards.budget.window, 0) },
      ...(recurrence && { recurrence }),
    },
    notify: normalizeNotify(f.notify),
    dryRun: f.dryRun ?? false,
    silence: f.silence && (f.silence.enabled ?? true) ? { maxDurationMs: silenceMs } : undefined,
  };
  return { remediation, problems };
}

/** Load and validate every remediations/*.yaml; throws {@link CatalogError} listing all problems. */
export async function loadRemediations(dir: string, options: LoadOptions = {}): Promise<Remediation[]> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory())
    throw new CatalogError([{ file: dir, path: '', reason: 'REMEDIATIONS_DIR is not a directory' }]);
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('.')).sort();
  if (files.length === 0) throw new CatalogError([{ file: dir, path: '', reason: 'no remediation files (*.yaml)' }]);
  const problems: CatalogProblem[] = [];
  const out: Remediation[] = [];
  const ids = new Map<string, string>();
  for (const name of files) {
    const file = join(dir, name);
    const { remediation, problems: p } = parseRemediation(file, await readFile(file, 'utf8'), options);
    problems.push(...p);
    if (!remediation) continue;
    const clash = ids.get(remediation.id);
    if (clash) problems.push({ file, path: '', reason: `id "${remediation.id}" is also used by ${clash}` });
    ids.set(remediation.id, file);
    out.push(remediation);
  }
  if (problems.length > 0) throw new CatalogError(problems);
  return out;
}
