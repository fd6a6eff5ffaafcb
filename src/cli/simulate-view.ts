import type { GuardView } from '../guards/index.js';
import type {
  JobPlan,
  MatcherResult,
  RemediationPlan,
  SimulationReport,
  TargetView,
  WebhookDecision,
  WorkerDecision,
} from '../simulate/types.js';
import { humanDuration, plural, table, type Paint } from './term.js';

/** The human-readable plan of `remediator simulate`: one block per alert, one line per fact. */

function matcherText(m: MatcherResult, p: Paint): string {
  if (m.ok) return `${m.text} ${p.green('✓')}`;
  const actual = m.value === null ? `${m.label} absent` : `${m.label}=${JSON.stringify(m.value)}`;
  return `${m.text} ${p.red('✗')} ${p.dim(`(${actual})`)}`;
}

const webhookColour = (d: WebhookDecision, p: Paint) =>
  ({ enqueue: p.green, duplicate: p.yellow, cancel: p.yellow, leave: p.dim })[d](d);

function workerColour(d: WorkerDecision, p: Paint): string {
  const colours: Record<WorkerDecision, (s: string) => string> = {
    act: p.green,
    dry_run: p.cyan,
    conditional: p.cyan,
    skip: p.dim,
    wait: p.yellow,
    deferred: p.yellow,
    paused: p.yellow,
    awaiting_approval: p.yellow,
    unknown: p.yellow,
    denied: p.red,
    approval_expired: p.red,
    circuit_open: p.red,
    refused: p.red,
    not_found: p.red,
    resolved: p.dim,
    cancelled: p.dim,
  };
  return colours[d](d);
}

export function guardsText(g: GuardView): string {
  const lock =
    g.blocker === 'lock'
      ? `${g.lock.identity} locked by ${g.lock.holder} (${humanDuration(g.lock.ttlMs)} left)`
      : 'lock free';
  const cooldown =
    g.blocker === 'cooldown'
      ? `cooldown active on ${g.cooldown.subject} (${humanDuration(g.cooldown.remainingMs)} left)`
      : g.cooldown.configuredMs === 0
        ? 'no cooldown'
        : `cooldown ${humanDuration(g.cooldown.configuredMs)}, not active`;
  const budget =
    g.budget.limit === undefined
      ? 'no budget'
      : `budget ${g.budget.runsInWindow}/${g.budget.limit} per ${humanDuration(g.budget.windowMs ?? 0)}${g.blocker === 'circuit_open' ? ' (circuit open)' : ''}`;
  const share = g.share ? [`service share ${g.share.used}/${g.share.limit}`] : [];
  return [lock, cooldown, budget, `in flight ${g.inFlight.used}/${g.inFlight.max}`, ...share].join(' · ');
}

export function targetText(t: TargetView, p: Paint): string {
  if (t.refused !== undefined) return p.red(`refused: ${t.refused}`);
  const containers = t.containers
    .map(
      (c) => `${c.name} ${c.running ? 'running' : 'stopped'}${c.optedIn ? ', opted in' : p.yellow(', not opted in')}`,
    )
    .join('; ');
  const found =
    t.exists === undefined
      ? t.scope === 'host'
        ? 'host-wide'
        : p.dim('not looked up (no Docker Engine in this process)')
      : t.exists
        ? `exists: ${containers}`
        : p.red('not found');
  const problem = t.problem !== undefined && t.exists !== false ? ` ${p.red(`(${t.problem})`)}` : '';
  return `${t.description}: ${found}${problem}`;
}

