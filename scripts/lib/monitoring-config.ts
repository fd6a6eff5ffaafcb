// The configuration of the monitoring programs, shared by the end-to-end tests, `npm run up` and
// the demo so they all run the same thing: prometheus.yml and alertmanager.yml builders, and the
// rewrites of alert-rules/ copies (shorter timings for tests and the fast demo, no placeholder
// runbook links for the demo). Pure: text in, text out.
import { parse, stringify } from 'yaml';

export interface ScrapeJob {
  job: string;
  targets: string[];
  /** Keep only series whose `label` matches `regex` (e.g. one mountpoint of node_exporter). */
  keep?: { label: string; regex: string };
  /** Target labels, on every series of the job and its `up` (e.g. the container it is). */
  labels?: Record<string, string>;
}

/** prometheus.yml: scrape and evaluation interval, rule files, the Alertmanager, the jobs. */
export function prometheusConfig(o: {
  interval: string;
  ruleFiles: string[];
  alertmanager: string;
  jobs: ScrapeJob[];
}): string {
  return stringify({
    global: { scrape_interval: o.interval, evaluation_interval: o.interval, scrape_timeout: o.interval },
    rule_files: o.ruleFiles,
    alerting: { alertmanagers: [{ static_configs: [{ targets: [o.alertmanager] }] }] },
    scrape_configs: o.jobs.map((j) => ({
      job_name: j.job,
      static_configs: [{ targets: j.targets, ...(j.labels && { labels: j.labels }) }],
      ...(j.keep && {
        metric_relabel_configs: [{ source_labels: [j.keep.label], regex: j.keep.regex, action: 'keep' }],
      }),
    })),
  });
}

/**
 * alertmanager.yml: every alert goes to remediator's webhook (bearer token read from a file),
 * one group per alert unless `groupBy` says otherwise, resolved notifications on. The timings are parameters: the tests use
 * ~1 s, examples/alertmanager.yml explains production values.
 */
export function alertmanagerConfig(o: {
  webhookUrl: string;
  tokenFile: string;
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
  /** Labels that group alerts into one notification; default `['...']` (one group per alert). */
  groupBy?: string[];
}): string {
  return stringify({
    route: {
      receiver: 'remediator',
      group_by: o.groupBy ?? ['...'],
      group_wait: o.groupWait,
      group_interval: o.groupInterval,
      repeat_interval: o.repeatInterval,
    },
    receivers: [
      {
        name: 'remediator',
        webhook_configs: [
          {
            url: o.webhookUrl,
            send_resolved: true,
            max_alerts: 100,
            http_config: { authorization: { type: 'Bearer', credentials_file: o.tokenFile } },
          },
        ],
      },
    ],
  });
}

/** `2s` -> `2 seconds`, `1m` -> `1 minute`: a Prometheus duration as the annotations say it. */
export function spokenDuration(d: string): string {
  const m = /^([0-9]+)(ms|s|m|h|d|w|y)$/.exec(d);
  if (!m) return d;
  const unit = { ms: 'millisecond', s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', y: 'year' }[m[2]!]!;
  return `${m[1]} ${unit}${m[1] === '1' ? '' : 's'}`;
}

/**
 * A copy of a rule file with shorter timings, for tests and the fast demo: every `for:` becomes
 * `forDuration`, every `keep_firing_for:` becomes `keepFiringFor` (default: `range`) and every
 * range selector (`[2m]`) becomes `range`, and the annotations that say those timings in words
 * ("over the last 2 minutes", "for at least 1 minute") say the new ones. Thresholds, labels and
 * the rest of the text stay as they are.
 */
export function shortenRules(text: string, o: { forDuration: string; range: string; keepFiringFor?: string }): string {
  const doc = parse(text) as { groups: { name: string; rules: Record<string, unknown>[] }[] };
  if (!Array.isArray(doc?.groups)) throw new Error('not a Prometheus rule file: no "groups" list');
  const amount = String.raw`[0-9]+\+?\s+(?:second|minute|hour|day)s?\b`;
  for (const g of doc.groups) {
    for (const r of g.rules) {
      const hadFor = r.for !== undefined;
      let hadRange = false;
      if (hadFor) r.for = o.forDuration;
      if (r.keep_firing_for !== undefined) r.keep_firing_for = o.keepFiringFor ?? o.range;
      if (typeof r.expr === 'string')
        r.expr = r.expr.replace(/\[\s*[0-9]+(ms|s|m|h|d|w|y)\s*\]/g, () => ((hadRange = true), `[${o.range}]`));
      const annotations = r.annotations as Record<string, unknown> | undefined;
      for (const [k, v] of Object.entries(annotations ?? {})) {
        if (typeof v !== 'string') continue;
        let words = v;
        if (hadRange)
          words = words.replace(
            new RegExp(String.raw`\b((?:over|in) the last)\s+${amount}`, 'g'),
            `$1 ${spokenDuration(o.range)}`,
          );
        if (hadFor)
          words = words.replace(
            new RegExp(String.raw`\bfor at least\s+${amount}`, 'g'),
            `for at least ${spokenDuration(o.forDuration)}`,
          );
        annotations![k] = words;
      }
    }
  }
  return stringify(doc);
}

/**
 * The demo's copy of a rule file: `runbook_url`s on the documented placeholder host
 * (runbooks.example, which does not exist) are left out, so no message links to a page that
 * cannot answer. Everything else is as shipped.
 */
export function withoutPlaceholderRunbooks(text: string): string {
  const doc = parse(text) as { groups?: { rules?: { annotations?: Record<string, unknown> }[] }[] };
  if (!Array.isArray(doc?.groups)) throw new Error('not a Prometheus rule file: no "groups" list');
  let changed = false;
  for (const g of doc.groups)
    for (const r of g.rules ?? []) {
      const url = r.annotations?.runbook_url;
      if (typeof url === 'string' && /^https?:\/\/runbooks\.example(\/|$)/.test(url)) {
        delete r.annotations!.runbook_url;
        changed = true;
      }
    }
  return changed ? stringify(doc) : text;
}
