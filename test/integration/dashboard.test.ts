// Every query of dashboards/remediator.json is PromQL the real Prometheus accepts, once
// Grafana's variables are put in as Grafana would ($__range, $__rate_interval, $remediation).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';

const file = path.join(import.meta.dirname, '..', '..', 'dashboards', 'remediator.json');
const dashboard = JSON.parse(readFileSync(file, 'utf8')) as {
  panels: { title: string; targets?: { expr: string }[] }[];
};

describe('dashboards/remediator.json against a real Prometheus', () => {
  const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => [p.title, t.expr] as const));

  it.each(queries)('%s: %s', async (_title, expr) => {
    const promql = expr
      .replaceAll('$__rate_interval', '1m')
      .replaceAll('$__range', '1h')
      .replaceAll('$remediation', '.*');
    const url = new URL('api/v1/query', `${inject('prometheusUrl')}/`);
    url.searchParams.set('query', promql);
    const body = (await (await fetch(url)).json()) as { status: string; error?: string };
    expect(body.error).toBeUndefined();
    expect(body.status).toBe('success');
  });
});