function jobLines(j: JobPlan, p: Paint): string[][] {
  const rows: string[][] = [
    [
      'job',
      `${j.jobId} ${p.dim(`(${j.phase}: ${j.action}${j.delayMs > 0 && j.phase === 'fire' ? `, delay ${humanDuration(j.delayMs)}` : ''})`)}`,
    ],
    ['webhook', `${webhookColour(j.webhook.decision, p)}: ${j.webhook.detail}`],
  ];
  if (j.target) rows.push(['target', targetText(j.target, p)]);
  if (j.guards) rows.push(['guards', guardsText(j.guards)]);
  else if (j.guardsError) rows.push(['guards', p.yellow(`unreadable: ${j.guardsError}`)]);
  if (j.worker) {
    const dry = j.dryRun.global
      ? 'on (DRY_RUN=true)'
      : j.dryRun.remediation
        ? 'on (dryRun: true in the remediation)'
        : 'off';
    rows.push(['dry-run', dry]);
    rows.push(['worker', `${workerColour(j.worker.decision, p)}: ${j.worker.detail}`]);
  }
  if (j.steps.length > 1) {
    for (const st of j.steps) {
      const flow = `${st.when !== 'always' ? `when ${st.when}; ` : ''}${st.verify ? `verify ${st.verify}; ` : ''}on failure ${st.onFailure}, on success ${st.onSuccess}`;
      rows.push([`step ${st.index + 1}`, `${p.bold(st.name)} ${st.describe} ${p.dim(`(${flow})`)}`]);
      rows.push(['', `${workerColour(st.decision.decision, p)}: ${st.decision.detail}`]);
    }
  }
  return rows;
}

function remediationLines(r: RemediationPlan, p: Paint, width: number): string[] {
  const mark = r.matched ? p.green('✓') : p.red('✗');
  const head = `  ${mark} ${(r.matched ? p.bold(r.remediation) : r.remediation) + ' '.repeat(Math.max(0, width - r.remediation.length))}  ${r.matchers.map((m) => matcherText(m, p)).join('   ')}`;
  return [head, ...r.jobs.flatMap((j) => table(jobLines(j, p), '      '))];
}

/** Render the whole report; the last line says nothing was changed, which is the point. */
export function renderSimulation(report: SimulationReport, p: Paint): string {
  const out: string[] = [];
  const s = report.summary;
  out.push(
    p.bold(
      `remediator simulate: ${plural(s.alerts, 'alert')} (${report.status})${report.receiver ? `, receiver ${report.receiver}` : ''}`,
    ),
  );
  out.push(
    p.dim(
      `  catalog ${report.catalog.dir} (${plural(report.catalog.remediations, 'remediation')}, loaded ${report.catalog.loadedAt}), ` +
        `DRY_RUN ${report.dryRun ? 'on' : 'off'}, Docker ${report.docker ? 'checked' : 'not checked'}, at ${report.at}`,
    ),
  );
  if (report.truncatedAlerts > 0)
    out.push(
      p.yellow(
        `  Alertmanager left out ${plural(report.truncatedAlerts, 'alert')} of this group (max_alerts): they are not simulated`,
      ),
    );
  const width = Math.max(0, ...report.alerts.flatMap((a) => a.remediations.map((r) => r.remediation.length)));
  for (const a of report.alerts) {
    out.push('');
    out.push(
      `${p.bold(`alert ${a.index}`)}  ${p.cyan(a.alertname || '(no alertname)')}  ${a.status}  fingerprint ${a.fingerprint}  since ${a.startsAt}`,
    );
    if (a.remediations.length === 0) out.push(p.dim('  no remediations loaded'));
    for (const r of a.remediations) out.push(...remediationLines(r, p, width));
    if (a.remediations.length > 0 && a.remediations.every((r) => !r.matched))
      out.push(p.yellow('  no remediation matches this alert: remediator would do nothing with it'));
  }
  out.push('');
  out.push(
    `plan: ${plural(s.enqueue, 'job')} would be queued (${s.act} would act now), ${plural(s.duplicate, 'duplicate')}, ` +
      `${s.cancel} cancelled, ${plural(s.unmatched, 'alert')} unmatched`,
  );
  out.push(p.dim('simulated only: nothing was enqueued, nothing was changed in Redis or Docker'));
  return `${out.join('\n')}\n`;
}
