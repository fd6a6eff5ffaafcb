// The configuration builders shared by the end-to-end tests and `npm run up`: pure text in,
// text out. (That Prometheus and Alertmanager accept the result is proven by test/e2e/.)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  alertmanagerConfig,
  prometheusConfig,
  shortenRules,
  spokenDuration,
  withoutPlaceholderRunbooks,
} from '../../../scripts/lib/monitoring-config.js';
import { ROOT } from '../fixtures.js';

type Rules = {
  groups: {
    rules: {
      alert: string;
      expr: string;
      for?: string;
      keep_firing_for?: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    }[];
  }[];
};
const shipped = readFileSync(path.join(ROOT, 'alert-rules', 'remediation-targets.yml'), 'utf8');

/** The text with its timing phrases blanked: what must stay the same when timings change. */
const untimed = (s: string | undefined) =>
  s?.replace(/\b((?:over|in) the last|for at least) [0-9]+ (second|minute|hour|day)s?\b/g, '$1 <T>');

describe('shortenRules', () => {
  it('shortens every for: and range window, and changes nothing else', () => {
    const before = parse(shipped) as Rules;
    const after = parse(shortenRules(shipped, { forDuration: '2s', range: '10s' })) as Rules;
    const a = before.groups.flatMap((g) => g.rules);
    const b = after.groups.flatMap((g) => g.rules);
    expect(b.map((r) => r.alert)).toEqual(a.map((r) => r.alert));
    for (const [i, r] of b.entries()) {
      const orig = a[i]!;
      expect(r.for).toBe(orig.for === undefined ? undefined : '2s');
      expect(r.keep_firing_for).toBe(orig.keep_firing_for === undefined ? undefined : '10s');
      expect(r.expr).toBe(orig.expr.replace(/\[[0-9]+[smhdwy]\]/g, '[10s]'));
      expect(r.labels).toEqual(orig.labels);
      expect(r.annotations?.summary).toBe(orig.annotations?.summary);
      expect(r.annotations?.runbook_url).toBe(orig.annotations?.runbook_url);
      expect(untimed(r.annotations?.description)).toBe(untimed(orig.annotations?.description));
    }
    expect(a.find((r) => r.alert === 'ServiceDown')?.keep_firing_for).toBe('2m');
    const latency = b.find((r) => r.alert === 'HighLatency')!;
    expect(latency.expr).toContain('rate(http_request_duration_seconds_bucket[10s])');
    expect(latency.expr).toContain('> 2'); // the threshold stays
  });

  it('says the new timings in the descriptions people read: no "over the last 2 minutes" in fast mode', () => {
    const after = parse(shortenRules(shipped, { forDuration: '2s', range: '10s' })) as Rules;
    const described = Object.fromEntries(
      after.groups.flatMap((g) => g.rules).map((r) => [r.alert, r.annotations?.description ?? '']),
    );
    expect(described.HighLatency).toContain('over the last 10 seconds, above the 2s objective, for at least 2 seconds');
    expect(described.QueueDepthHigh).toContain('for at least 2 seconds');
    expect(described.disk_full).toContain('for at least 2 seconds');
    for (const text of Object.values(described)) expect(text).not.toMatch(/\b[0-9]+ (minute|hour)s?\b/);
    expect(spokenDuration('1m')).toBe('1 minute');
    expect(spokenDuration('10s')).toBe('10 seconds');
  });

  it('leaves a phrase alone when the rule has no such timing (no for:, no range window)', () => {
    const rules =
      'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n' +
      '        annotations:\n          description: down for at least 5 minutes over the last 5 minutes\n';
    const after = parse(shortenRules(rules, { forDuration: '2s', range: '10s' })) as Rules;
    expect(after.groups[0]!.rules[0]!.annotations?.description).toBe(
      'down for at least 5 minutes over the last 5 minutes',
    );
  });

  it('names the problem when the text is not a rule file', () => {
    expect(() => shortenRules('receivers: []\n', { forDuration: '2s', range: '10s' })).toThrow(/no "groups" list/);
  });
});

describe('withoutPlaceholderRunbooks (the demo copy of alert-rules/)', () => {
  it('drops runbook_url values on runbooks.example, and nothing else', () => {
    const before = parse(shipped) as Rules;
    const after = parse(withoutPlaceholderRunbooks(shipped)) as Rules;
    const a = before.groups.flatMap((g) => g.rules);
    const b = after.groups.flatMap((g) => g.rules);
    expect(a.some((r) => r.annotations?.runbook_url?.startsWith('https://runbooks.example/'))).toBe(true);
    for (const [i, r] of b.entries()) {
      const { runbook_url: _gone, ...rest } = a[i]!.annotations ?? {};
      expect(r).toEqual({ ...a[i], annotations: rest });
    }
    const own = shipped.replace(/https:\/\/runbooks\.example\//g, 'https://wiki.internal/');
    expect(withoutPlaceholderRunbooks(own)).toBe(own);
  });
});

describe('prometheusConfig / alertmanagerConfig', () => {
  it('wires rules, the Alertmanager and the scrape jobs (keep filters included)', () => {
    const c = parse(
      prometheusConfig({
        interval: '1s',
        ruleFiles: ['rules.yml'],
        alertmanager: '127.0.0.1:9093',
        jobs: [
          { job: 'node', targets: ['127.0.0.1:9100'], keep: { label: 'mountpoint', regex: '/tmp/x' } },
          { job: 'db', targets: ['127.0.0.1:5432'], labels: { container: 'db-1', dependent: 'api-1' } },
        ],
      }),
    );
    expect(c).toMatchObject({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: ['rules.yml'],
      alerting: { alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:9093'] }] }] },
      scrape_configs: [
        {
          job_name: 'node',
          metric_relabel_configs: [{ source_labels: ['mountpoint'], regex: '/tmp/x', action: 'keep' }],
        },
        {
          job_name: 'db',
          static_configs: [{ targets: ['127.0.0.1:5432'], labels: { container: 'db-1', dependent: 'api-1' } }],
        },
      ],
    });
    expect(c.scrape_configs[0].static_configs).toEqual([{ targets: ['127.0.0.1:9100'] }]);
  });

  it('sends every alert to remediator with resolved notifications and the token from a file', () => {
    const c = parse(
      alertmanagerConfig({
        webhookUrl: 'http://127.0.0.1:9095/webhook/alertmanager',
        tokenFile: '/run/t',
        groupWait: '1s',
        groupInterval: '1s',
        repeatInterval: '1h',
      }),
    );
    expect(c.route).toEqual({
      receiver: 'remediator',
      group_by: ['...'],
      group_wait: '1s',
      group_interval: '1s',
      repeat_interval: '1h',
    });
    expect(c.receivers[0].webhook_configs[0]).toEqual({
      url: 'http://127.0.0.1:9095/webhook/alertmanager',
      send_resolved: true,
      max_alerts: 100,
      http_config: { authorization: { type: 'Bearer', credentials_file: '/run/t' } },
    });
  });
});
