import { primaryAction } from '../../../catalog/remediation.js';
import type { RemediationJobData } from '../../../queue/contract.js';
import { approvalAnswerText, approvalButtons, approvalPromptText, type ActionsBlock } from './approval-blocks.js';
import { cut, date, esc, escCut, link } from './mrkdwn.js';
import { STATE_LABEL, type ThreadView } from '../../view.js';

/**
 * Block Kit for the thread's parent message: what fired, what remediator is doing about it,
 * the labels that matter and links to the source, Alertmanager and the runbook. Pure.
 */

/** Slack's documented limits (https://docs.slack.dev/reference/block-kit/blocks). */
export const LIMITS = {
  blocks: 50,
  text: 3000,
  header: 150,
  field: 2000,
  fields: 10,
  contextElements: 10,
  fallback: 4000,
} as const;

export type TextObject = { type: 'mrkdwn'; text: string } | { type: 'plain_text'; text: string; emoji?: boolean };
export type Block =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji?: boolean } }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' }
  | ActionsBlock;

/** One Slack message: blocks plus the fallback text notifications and screen readers use. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
  /** Turn `@name` into mentions (only for an escalation whose handle is a bare @name). */
  linkNames?: boolean;
  /** Also show a thread reply in the channel (escalations). */
  broadcast?: boolean;
}

/** Labels an on-call looks at first, in this order; the rest follow alphabetically. */
const KEY_LABELS = [
  'severity',
  'instance',
  'job',
  'container',
  'service',
  'namespace',
  'pod',
  'host',
  'mountpoint',
  'device',
];
const MAX_LABEL_LINES = 16;

export const mrkdwn = (text: string): TextObject => ({ type: 'mrkdwn', text });

