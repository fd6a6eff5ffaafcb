// dashboards/remediator.json is for users who run Grafana: it must be valid JSON a Grafana can
// import, and every metric it queries must be one remediator exports (a renamed metric would
// leave a panel silently empty).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';
import { ROOT } from './fixtures.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; refId: string }[];
}

const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'dashboards', 'remediator.json'), 'utf8')) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; query: unknown }[] };
};

/** Every PromQL expression of the dashboard: panel targets and query variables. */
function expressions(): string[] {
  const fromPanels = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const fromVars = dashboard.templating.list
    .map((v) => (typeof v.query === 'object' && v.query !== null ? (v.query as { query: string }).query : undefined))
    .filter((q): q is string => typeof q === 'string');
  return [...fromPanels, ...fromVars];
}

describe('dashboards/remediator.json', () => {
  it('is an importable dashboard: a uid, unique panel ids, each panel placed on the 24-column grid', () => {
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (p.type !== 'row') expect(p.targets?.length, p.title).toBeGreaterThan(0);
    }
  });

  it('queries only metrics remediator exports, and shows the effectiveness ones', async () => {
    const metrics = createMetrics();
    const known = new Map((await metrics.registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]));
    const used = new Set(expressions().flatMap((e) => e.match(/\bremediator_[a-z0-9_]+/g) ?? []));
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      const type = known.get(name) ?? known.get(base);
      expect(type, `${name} is not in the metrics registry`).toBeDefined();
      if (!known.has(name)) expect(type, `${name}: only a histogram has _bucket/_sum/_count`).toBe('histogram');
    }
    for (const name of ['remediator_time_to_resolve_seconds_bucket', 'remediator_recurrences_total'])
      expect(used.has(name), name).toBe(true);
  });
});
