// The configuration builders shared by the end-to-end tests and `npm run up`: pure text in,
// text out. (That Prometheus and Alertmanager accept the result is proven by test/e2e/.)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { alertmanagerConfig, prometheusConfig, shortenRules } from '../../../scripts/lib/monitoring.js';
import { ROOT } from '../fixtures.js';

type Rules = {
  groups: {
    rules: {
      alert: string;
      expr: string;
      for?: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    }[];
  }[];
};
const shipped = readFileSync(path.join(ROOT, 'alert-rules', 'remediation-targets.yml'), 'utf8');

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
      expect(r.expr).toBe(orig.expr.replace(/\[[0-9]+[smhdwy]\]/g, '[10s]'));
      expect(r.labels).toEqual(orig.labels);
      expect(r.annotations).toEqual(orig.annotations);
    }
    const latency = b.find((r) => r.alert === 'HighLatency')!;
    expect(latency.expr).toContain('rate(http_request_duration_seconds_bucket[10s])');
    expect(latency.expr).toContain('> 1'); // the threshold stays
  });

  it('names the problem when the text is not a rule file', () => {
    expect(() => shortenRules('receivers: []\n', { forDuration: '2s', range: '10s' })).toThrow(/no "groups" list/);
  });
});

describe('prometheusConfig / alertmanagerConfig', () => {
  it('wires rules, the Alertmanager and the scrape jobs (keep filters included)', () => {
    const c = parse(
      prometheusConfig({
        interval: '1s',
        ruleFiles: ['rules.yml'],
        alertmanager: '127.0.0.1:9093',
        jobs: [{ job: 'node', targets: ['127.0.0.1:9100'], keep: { label: 'mountpoint', regex: '/tmp/x' } }],
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
      ],
    });
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
