import { html, type Html } from './html.js';

/**
 * Inline SVG charts for the operator page: drawn on the server, so the page needs no script
 * and no chart library, and fetches nothing from anywhere. Pure.
 */

export interface Bar {
  label: string;
  /** null: nothing to show (drawn as an empty row saying so). */
  value: number | null;
  /** What is written beside the bar. */
  text: string;
  colour?: string;
}

const LABEL_W = 170;
const BAR_W = 320;
const ROW_H = 26;

/** A horizontal bar chart, one row per bar; `max` is the value of a full bar. */
export function barChart(o: { id: string; title: string; bars: Bar[]; max: number }): Html {
  const height = Math.max(1, o.bars.length) * ROW_H + 8;
  const width = LABEL_W + BAR_W + 90;
  const rows = o.bars.map((b, i) => {
    const y = 4 + i * ROW_H;
    const w = b.value === null || o.max <= 0 ? 0 : Math.max(2, Math.round((Math.min(b.value, o.max) / o.max) * BAR_W));
    return html`<g class="bar" data-label="${b.label}" data-value="${b.value ?? ''}">
      <text x="${LABEL_W - 8}" y="${y + 17}" text-anchor="end">${b.label}</text>
      <rect x="${LABEL_W}" y="${y + 4}" width="${BAR_W}" height="${ROW_H - 8}" fill="#eceff1" />
      <rect x="${LABEL_W}" y="${y + 4}" width="${w}" height="${ROW_H - 8}" fill="${b.colour ?? '#1565c0'}"
        ><title>${b.label}: ${b.text}</title></rect
      >
      <text x="${LABEL_W + BAR_W + 8}" y="${y + 17}">${b.text}</text>
    </g>`;
  });
  const empty =
    o.bars.length === 0 ? html`<text x="8" y="20" class="muted">nothing recorded in this span</text>` : html``;
  return html`<svg
    id="${o.id}"
    class="chart"
    role="img"
    aria-label="${o.title}"
    viewBox="0 0 ${width} ${height}"
    width="${width}"
    height="${height}"
  >
    <title>${o.title}</title>
    ${empty}${rows}
  </svg>`;
}
