import type { HistoryRecord } from '../history/types.js';
import { endMs } from '../history/story.js';
import { msText } from '../stats/format.js';
import { html, outcomeColour, type Html } from './html.js';

/**
 * The episodes timeline: one row per episode, firing -> first action -> verified -> resolved,
 * each row on its own time scale (an episode of 8 s and one of 3 h both read), the bar in its
 * outcome's colour. Inline SVG, drawn on the server. Pure.
 */

const LEFT = 330;
const BAR = 360;
const ROW = 34;

const clock = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/:\d\d\.\d+Z$/, 'Z');

/** The moments of an episode's story, relative to when it fired (ms), where known. */
export function momentsOf(r: HistoryRecord, now: number) {
  const fired = r.firedAt ?? Date.parse(r.startsAt);
  const resolved = r.resolvedAt !== undefined ? endMs(r.resolvedAt, r.endsAt) : undefined;
  const rel = (t: number | undefined) =>
    t === undefined || !Number.isFinite(fired) ? undefined : Math.max(0, t - fired);
  const acted = rel(r.firstActionAt);
  const verified = rel(r.verifiedAt);
  const finished = rel(r.finishedAt);
  const end = rel(resolved);
  const span = Math.max(
    1,
    end ?? 0,
    finished ?? 0,
    verified ?? 0,
    acted ?? 0,
    r.finishedAt === undefined ? now - fired : 0,
  );
  return { fired, acted, verified, finished, resolved: end, span };
}

export function timeline(records: HistoryRecord[], now: number): Html {
  const height = Math.max(1, records.length) * ROW + 10;
  const width = LEFT + BAR + 470;
  const rows = records.map((r, i) => {
    const m = momentsOf(r, now);
    const y = 6 + i * ROW;
    const x = (t: number) => LEFT + Math.round((t / m.span) * BAR);
    const colour = outcomeColour(r.outcome);
    const acted = m.acted;
    const stop = m.verified ?? m.finished ?? m.span;
    const parts: Html[] = [
      // Firing, nothing done yet: a thin grey line; then the remediation in its outcome's colour.
      html`<line
        x1="${LEFT}"
        y1="${y + 14}"
        x2="${x(acted ?? stop)}"
        y2="${y + 14}"
        stroke="#9e9e9e"
        stroke-width="2"
        stroke-dasharray="4 3"
      />`,
      html`<rect
        class="act"
        x="${x(acted ?? 0)}"
        y="${y + 6}"
        width="${Math.max(3, x(stop) - x(acted ?? 0))}"
        height="16"
        fill="${colour}"
        ><title>${r.outcome}: ${r.summary}</title></rect
      >`,
      html`<circle class="m-fired" cx="${LEFT}" cy="${y + 14}" r="5" fill="#546e7a"
        ><title>fired ${clock(m.fired)}</title></circle
      >`,
    ];
    if (m.verified !== undefined)
      parts.push(
        html`<path class="m-verified" d="M${x(m.verified) - 5},${y + 14} l5,-7 l5,7 l-5,7 z" fill="#1b5e20"
          ><title>verified +${msText(m.verified)}</title></path
        >`,
      );
    if (m.resolved !== undefined) {
      parts.push(
        html`<line
          x1="${x(stop)}"
          y1="${y + 14}"
          x2="${x(m.resolved)}"
          y2="${y + 14}"
          stroke="#a5d6a7"
          stroke-width="6"
        />`,
        html`<rect class="m-resolved" x="${x(m.resolved) - 5}" y="${y + 9}" width="10" height="10" fill="#43a047"
          ><title>resolved +${msText(m.resolved)}</title></rect
        >`,
      );
    }
    const notes = [
      acted !== undefined ? `acted +${msText(acted)}` : 'no action',
      m.verified !== undefined ? `verified +${msText(m.verified)}` : undefined,
      m.resolved !== undefined ? `resolved +${msText(m.resolved)}` : 'not resolved yet',
      r.recurrenceOf ? `re-fired ${msText(r.recurrenceOf.afterMs)} after a fix` : undefined,
      ...(r.pauses ?? []).map((z) => `held by ${z.by}'s pause (${z.scope})`),
    ].filter(Boolean);
    const why = r.outcome === 'succeeded' || r.outcome === 'queued' ? '' : r.summary.replace(/\s+/g, ' ');
    return html`<g
      class="episode"
      data-job="${r.jobId}"
      data-outcome="${r.outcome}"
      data-remediation="${r.remediation}"
    >
      <text x="4" y="${y + 12}" class="when">${Number.isFinite(m.fired) ? clock(m.fired) : r.startsAt}</text>
      <text x="4" y="${y + 27}"><tspan font-weight="600">${r.remediation}</tspan> ${r.target || '-'}</text>
      <text x="${LEFT - 8}" y="${y + 19}" text-anchor="end" fill="${colour}" font-weight="600">${r.outcome}</text>
      ${parts}
      <text x="${LEFT + BAR + 14}" y="${y + 13}" class="notes">${notes.join(' · ')}</text>
      <text x="${LEFT + BAR + 14}" y="${y + 27}" class="muted"
        >${why.length > 80 ? `${why.slice(0, 79)}…` : why}<title>${why}</title></text
      >
    </g>`;
  });
  const empty = records.length === 0 ? html`<text x="8" y="20">no episodes in this span</text>` : html``;
  return html`<svg
    id="timeline-svg"
    class="timeline"
    role="img"
    aria-label="episodes: firing, acted, verified, resolved"
    viewBox="0 0 ${width} ${height}"
    width="${width}"
    height="${height}"
  >
    <title>episodes: firing → acted → verified → resolved</title>
    ${empty}${rows}
  </svg>`;
}