/** Labels ordered for reading: key labels first, alertname left out (it is the header). */
export function orderedLabels(labels: Record<string, string>): [string, string][] {
  const entries = Object.entries(labels).filter(([k]) => k !== 'alertname');
  const rank = (k: string) => (KEY_LABELS.includes(k) ? KEY_LABELS.indexOf(k) : KEY_LABELS.length);
  return entries.sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

function matchers(labels: Record<string, string>): string[] {
  const q = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  const picked = [
    ['alertname', labels.alertname ?? ''] as [string, string],
    ...orderedLabels(labels).filter(([k]) => KEY_LABELS.includes(k)),
  ];
  return picked.map(([k, v]) => `${k}=${q(v)}`);
}

/**
 * Where the Alertmanager links point (ALERTMANAGER_EXTERNAL_URL, ALERTMANAGER_UI): a base that
 * replaces the payload's externalURL, and whether that Alertmanager has its web UI at all.
 */
export interface AlertmanagerLinks {
  externalUrl: string | undefined;
  ui: boolean;
}

/**
 * Links: the rule's graph, the alert and a pre-filled silence in Alertmanager, the runbook.
 * Without a web UI (Debian's package has none) the UI pages would all be a placeholder: the
 * alert links to the API's JSON instead, and there is no silence link.
 */
export function alertLinks(
  data: RemediationJobData,
  am: AlertmanagerLinks = { externalUrl: undefined, ui: true },
): string[] {
  const base = (am.externalUrl ?? data.group.externalURL)?.replace(/\/+$/, '');
  const m = matchers(data.alert.labels);
  const filter = encodeURIComponent(`{${m.join(',')}}`);
  const apiFilter = m.map((x) => `filter=${encodeURIComponent(x)}`).join('&');
  const out = [
    link(data.alert.generatorURL, 'Source'),
    base && am.ui ? link(`${base}/#/alerts?filter=${filter}`, 'Alertmanager') : undefined,
    base && !am.ui ? link(`${base}/api/v2/alerts?${apiFilter}`, 'Alertmanager (API)') : undefined,
    base && am.ui ? link(`${base}/#/silences/new?filter=${filter}`, 'Silence') : undefined,
    link(data.alert.annotations.runbook_url, 'Runbook'),
  ];
  return out.filter((l): l is string => l !== undefined);
}

/** A mark per step outcome, for the parent's steps line. */
export const STEP_MARK: Record<string, string> = {
  succeeded: ':white_check_mark:',
  failed: ':x:',
  skipped: ':fast_forward:',
  noop: ':white_circle:',
  dry_run: ':test_tube:',
};

function stateLine(view: ThreadView): string {
  const s = STATE_LABEL[view.state];
  const attempt =
    view.attempt && view.attempts && view.attempts > 1 ? ` · attempt ${view.attempt}/${view.attempts}` : '';
  const doing =
    view.state === 'acting' && view.action
      ? ` · \`${view.action}\`${view.targets.length ? ` → ${escCut(view.targets.join(', '), 300)}` : ''}`
      : '';
  const step = view.step ? ` · step ${view.step.index + 1}/${view.step.count} \`${esc(view.step.name)}\`` : '';
  const lines = [`${s.emoji} *${s.text}*${step}${attempt}${doing}`];
  if (view.waiting) lines.push(`_Waiting:_ ${escCut(view.waiting, 600)}`);
  if (view.approvalAnswer) lines.push(approvalAnswerText(view.approvalAnswer));
  if (view.steps && view.steps.length > 0) {
    lines.push(`*Steps:* ${view.steps.map((st) => `${STEP_MARK[st.outcome] ?? '•'} ${esc(st.name)}`).join('  ·  ')}`);
  }
  if (view.summary) lines.push(escCut(view.summary, 1200));
  else if (view.lastError) lines.push(`_Last error:_ ${escCut(view.lastError, 1200)}`);
  if (view.escalation) lines.push(`:rotating_light: *A human is needed:* ${esc(view.escalation)}`);
  if (view.afterResolve) {
    const a = STATE_LABEL[view.afterResolve.state];
    lines.push(
      `*On resolve:* ${a.emoji} ${a.text}${view.afterResolve.summary ? ` — ${escCut(view.afterResolve.summary, 400)}` : ''}`,
    );
  }
  if (view.resolved)
    lines.push(`:large_green_circle: *Alert resolved*${view.resolved.endsAt ? ` ${date(view.resolved.endsAt)}` : ''}`);
  return cut(lines.join('\n'), LIMITS.text);
}

function labelLines(labels: Record<string, string>): string | undefined {
  const entries = orderedLabels(labels);
  if (entries.length === 0) return undefined;
  const shown = entries.slice(0, MAX_LABEL_LINES).map(([k, v]) => `*${escCut(k, 60)}*: ${escCut(v, 160)}`);
  const more = entries.length - MAX_LABEL_LINES;
  return cut(shown.join('\n') + (more > 0 ? `\n_… and ${more} more labels_` : ''), LIMITS.text);
}

/** The parent message of a thread (also the body of every incoming-webhook message). */
export function renderParent(
  view: ThreadView,
  data: RemediationJobData,
  jobId: string,
  am?: AlertmanagerLinks,
): SlackMessage {
  const alertname = data.alert.labels.alertname ?? 'alert';
  const state = STATE_LABEL[view.state];
  const summary = data.alert.annotations.summary;
  const description = data.alert.annotations.description;
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: escCut(`${alertname}`, LIMITS.header), emoji: false } },
    { type: 'section', text: mrkdwn(stateLine(view)) },
  ];
  if (view.approval) {
    blocks.push({ type: 'section', text: mrkdwn(cut(approvalPromptText(view.approval), LIMITS.text)) });
    blocks.push(approvalButtons(view.approval));
  }
  if (summary || description) {
    const quote = [summary && `*${escCut(summary, 500)}*`, description && escCut(description, 2000)]
      .filter(Boolean)
      .join('\n');
    blocks.push({ type: 'section', text: mrkdwn(cut(quote, LIMITS.text)) });
  }
  const action = primaryAction(data.remediation, data.phase);
  const fields = [
    mrkdwn(`*Remediation*\n${escCut(data.remediation.id, 200)}${data.remediation.dryRun ? ' (dry run)' : ''}`),
    mrkdwn(
      `*Action*\n\`${esc(view.action ?? action)}\`${view.targets.length ? ` → ${escCut(view.targets.join(', '), 1000)}` : ''}`,
    ),
    mrkdwn(`*Firing since*\n${date(data.alert.startsAt) ?? escCut(data.alert.startsAt, 100)}`),
  ];
  blocks.push({ type: 'section', fields: fields.map((f) => ({ ...f, text: cut(f.text, LIMITS.field) })) });
  const labels = labelLines(data.alert.labels);
  if (labels) blocks.push({ type: 'section', text: mrkdwn(labels) });
  const links = alertLinks(data, am);
  // One element per link: each URL is bounded, so none is ever cut in the middle of its markup.
  blocks.push({ type: 'context', elements: [...links, `job \`${escCut(jobId, 300)}\``].map(mrkdwn) });
  const text = cut(`${state.text}: ${esc(alertname)}${summary ? ` — ${esc(summary)}` : ''}`, 500);
  return { text, blocks };
}

/**
 * Last line of defence: whatever a renderer built, the message Slack gets stays within its
 * limits (text cut at entity-safe points, at most 50 blocks).
 */
export function fitMessage(msg: SlackMessage): SlackMessage {
  const fitText = <T extends TextObject>(t: T, max: number): T => ({ ...t, text: cut(t.text, max) });
  let blocks = msg.blocks.map((b): Block => {
    switch (b.type) {
      case 'header':
        return { ...b, text: fitText(b.text, LIMITS.header) };
      case 'section':
        return {
          ...b,
          ...(b.text && { text: fitText(b.text, LIMITS.text) }),
          ...(b.fields && { fields: b.fields.slice(0, LIMITS.fields).map((f) => fitText(f, LIMITS.field)) }),
        };
      case 'context':
        return { ...b, elements: b.elements.slice(0, LIMITS.contextElements).map((e) => fitText(e, LIMITS.text)) };
      default:
        return b;
    }
  });
  if (blocks.length > LIMITS.blocks) {
    blocks = [
      ...blocks.slice(0, LIMITS.blocks - 1),
      { type: 'context', elements: [mrkdwn(`_${msg.blocks.length - LIMITS.blocks + 1} more blocks left out_`)] },
    ];
  }
  return { ...msg, text: cut(msg.text, LIMITS.fallback), blocks };
}
