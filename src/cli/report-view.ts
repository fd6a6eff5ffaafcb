import { msText, ofText, pctText } from '../stats/format.js';
import type { EffectRow, StatsReport } from '../stats/schema.js';
import { table, type Paint } from './term.js';

/**
 * `remediator report` as a human reads it: one table per remediation (and all together), one
 * per step, one per host. Times are means from the alert firing. Pure.
 */

const clock = (iso: string) => iso.replace('T', ' ').replace(/:\d\d\.\d+Z$/, 'Z');

function rate(p: Paint, r: number | null, good: 'high' | 'low'): string {
  const text = pctText(r);
  if (r === null || !p.enabled) return text;
  const bad = good === 'high' ? r < 0.5 : r > 0.5;
  return bad ? p.red(text) : text;
}

function effectCells(x: EffectRow, p: Paint): string[] {
  return [
    String(x.runs),
    String(x.acted),
    x.acted === 0 ? '-' : `${x.succeeded}/${x.acted} (${rate(p, x.successRate, 'high')})`,
    ofText(x.verifications.passed, x.verifications.run),
    msText(x.timeToFirstAction.meanMs),
    msText(x.timeToVerified.meanMs),
    msText(x.timeToResolve.meanMs),
    `${x.recurrence.within1h.count} (${rate(p, x.recurrence.within1h.rate, 'low')})`,
    `${x.recurrence.within24h.count} (${rate(p, x.recurrence.within24h.rate, 'low')})`,
    String(x.escalations),
    String(x.cooldown),
    String(x.circuitOpen),
    String(x.skipped),
  ];
}

const EFFECT_HEAD = [
  'RUNS',
  'ACTED',
  'SUCCESS',
  'VERIFIED',
  '1ST ACTION',
  'FIXED AFTER',
  'MTTR',
  'RECUR 1H',
  'RECUR 24H',
  'ESCALATED',
  'COOLDOWN',
  'CIRCUIT',
  'SKIPPED',
];

export function renderReport(r: StatsReport, p: Paint, sinceText: string): string {
  const scope = [
    r.filter.remediation ? `remediation ${r.filter.remediation}` : 'all remediations',
    r.filter.host ? `host ${r.filter.host}` : 'all hosts',
  ].join(', ');
  const lines = [`Effectiveness from ${clock(r.coveredFrom)} to ${clock(r.until)} (since ${sinceText}); ${scope}`, ''];
  if (r.remediations.length === 0) {
    lines.push(p.dim('no episode ended in this span'));
    return `${lines.join('\n')}\n`;
  }
  const rems = r.remediations.length > 1 ? [...r.remediations, { ...r.total, remediation: 'all' }] : r.remediations;
  lines.push(
    ...table([
      ['REMEDIATION', ...EFFECT_HEAD].map((h) => p.bold(h)),
      ...rems.map((x) => [x.remediation ?? '', ...effectCells(x, p)]),
    ]),
  );
  if (r.steps.length > 0) {
    lines.push(
      '',
      ...table([
        ['REMEDIATION', 'STEP', 'RUNS', 'SUCCEEDED', 'FAILED', 'SKIPPED', 'VERIFIED', 'MEAN DURATION'].map((h) =>
          p.bold(h),
        ),
        ...r.steps.map((s) => [
          s.remediation,
          s.step,
          String(s.runs),
          String(s.succeeded),
          String(s.failed),
          String(s.skipped),
          ofText(s.verifications.passed, s.verifications.run),
          msText(s.duration.meanMs),
        ]),
      ]),
    );
  }
  if (r.hosts.length > 0) {
    lines.push(
      '',
      ...table([
        ['HOST', ...EFFECT_HEAD].map((h) => p.bold(h)),
        ...r.hosts.map((x) => [x.host ?? '', ...effectCells(x, p)]),
      ]),
    );
  }
  lines.push(
    '',
    p.dim(
      'SUCCESS: succeeded of the episodes remediator acted in. Times are means from the alert firing (startsAt): to the\n' +
        'first Docker action, to the fixing step verified, to resolved (Alertmanager endsAt, MTTR). RECUR: successes\n' +
        'followed by the same alert firing again within 1h / 24h.',
    ),
  );
  return `${lines.join('\n')}\n`;
}
