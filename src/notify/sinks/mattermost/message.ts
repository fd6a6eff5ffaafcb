import type { EpisodeSummary } from '../../summary.js';
import { inert } from '../../summary.js';

/**
 * The incoming-webhook body of one state of an episode: Markdown `text` (what notifies, so the
 * mention is there) and one attachment with the facts and links. Pure; alert text made inert.
 */

const COLOR: Record<string, string> = {
  Succeeded: '#2eb886',
  'Skipped (nothing to do)': '#2eb886',
  Failed: '#d00000',
  Refused: '#d00000',
  Escalated: '#d00000',
  'Circuit open': '#d00000',
  Retrying: '#daa038',
  Waiting: '#daa038',
};

/** Mattermost's limit for `text` is 16,383 characters; a message stays far below it. */
const TEXT_MAX = 4000;

export function mattermostMessage(s: EpisodeSummary, mention: string | undefined): Record<string, unknown> {
  const who = s.escalation && mention && /^@[A-Za-z0-9._-]{1,64}$/.test(mention.trim()) ? mention.trim() : undefined;
  const lines = [
    `${s.state.emoji} **${s.state.text}**: ${inert(s.alertname)}${s.headline ? ` · ${inert(s.headline)}` : ''}`,
    ...s.lines.map(inert),
  ];
  if (s.escalation) lines.push(`${who ? `${who} ` : ''}:rotating_light: **A human is needed:** ${inert(s.escalation)}`);
  const text = lines.join('\n');
  return {
    username: 'remediator',
    text: text.length <= TEXT_MAX ? text : `${text.slice(0, TEXT_MAX - 1)}…`,
    attachments: [
      {
        fallback: `${s.state.text}: ${inert(s.alertname)}`,
        color: COLOR[s.state.text] ?? '#439fe0',
        fields: s.facts.map(([title, value]) => ({
          short: value.length <= 40,
          title: inert(title),
          value: inert(value),
        })),
        ...(s.links.length > 0 && { text: s.links.map((l) => `[${l.text}](${l.url})`).join(' · ') }),
        footer: `job ${inert(s.jobId)}`,
      },
    ],
  };
}
