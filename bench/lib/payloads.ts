// Request bodies for the bench, all derived from the real Alertmanager 0.25 captures in
// test/fixtures/alertmanager-0.25/ (same shape, field order and sizes as a real delivery).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './service.js';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'alertmanager-0.25');
const fixture = (name: string): any => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8'));

/** A 16-hex-digit fingerprint, unique per (series, i), like Alertmanager's. */
export const fingerprint = (series: number, i: number): string =>
  `${series.toString(16).padStart(4, '0')}${i.toString(16).padStart(12, '0')}`;

/**
 * The ingest payload: grouped-truncated-disk-full.json (two disk_full alerts of one group) plus
 * a third alert of the same group, as Alertmanager sends it with max_alerts unset. Each alert
 * matches the shipped disk-full remediation, so each POST means 3 jobs (or 3 duplicates).
 */
export function ingestBodies(): { duplicate: string; fresh: (i: number) => string; bytes: number } {
  const body = fixture('grouped-truncated-disk-full.json');
  const third = structuredClone(body.alerts[1]);
  third.labels.instance = 'host-3:9100';
  third.annotations = { summary: 'Disk 98% full on host-3' };
  third.fingerprint = 'c3a1f2e4d5b60718';
  body.alerts.push(third);
  body.truncatedAlerts = 0;
  const duplicate = JSON.stringify(body);
  // New episodes: only the fingerprints change; split once so each body is a cheap string join.
  const marked = structuredClone(body);
  marked.alerts.forEach((a: any, k: number) => (a.fingerprint = `@@FP${k}@@`));
  const parts = JSON.stringify(marked).split(/@@FP\d@@/);
  const fresh = (i: number) => parts.map((p, k) => (k === 0 ? p : fingerprint(k, i) + p)).join('');
  return { duplicate, fresh, bytes: Buffer.byteLength(duplicate) };
}

/** One firing alert per entry, as one group delivery shaped like firing-high-latency.json. */
function group(
  base: any,
  alerts: { labels: Record<string, string>; fingerprint: string }[],
  groupLabels: Record<string, string>,
): string {
  const body = structuredClone(base);
  const template = body.alerts[0];
  body.alerts = alerts.map((a) => ({
    ...structuredClone(template),
    labels: { ...template.labels, ...a.labels },
    fingerprint: a.fingerprint,
  }));
  body.groupLabels = groupLabels;
  body.commonLabels = { alertname: template.labels.alertname };
  body.groupKey = `{}:{${Object.entries(groupLabels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ')}}`;
  return JSON.stringify(body);
}

const highLatency = fixture('firing-high-latency.json');
const diskFull = fixture('firing-disk-full.json');

/** HighLatency for these containers (bench-restart.yaml restarts them). */
export const highLatencyBody = (containers: string[], fp: (k: number) => string): string =>
  group(
    highLatency,
    containers.map((c, k) => ({ labels: { container: c, instance: `${c}:8000` }, fingerprint: fp(k) })),
    { alertname: 'HighLatency' },
  );

/** BenchProbe: same shape, alertname changed; bench-kill.yaml sends SIGCONT (a no-op signal). */
export const probeBody = (container: string, fp: string): string =>
  group(
    {
      ...highLatency,
      alerts: [{ ...highLatency.alerts[0], labels: { ...highLatency.alerts[0].labels, alertname: 'BenchProbe' } }],
    },
    [{ labels: { container }, fingerprint: fp }],
    {
      alertname: 'BenchProbe',
    },
  );

/** disk_full on one host (bench-prune.yaml / disk-full.yaml prune). */
export const diskFullBody = (fp: string): string =>
  group(diskFull, [{ labels: {}, fingerprint: fp }], { alertname: 'disk_full' });

/**
 * The storm: `episodes` disk_full alerts in groups of `groupSize` (grouped by cluster, as
 * Alertmanager groups them), each group delivered `resends` times (repeat_interval, HA peer).
 * Deliveries go round by round, every group once per round, as Alertmanager's timers fire.
 */
export function stormDeliveries(opts: { episodes: number; groupSize: number; resends: number }): string[] {
  const groups: string[] = [];
  for (let g = 0; g * opts.groupSize < opts.episodes; g++) {
    const alerts = [];
    for (let k = 0; k < opts.groupSize && g * opts.groupSize + k < opts.episodes; k++) {
      const i = g * opts.groupSize + k;
      alerts.push({ labels: { instance: `host-${i}:9100`, cluster: `c${g}` }, fingerprint: fingerprint(0x5707, i) });
    }
    groups.push(group(diskFull, alerts, { alertname: 'disk_full', cluster: `c${g}` }));
  }
  const out: string[] = [];
  for (let r = 0; r < opts.resends; r++) out.push(...groups);
  return out;
}

/**
 * Any one-alert delivery, shaped like firing-high-latency.json with the alertname and labels
 * changed: cpu_throttling and network_failure for the recovery rows (bench-update.yaml,
 * bench-network.yaml).
 */
export const alertBody = (alertname: string, labels: Record<string, string>, fp: string): string =>
  group(
    {
      ...highLatency,
      alerts: [{ ...highLatency.alerts[0], labels: { ...highLatency.alerts[0].labels, alertname } }],
    },
    [{ labels, fingerprint: fp }],
    { alertname },
  );

/** One delivery saying these disk_full episodes resolved (fingerprints and startsAt as fired). */
export function diskFullResolvedBody(fps: string[]): string {
  const body = JSON.parse(
    group(
      diskFull,
      fps.map((fp, k) => ({ labels: { instance: `host-r${k}:9100` }, fingerprint: fp })),
      { alertname: 'disk_full' },
    ),
  );
  body.status = 'resolved';
  for (const a of body.alerts) {
    a.status = 'resolved';
    a.endsAt = new Date(Date.parse(a.startsAt) + 60_000).toISOString();
  }
  return JSON.stringify(body);
}

/** The same episodes firing (the same labels and startsAt as {@link diskFullResolvedBody}). */
export const diskFullFiringBody = (fps: string[]): string =>
  group(
    diskFull,
    fps.map((fp, k) => ({ labels: { instance: `host-r${k}:9100` }, fingerprint: fp })),
    { alertname: 'disk_full' },
  );
