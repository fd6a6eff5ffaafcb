import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { matcherMatches } from '../catalog/matchers.js';
import type { Remediation } from '../catalog/remediation.js';
import type { CatalogProblem } from '../errors.js';

/**
 * alert-rules/ as `remediator check` sees it: the Prometheus alert rules, checked by promtool
 * when it is installed, and cross-checked against the remediations: which remediation no rule
 * can trigger, which rule no remediation handles.
 */

export interface AlertRule {
  file: string;
  /** JSON pointer into the file, e.g. /groups/0/rules/2. */
  path: string;
  alert: string;
  /** Labels the rule sets statically (template values left out: unknown until it fires). */
  labels: Record<string, string>;
}

export interface RulesRead {
  files: string[];
  rules: AlertRule[];
  problems: CatalogProblem[];
}

/** Read every *.yml / *.yaml directly in `dir` (tests/ and other folders are not rules). */
export async function readAlertRules(dir: string): Promise<RulesRead> {
  const out: RulesRead = { files: [], rules: [], problems: [] };
  const names = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('.')).sort();
  for (const name of names) {
    const file = join(dir, name);
    if (!(await stat(file)).isFile()) continue;
    out.files.push(file);
    const doc = parseDocument(await readFile(file, 'utf8'), { prettyErrors: false });
    if (doc.errors.length > 0) {
      out.problems.push({ file, path: '/', reason: `YAML: ${doc.errors[0]!.message.split('\n')[0]}` });
      continue;
    }
    const groups = (doc.toJS() as { groups?: unknown } | null)?.groups;
    if (!Array.isArray(groups)) {
      out.problems.push({ file, path: '/groups', reason: 'expected a list of rule groups' });
      continue;
    }
    groups.forEach((g: { rules?: unknown }, gi: number) => {
      const rules = Array.isArray(g?.rules) ? (g.rules as { alert?: unknown; labels?: Record<string, unknown> }[]) : [];
      rules.forEach((r, ri) => {
        if (typeof r?.alert !== 'string') return; // recording rules raise nothing
        const labels: Record<string, string> = {};
        for (const [k, v] of Object.entries(r.labels ?? {}))
          if (typeof v === 'string' && !v.includes('{{')) labels[k] = v;
        out.rules.push({ file, path: `/groups/${gi}/rules/${ri}`, alert: r.alert, labels });
      });
    });
  }
  return out;
}

/**
 * Whether alerts of this rule could match the remediation. Only what the rule fixes is known
 * (alertname and static labels); a matcher on any other label might hold, so it counts as possible.
 */
export function canTrigger(r: Pick<Remediation, 'matchers'>, rule: Pick<AlertRule, 'alert' | 'labels'>): boolean {
  const known: Record<string, string> = { ...rule.labels, alertname: rule.alert };
  return r.matchers.every((m) => !(m.name in known) || matcherMatches(m, known));
}

/** Rules that watch remediator itself have nothing to remediate; no warning for them. */
const isSelfWatch = (rule: AlertRule) => rule.labels.component === 'remediator';

export function crossCheck(
  remediations: readonly Remediation[],
  rules: readonly AlertRule[],
  rulesDir: string,
): CatalogProblem[] {
  const warnings: CatalogProblem[] = [];
  for (const r of remediations) {
    if (!rules.some((rule) => canTrigger(r, rule))) {
      warnings.push({
        file: r.file,
        path: '/match',
        reason: `no alert rule in ${rulesDir} can trigger it (${r.match.join(', ')})`,
      });
    }
  }
  for (const rule of rules) {
    if (isSelfWatch(rule)) continue;
    if (!remediations.some((r) => canTrigger(r, rule))) {
      warnings.push({
        file: rule.file,
        path: rule.path,
        reason: `alert ${rule.alert} has no remediation: nothing matches it`,
      });
    }
  }
  return warnings;
}

export interface PromtoolResult {
  /** false when promtool is not installed: the rules were only parsed. */
  available: boolean;
  problems: CatalogProblem[];
}

/** `promtool check rules FILE` per file, so each problem names its file. PROMTOOL overrides the binary. */
export async function promtoolCheck(files: string[], env: NodeJS.ProcessEnv = process.env): Promise<PromtoolResult> {
  const bin = env.PROMTOOL ?? 'promtool';
  const problems: CatalogProblem[] = [];
  for (const file of files) {
    const r = await new Promise<{ code: number | string; stderr: string; stdout: string }>((resolve) => {
      execFile(bin, ['check', 'rules', file], { timeout: 30_000, env }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as NodeJS.ErrnoException).code ?? 1) : 0, stdout, stderr });
      });
    });
    if (r.code === 'ENOENT') return { available: false, problems: [] };
    if (r.code === 0) continue;
    const lines = `${r.stderr}\n${r.stdout}`
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && l !== 'FAILED:' && !l.startsWith('Checking '));
    for (const line of lines.length > 0 ? lines : [`exit ${r.code}`]) {
      problems.push({
        file,
        path: '/',
        reason: `promtool: ${line.startsWith(`${file}: `) ? line.slice(file.length + 2) : line}`,
      });
    }
  }
  return { available: true, problems };
}
