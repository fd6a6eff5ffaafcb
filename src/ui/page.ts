import type { OpenCircuit } from '../guards/index.js';
import type { HistoryRecord } from '../history/types.js';
import { msText, ofText, pctText } from '../stats/format.js';
import type { StatsReport } from '../stats/schema.js';
import { barChart } from './charts.js';
import { html, outcomeColour, raw, type Html } from './html.js';
import type { ControlEntry } from './sources.js';
import { timeline } from './timeline.js';

/**
 * The operator page (/ui): did the fixes work? Per remediation: success rate and MTTR charts
 * and the figures behind them, the episodes timeline, open circuits, pauses and approvals.
 * One server-rendered HTML document with inline CSS and SVG: no script, no font, no request
 * to any other host (the route's Content-Security-Policy says so to the browser too). Pure.
 */

export interface PageModel {
  report: StatsReport;
  episodes: HistoryRecord[];
  circuits: OpenCircuit[];
  pauses: ControlEntry[];
  approvals: ControlEntry[];
  now: number;
  /** The form's values as given (since as typed). */
  query: { since: string; remediation: string; host: string };
  /** Remediation ids of the catalog, for the filter. */
  remediations: string[];
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#263238;background:#fafafa}
header{background:#263238;color:#fff;padding:12px 24px;display:flex;gap:24px;align-items:center;flex-wrap:wrap}
header h1{font-size:18px;margin:0}header a{color:#b3e5fc}
main{padding:16px 24px;max-width:1280px}
section{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:12px 16px;margin:0 0 16px}
h2{font-size:15px;margin:0 0 8px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eee;white-space:nowrap}
th{font-weight:600;color:#455a64}td.num{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;gap:16px;flex-wrap:wrap}.charts figure{margin:0}
figcaption{font-weight:600;margin-bottom:4px}svg text{font-size:12px;fill:#37474f}
.muted{color:#78909c}svg text.muted{fill:#78909c}form{display:flex;gap:8px;align-items:center}input,select{font:inherit;padding:2px 4px}
.legend span{display:inline-block;margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
.overflow{overflow-x:auto}`;

const clock = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');

function summaryTable(r: StatsReport): Html {
  const rows = [...r.remediations, ...(r.remediations.length > 1 ? [{ ...r.total, remediation: 'all' }] : [])];
  if (rows.length === 0) return html`<p class="muted">No episode ended in this span.</p>`;
  return html`<table id="summary-table">
    <thead>
      <tr>
        <th>remediation</th>
        <th>runs</th>
        <th>acted</th>
        <th>success</th>
        <th>verified</th>
        <th>first action</th>
        <th>fixed after</th>
        <th>MTTR</th>
        <th>recurred 1h</th>
        <th>recurred 24h</th>
        <th>escalated</th>
        <th>cooldown</th>
        <th>circuit open</th>
        <th>skipped</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (x) =>
          html`<tr data-remediation="${x.remediation ?? ''}">
            <td>${x.remediation ?? ''}</td>
            <td class="num">${x.runs}</td>
            <td class="num">${x.acted}</td>
            <td class="num">${ofText(x.succeeded, x.acted)}</td>
            <td class="num">${ofText(x.verifications.passed, x.verifications.run)}</td>
            <td class="num">${msText(x.timeToFirstAction.meanMs)}</td>
            <td class="num">${msText(x.timeToVerified.meanMs)}</td>
            <td class="num">${msText(x.timeToResolve.meanMs)}</td>
            <td class="num">${x.recurrence.within1h.count} (${pctText(x.recurrence.within1h.rate)})</td>
            <td class="num">${x.recurrence.within24h.count} (${pctText(x.recurrence.within24h.rate)})</td>
            <td class="num">${x.escalations}</td>
            <td class="num">${x.cooldown}</td>
            <td class="num">${x.circuitOpen}</td>
            <td class="num">${x.skipped}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function stepsTable(r: StatsReport): Html {
  if (r.steps.length === 0) return html``;
  return html`<table id="steps-table">
    <thead>
      <tr>
        <th>remediation</th>
        <th>step</th>
        <th>runs</th>
        <th>succeeded</th>
        <th>failed</th>
        <th>skipped</th>
        <th>verified</th>
        <th>mean duration</th>
      </tr>
    </thead>
    <tbody>
      ${r.steps.map(
        (s) =>
          html`<tr>
            <td>${s.remediation}</td>
            <td>${s.step}</td>
            <td class="num">${s.runs}</td>
            <td class="num">${s.succeeded}</td>
            <td class="num">${s.failed}</td>
            <td class="num">${s.skipped}</td>
            <td class="num">${ofText(s.verifications.passed, s.verifications.run)}</td>
            <td class="num">${msText(s.duration.meanMs)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function controls(id: string, title: string, list: ControlEntry[], none: string): Html {
  return html`<section id="${id}">
    <h2>${title}</h2>
    ${
      list.length === 0
        ? html`<p class="muted">${none}</p>`
        : html`<table>
            <thead>
              <tr>
                <th>what</th>
                <th>by</th>
                <th>until</th>
                <th>reason</th>
              </tr>
            </thead>
            <tbody>
              ${list.map(
                (e) =>
                  html`<tr>
                    <td>${e.what}</td>
                    <td>${e.by ?? '-'}</td>
                    <td>${e.until !== undefined ? clock(e.until) : '-'}</td>
                    <td>${e.reason ?? ''}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
  </section>`;
}

export function renderPage(m: PageModel): string {
  const r = m.report;
  const success = barChart({
    id: 'chart-success',
    title: 'success rate per remediation (succeeded / acted)',
    max: 1,
    bars: r.remediations.map((x) => ({
      label: x.remediation ?? '',
      value: x.successRate,
      text: x.successRate === null ? 'no action' : `${pctText(x.successRate)} (${x.succeeded}/${x.acted})`,
      colour: '#2e7d32',
    })),
  });
  const mttrMax = Math.max(0, ...r.remediations.map((x) => x.timeToResolve.meanMs ?? 0));
  const mttr = barChart({
    id: 'chart-mttr',
    title: 'MTTR per remediation (firing to resolved, mean)',
    max: mttrMax,
    bars: r.remediations.map((x) => ({
      label: x.remediation ?? '',
      value: x.timeToResolve.meanMs,
      text:
        x.timeToResolve.count === 0 ? 'none resolved' : `${msText(x.timeToResolve.meanMs)} (${x.timeToResolve.count})`,
      colour: '#1565c0',
    })),
  });
  const options = ['', ...m.remediations].map(
    (id) => html`<option value="${id}" ${raw(id === m.query.remediation ? ' selected' : '')}>${id || 'all'}</option>`,
  );
  const legend = ['succeeded', 'resolved', 'escalated', 'cooldown', 'cancelled'].map(
    (o) => html`<span><i style="background:${raw(outcomeColour(o))}"></i>${o}</span>`,
  );
  const doc = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>remediator: did the fix work?</title>
        <style>
          ${raw(STYLE)}
        </style>
      </head>
      <body>
        <header>
          <h1>remediator · did the fix work?</h1>
          <form method="get" action="/ui">
            <label>since <input name="since" value="${m.query.since}" size="10" /></label>
            <label
              >remediation
              <select name="remediation">
                ${options}
              </select></label
            >
            <label>host <input name="host" value="${m.query.host}" size="10" /></label
            ><button type="submit">show</button>
          </form>
          <a href="/admin">queue UI</a>
        </header>
        <main>
          <p class="muted">
            From ${clock(Date.parse(r.coveredFrom))} to
            ${clock(Date.parse(r.until))}${r.filter.host ? `, host ${r.filter.host}` : ''}. Times are from the alert
            firing (Alertmanager's startsAt).
          </p>
          <section id="summary">
            <h2>Per remediation</h2>
            <div class="overflow">${summaryTable(r)}</div>
          </section>
          <section id="charts">
            <h2>Charts</h2>
            <div class="charts">
              <figure>
                <figcaption>Success rate</figcaption>
                ${success}
              </figure>
              <figure>
                <figcaption>MTTR</figcaption>
                ${mttr}
              </figure>
            </div>
          </section>
          <section id="timeline">
            <h2>Episodes (newest first): firing → acted → verified → resolved</h2>
            <p class="legend">${legend}</p>
            <div class="overflow">${timeline(m.episodes, m.now)}</div>
          </section>
          <section id="steps">
            <h2>Per step</h2>
            <div class="overflow">${stepsTable(r)}</div>
          </section>
          <section id="circuits">
            <h2>Open circuits</h2>
            ${
              m.circuits.length === 0
                ? html`<p class="muted">No circuit is open.</p>`
                : html`<table>
                    <thead>
                      <tr>
                        <th>remediation</th>
                        <th>host</th>
                        <th>target</th>
                        <th>closes</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${m.circuits.map(
                        (c) =>
                          html`<tr>
                            <td>${c.remediation}</td>
                            <td>${c.host}</td>
                            <td>${c.subject}</td>
                            <td>${clock(c.untilMs)}</td>
                          </tr>`,
                      )}
                    </tbody>
                  </table>`
            }
          </section>
          ${controls('pauses', 'Pauses', m.pauses, 'Nothing is paused.')}
          ${controls('approvals', 'Pending approvals', m.approvals, 'No step waits for an approval.')}
          <p class="muted">Generated ${clock(m.now)}. Also: GET /api/v1/stats, remediator report.</p>
        </main>
      </body>
    </html>`;
  return doc.text;
}
