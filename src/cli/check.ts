import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadHostsFile } from '../catalog/hosts.js';
import { loadRemediations } from '../catalog/load.js';
import { primaryAction, type Remediation } from '../catalog/remediation.js';
import { loadConfig } from '../config.js';
import { CatalogError, type CatalogProblem, UsageError } from '../errors.js';
import type { CliIO } from './io.js';
import { usageLine } from './help.js';
import { crossCheck, promtoolCheck, readAlertRules } from './rules.js';
import { EXIT, paintFor, plural } from './term.js';

export const CHECK_USAGE = usageLine('check');
const DEFAULT_RULES_DIR = 'alert-rules';

export interface CheckReport {
  valid: boolean;
  dir: string;
  remediations: { id: string; file: string; hash: string; action: string; steps: string[]; match: string[] }[];
  rules: {
    dir: string | undefined;
    files: string[];
    alerts: number;
    promtool: 'checked' | 'not installed' | 'skipped';
  };
  /** The hosts file checked (--hosts, else HOSTS_FILE); undefined when neither names one. */
  hosts: { file: string; names: string[]; defaultHost: string | undefined } | undefined;
  problems: CatalogProblem[];
  warnings: CatalogProblem[];
  notes: string[];
}

/** Validate remediations/ and alert-rules/, reporting every problem with file and path. */
export async function runCheck(
  dir: string,
  rulesDir: string | undefined,
  rulesExplicit: boolean,
  env: NodeJS.ProcessEnv,
  hostsFile?: string,
): Promise<CheckReport> {
  const problems: CatalogProblem[] = [];
  const warnings: CatalogProblem[] = [];
  const notes: string[] = [];
  let remediations: Remediation[] | undefined;
  try {
    remediations = await loadRemediations(dir, { prometheusUrl: env.PROMETHEUS_URL, requirePrometheus: 'when' });
  } catch (err) {
    if (!(err instanceof CatalogError)) throw err;
    problems.push(...err.problems);
  }

  // Verification queries are checked by every worker's start (it refuses without PROMETHEUS_URL).
  if (remediations && !env.PROMETHEUS_URL) {
    for (const r of remediations) {
      const queries = [...r.steps.filter((st) => st.verify?.query).map((st) => st.name)];
      if (queries.length > 0) {
        warnings.push({
          file: r.file,
          path: '/',
          reason: `verifies with PromQL (${queries.join(', ')}): a worker needs PROMETHEUS_URL`,
        });
      }
    }
  }
  // Without a hosts file there is one host, `local`, from DOCKER_HOST: nothing to check here.
  let hosts: CheckReport['hosts'];
  if (hostsFile !== undefined) {
    try {
      const catalog = await loadHostsFile(hostsFile);
      hosts = { file: hostsFile, names: [...catalog.hosts.keys()], defaultHost: catalog.defaultHost };
      warnings.push(...catalog.warnings);
    } catch (err) {
      if (!(err instanceof CatalogError)) throw err;
      problems.push(...err.problems.filter((p) => p.severity !== 'warning'));
      warnings.push(...err.problems.filter((p) => p.severity === 'warning'));
    }
  }

  const rules: CheckReport['rules'] = { dir: rulesDir, files: [], alerts: 0, promtool: 'skipped' };
  const isDir = rulesDir !== undefined && (await stat(rulesDir).catch(() => undefined))?.isDirectory() === true;
  if (rulesDir !== undefined && isDir) {
    const read = await readAlertRules(rulesDir);
    rules.files = read.files;
    rules.alerts = read.rules.length;
    problems.push(...read.problems);
    const prom = await promtoolCheck(read.files, env);
    rules.promtool = prom.available ? 'checked' : 'not installed';
    problems.push(...prom.problems);
    if (!prom.available)
      notes.push(
        'promtool is not on PATH (Debian package "prometheus"): alert rules were parsed, not checked by promtool',
      );
    if (remediations) warnings.push(...crossCheck(remediations, read.rules, rulesDir));
  } else if (rulesExplicit) {
    problems.push({ file: rulesDir ?? '', path: '', reason: '--rules is not a directory' });
  } else {
    notes.push(`no ${DEFAULT_RULES_DIR}/ directory here: alert rules not checked (use --rules DIR)`);
  }
  return {
    valid: problems.length === 0,
    dir,
    remediations: (remediations ?? []).map((r) => ({
      id: r.id,
      file: r.file,
      hash: r.hash,
      action: primaryAction(r, 'fire'),
      steps: r.steps.map((st) => st.name),
      match: r.match,
    })),
    rules,
    hosts,
    problems,
    warnings,
    notes,
  };
}

/**
 * `remediator check`: exit 0 when everything is valid (warnings allowed), 1 when anything is
 * invalid. Lines are `ok|error|warn  <file>  <path>  <reason>`, stable for scripts and grep.
 */
export async function checkCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string' },
      rules: { type: 'string' },
      hosts: { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"\n${CHECK_USAGE}`);
  const config = loadConfig(io.env, ['cli']);
  const dir = values.dir ?? config.remediationsDir;
  const hostsFile = values.hosts ?? config.hostsFile;
  const report = await runCheck(dir, values.rules ?? DEFAULT_RULES_DIR, values.rules !== undefined, io.env, hostsFile);
  if (values.json) {
    io.out.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.valid ? EXIT.ok : EXIT.problems;
  }
  const p = paintFor(io.out, io.env);
  const e = paintFor(io.err, io.env);
  for (const r of report.remediations)
    io.out.write(`${p.green('ok')}  ${r.id}  ${r.action}  match ${r.match.join(', ')}\n`);
  if (report.remediations.length > 0)
    io.out.write(`${plural(report.remediations.length, 'remediation')} valid in ${dir}\n`);
  if (report.rules.files.length > 0) {
    const how = report.rules.promtool === 'checked' ? 'checked by promtool' : 'parsed only';
    io.out.write(
      `${plural(report.rules.alerts, 'alert rule')} in ${plural(report.rules.files.length, 'file')} of ${report.rules.dir} (${how})\n`,
    );
  }
  if (report.hosts) {
    const d = report.hosts.defaultHost;
    io.out.write(
      `${plural(report.hosts.names.length, 'host')} valid in ${report.hosts.file}: ${report.hosts.names.join(', ')}${d ? ` (default ${d})` : ''}\n`,
    );
  }
  for (const x of report.problems) io.err.write(`${e.red('error')}  ${x.file}  ${x.path || '/'}  ${x.reason}\n`);
  for (const w of report.warnings) io.err.write(`${e.yellow('warn')}  ${w.file}  ${w.path}  ${w.reason}\n`);
  for (const n of report.notes) io.err.write(`${e.dim('note')}  ${n}\n`);
  if (!report.valid) {
    io.err.write(
      `${plural(report.problems.length, 'problem')} in ${[dir, report.rules.files.length > 0 ? report.rules.dir : undefined, report.problems.some((x) => x.file === hostsFile) ? hostsFile : undefined].filter(Boolean).join(' and ')}\n`,
    );
    return EXIT.problems;
  }
  if (report.warnings.length > 0) io.out.write(`valid, with ${plural(report.warnings.length, 'warning')}\n`);
  return EXIT.ok;
}
