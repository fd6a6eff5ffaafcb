import { primaryAction } from '../catalog/remediation.js';
import type { LifecycleEvent } from '../lifecycle/events.js';
import { escalates } from './policy.js';
import { STATE_LABEL, type ThreadView } from './view.js';

/**
 * One state of an episode as plain facts, for the sinks that post a new message per state
 * change (Teams, Mattermost): title, state, what was done, the labels that matter, links. Plain,
 * unescaped text: each sink escapes it for its own markup. Pure.
 */
export interface EpisodeSummary {
  alertname: string;
  /** The state's words and Slack-style emoji shortcode (Mattermost shows them; Teams uses the words). */
  state: { text: string; emoji: string };
  /** The annotation `summary`, if any. */
  headline: string | undefined;
  /** What was done or why not, the last error, the step in progress, the onResolved result. */
  lines: string[];
  facts: [string, string][];
  links: { text: string; url: string }[];
  /** Why a human is needed, on an escalation. */
  escalation: string | undefined;
  jobId: string;
}

const KEY_LABELS = ['severity', 'instance', 'job', 'container', 'service', 'host'];

const safeUrl = (u: string | undefined): string | undefined => {
  try {
    return u && /^https?:$/.test(new URL(u).protocol) ? u : undefined;
  } catch {
    return undefined;
  }
};

const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

export function summarize(view: ThreadView, e: LifecycleEvent, episode: string): EpisodeSummary {
  const data = e.data;
  const labels = data.alert.labels;
  const s = STATE_LABEL[view.state];
  const lines: string[] = [];
  if (view.step) lines.push(`Step ${view.step.index + 1}/${view.step.count}: ${view.step.name}`);
  if (view.waiting) lines.push(`Waiting: ${cut(view.waiting, 600)}`);
  if (view.summary) lines.push(cut(view.summary, 1200));
  else if (view.lastError) lines.push(`Last error: ${cut(view.lastError, 1200)}`);
  if (view.steps.length > 0) lines.push(`Steps: ${view.steps.map((st) => `${st.name} ${st.outcome}`).join(' · ')}`);
  if (view.afterResolve) {
    const a = STATE_LABEL[view.afterResolve.state];
    lines.push(`On resolve: ${a.text}${view.afterResolve.summary ? ` (${cut(view.afterResolve.summary, 400)})` : ''}`);
  }
  if (view.resolved) lines.push(`Alert resolved${view.resolved.endsAt ? ` at ${view.resolved.endsAt}` : ''}`);

  const action = view.action ?? primaryAction(data.remediation, data.phase);
  const facts: [string, string][] = [
    ['Remediation', `${data.remediation.id}${data.remediation.dryRun ? ' (dry run)' : ''}`],
    ['Action', `${action}${view.targets.length ? ` → ${cut(view.targets.join(', '), 300)}` : ''}`],
  ];
  if (view.attempt && view.attempts && view.attempts > 1) facts.push(['Attempt', `${view.attempt}/${view.attempts}`]);
  facts.push(['Firing since', data.alert.startsAt]);
  for (const k of KEY_LABELS) if (labels[k]) facts.push([k, cut(labels[k]!, 160)]);

  const links = [
    { text: 'Source', url: safeUrl(data.alert.generatorURL) },
    { text: 'Runbook', url: safeUrl(data.alert.annotations.runbook_url) },
  ].filter((l): l is { text: string; url: string } => l.url !== undefined);

  return {
    alertname: labels.alertname ?? 'alert',
    state: { text: s.text, emoji: s.emoji },
    headline: data.alert.annotations.summary && cut(data.alert.annotations.summary, 500),
    lines,
    facts,
    links,
    escalation: e.type === 'job.finished' && escalates(e) ? view.escalation : undefined,
    jobId: episode,
  };
}

/**
 * Untrusted text made inert for Markdown readers (Teams, Mattermost): a zero-width space after
 * each character that could start markup that misleads (`[x](url)`, `<at>`, `<!channel>`,
 * `@channel`, `**`, tables), so alert text can neither hide a link nor ping anyone. It reads the
 * same; identifiers with `_`, `:` or `-` are left as they are.
 */
export function inert(text: string): string {
  return text.replace(/([[\]*~`<>|\\@])/g, '$1\u200b');
}

/** Transitions the one-message-per-change sinks get by default: each change a reader cares about. */
export const STATE_CHANGES = [
  'job.queued',
  'job.running',
  'job.waiting',
  'job.retrying',
  'job.finished',
  'job.cancelled',
  'alert.resolved',
] as const;
