import type { EpisodeSummary } from '../../summary.js';
import { inert } from '../../summary.js';

/**
 * The Adaptive Card (schema 1.4, as Teams renders it) of one state of an episode, wrapped in
 * the message an incoming webhook takes. Pure. Alert text is made inert (no links, no
 * mentions); the only mention is the configured one, declared as an entity as Teams requires.
 */

const STATE_COLOR: Record<string, string> = {
  Succeeded: 'Good',
  'Skipped (nothing to do)': 'Good',
  'Dry run': 'Accent',
  Failed: 'Attention',
  Refused: 'Attention',
  Escalated: 'Attention',
  'Circuit open': 'Attention',
  Retrying: 'Warning',
  Waiting: 'Warning',
};

export function teamsMessage(s: EpisodeSummary, mention: string | undefined): Record<string, unknown> {
  // The configured handle (a UPN such as oncall@example.com) is trusted, but cannot close the tag.
  const who = s.escalation && mention ? mention.replace(/[<>]/g, '').trim() || undefined : undefined;
  const body: Record<string, unknown>[] = [
    {
      type: 'TextBlock',
      size: 'Large',
      weight: 'Bolder',
      wrap: true,
      text: inert(s.alertname),
    },
    {
      type: 'TextBlock',
      weight: 'Bolder',
      wrap: true,
      color: STATE_COLOR[s.state.text] ?? 'Default',
      text: s.state.text,
    },
  ];
  if (s.headline) body.push({ type: 'TextBlock', wrap: true, text: inert(s.headline) });
  for (const line of s.lines) body.push({ type: 'TextBlock', wrap: true, spacing: 'Small', text: inert(line) });
  if (s.escalation)
    body.push({
      type: 'TextBlock',
      wrap: true,
      color: 'Attention',
      weight: 'Bolder',
      text: `${who ? `<at>${who}</at> ` : ''}A human is needed: ${inert(s.escalation)}`,
    });
  body.push({
    type: 'FactSet',
    facts: s.facts.map(([title, value]) => ({ title: inert(title), value: inert(value) })),
  });
  body.push({ type: 'TextBlock', isSubtle: true, size: 'Small', wrap: true, text: `job ${inert(s.jobId)}` });
  const card: Record<string, unknown> = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    ...(s.links.length > 0 && {
      actions: s.links.map((l) => ({ type: 'Action.OpenUrl', title: l.text, url: l.url })),
    }),
    msteams: {
      width: 'Full',
      ...(who && {
        entities: [{ type: 'mention', text: `<at>${who}</at>`, mentioned: { id: who, name: who } }],
      }),
    },
  };
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
  };
}
