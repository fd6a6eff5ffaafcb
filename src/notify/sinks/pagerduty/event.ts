import { createHash } from 'node:crypto';
import type { LifecycleEventOf } from '../../../lifecycle/events.js';
import { escalationCode } from '../../policy.js';
import { escalationReason } from '../../view.js';

/**
 * The Events API v2 bodies (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/).
 * Pure. PagerDuty shows `summary` as the incident's title (at most 1,024 characters), groups by
 * `dedup_key` (at most 255), and accepts four severities.
 */

export type Severity = 'critical' | 'error' | 'warning' | 'info';

/** An alert's `severity` label as PagerDuty's severity; an escalation with none is critical. */
export function severityOf(label: string | undefined): Severity {
  const s = (label ?? '').toLowerCase();
  if (['warning', 'warn', 'minor', 'medium'].includes(s)) return 'warning';
  if (['info', 'informational', 'low', 'none', 'notice'].includes(s)) return 'info';
  if (['error', 'major', 'high'].includes(s)) return 'error';
  return 'critical';
}

/** The episode as a dedup_key: as it is, or hashed when longer than PagerDuty takes. */
export function dedupKey(episode: string): string {
  return episode.length <= 255 ? episode : `remediator-${createHash('sha256').update(episode).digest('hex')}`;
}

const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

function links(e: LifecycleEventOf<'job.finished'>): { href: string; text: string }[] {
  const out: { href: string; text: string }[] = [];
  for (const [href, text] of [
    [e.data.alert.generatorURL, 'Source'],
    [e.data.alert.annotations.runbook_url, 'Runbook'],
  ] as const) {
    try {
      if (href && /^https?:$/.test(new URL(href).protocol)) out.push({ href, text });
    } catch {
      /* not a URL: left out */
    }
  }
  return out;
}

export function triggerBody(
  routingKey: string,
  episode: string,
  e: LifecycleEventOf<'job.finished'>,
): Record<string, unknown> {
  const { data } = e;
  const labels = data.alert.labels;
  const alertname = labels.alertname ?? 'alert';
  const why = escalationReason(escalationCode(e), e.outcome);
  const targets = e.result?.targets ?? [];
  const component = targets.join(', ') || labels.container || labels.service || labels.instance || data.host;
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dedupKey(episode),
    payload: {
      summary: cut(`${alertname} (${data.remediation.id}): remediator gave up: ${why}`, 1024),
      source: cut(labels.instance ?? data.host, 255),
      severity: severityOf(labels.severity),
      timestamp: new Date(e.at).toISOString(),
      component: cut(component, 255),
      group: data.remediation.id,
      class: escalationCode(e) ?? e.outcome,
      custom_details: {
        why,
        remediation: data.remediation.id,
        job: e.jobId,
        phase: data.phase,
        outcome: e.outcome,
        reason: e.reason ?? e.result?.summary,
        attempts: e.attempts,
        action: e.result?.action,
        targets,
        steps: (e.result?.steps ?? []).map((s) => ({ name: s.name, outcome: s.outcome, summary: cut(s.summary, 500) })),
        summary: data.alert.annotations.summary,
        description: data.alert.annotations.description && cut(data.alert.annotations.description, 2000),
        labels,
      },
    },
    links: links(e),
    client: 'remediator',
  };
}

export function resolveBody(routingKey: string, episode: string): Record<string, unknown> {
  return { routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey(episode) };
}
