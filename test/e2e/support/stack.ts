// The monitoring half of an end-to-end test: a real Prometheus loaded with a shortened copy of
// alert-rules/remediation-targets.yml, and a real Alertmanager whose only receiver is the
// in-process remediator's webhook (bearer token from a file). Timings are short by
// configuration (1 s scrape/evaluation, `for: 2s`, 10 s range windows, group_wait and
// group_interval 1 s); every step of the real path still happens.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  alertmanagerConfig,
  prometheusConfig,
  shortenRules,
  startAlertmanager,
  startPrometheus,
  type MonitorHandle,
  type ScrapeJob,
} from '../../../scripts/lib/monitoring.js';
import { expect } from 'vitest';
import type { RemediationEventMap } from '../../../src/lifecycle/events.js';
import type { RemediationJobData } from '../../../src/queue/contract.js';
import { TOKEN } from '../../support/harness.js';

export const RULES = path.join(import.meta.dirname, '..', '..', '..', 'alert-rules', 'remediation-targets.yml');
/** The range window the shortened rules use (HighLatency's rate over [2m] becomes this). */
export const TEST_RANGE = '10s';

export interface Stack {
  dir: string;
  prometheus: MonitorHandle;
  alertmanager: MonitorHandle;
  stop(): Promise<void>;
}

export async function startStack(o: {
  webhookUrl: string;
  jobs: ScrapeJob[];
  /** Rules to load instead of the shortened copy of alert-rules/remediation-targets.yml. */
  rules?: string;
  /**
   * Prometheus' port, chosen beforehand so that remediator (started first: Alertmanager needs
   * its webhook) already verifies against this Prometheus, not the global set-up's empty one.
   */
  prometheusPort?: number;
  /** Fixed ports, when remediator must know the addresses before the stack starts (ALERTMANAGER_URL). */
  ports?: { prometheus?: number; alertmanager?: number };
}): Promise<Stack> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rmd-e2e-'));
  const tokenFile = path.join(dir, 'webhook-token');
  await writeFile(tokenFile, TOKEN, { mode: 0o600 });
  const rules = o.rules ?? shortenRules(await readFile(RULES, 'utf8'), { forDuration: '2s', range: TEST_RANGE });
  const alertmanager = await startAlertmanager({
    dir: path.join(dir, 'alertmanager'),
    port: o.ports?.alertmanager,
    config: alertmanagerConfig({
      webhookUrl: o.webhookUrl,
      tokenFile,
      groupWait: '1s',
      groupInterval: '1s',
      repeatInterval: '1h',
    }),
  });
  let prometheus: MonitorHandle;
  try {
    prometheus = await startPrometheus({
      dir: path.join(dir, 'prometheus'),
      port: o.ports?.prometheus ?? o.prometheusPort,
      config: prometheusConfig({
        interval: '1s',
        ruleFiles: ['rules.yml'],
        alertmanager: `127.0.0.1:${alertmanager.port}`,
        jobs: o.jobs,
      }),
      files: { 'rules.yml': rules },
    });
  } catch (err) {
    await alertmanager.stop();
    throw err;
  }
  return {
    dir,
    prometheus,
    alertmanager,
    async stop() {
      await Promise.allSettled([prometheus.stop(), alertmanager.stop()]);
      if (process.env.REMEDIATOR_TEST_KEEP !== '1') await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

/** Prometheus' own view: GET /api/v1/alerts, narrowed to one alert name. */
export async function prometheusAlerts(prom: MonitorHandle, alertname: string): Promise<PromAlert[]> {
  const r = await getJson<{ data: { alerts: PromAlert[] } }>(`${prom.url}/api/v1/alerts`);
  return r.data.alerts.filter((a) => a.labels.alertname === alertname);
}

/** Instant query; the first sample's value, or undefined when the result is empty. */
export async function queryValue(prom: MonitorHandle, expr: string): Promise<number | undefined> {
  const r = await getJson<{ data: { result: { value: [number, string] }[] } }>(
    `${prom.url}/api/v1/query?query=${encodeURIComponent(expr)}`,
  );
  const v = r.data.result[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

export interface AmAlert {
  labels: Record<string, string>;
  fingerprint: string;
  startsAt: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
}

/** Alertmanager's own view: GET /api/v2/alerts (it leaves resolved alerts out). */
export async function alertmanagerAlerts(am: MonitorHandle, alertname: string): Promise<AmAlert[]> {
  return getJson<AmAlert[]>(`${am.url}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${alertname}"`)}`);
}

export interface AmSilence {
  id: string;
  status: { state: 'active' | 'pending' | 'expired' };
  matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

export const alertmanagerSilences = (am: MonitorHandle): Promise<AmSilence[]> =>
  getJson<AmSilence[]>(`${am.url}/api/v2/silences`);

/** Poll `probe` until it returns something other than undefined/false; fail with `what` after the deadline. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Milestones of one scenario, printed at the end with their offsets from the first one. */
export function timeline(scenario: string) {
  const marks: [string, number][] = [];
  return {
    mark(step: string): number {
      const t = Date.now();
      marks.push([step, t]);
      return t;
    },
    at(step: string): number | undefined {
      return marks.find(([s]) => s === step)?.[1];
    },
    print(from: string, to: string): void {
      const a = this.at(from);
      const b = this.at(to);
      const t0 = marks[0]?.[1] ?? 0;
      const steps = marks.map(([s, t]) => `${s} +${((t - t0) / 1000).toFixed(1)}s`).join(', ');
      console.log(`[e2e] ${scenario}: ${from} -> ${to} in ${a && b ? ((b - a) / 1000).toFixed(1) : '?'} s (${steps})`);
    },
  };
}

/** What remediator's lifecycle told a test: the jobs it queued, the resolved notifications it heard. */
export type Seen = { [K in 'job.queued' | 'alert.resolved']: RemediationEventMap[K][] };

/** A stack and what remediator saw of it: what the alert's round trip is read from. */
export interface Round {
  stack: Stack;
  seen: Seen;
}

/** Where a scenario marks its milestones (timeline()). */
export interface Marks {
  mark(step: string): number;
}

/**
 * The alert going round: Prometheus fires `alertname` for the series `which` picks, Alertmanager
 * holds it, remediator queues one fire job of `remediation` for that episode. Returns the
 * firing alert and the queued job's id and data.
 */
export async function alertGoesRound(
  s: Round,
  alertname: string,
  which: (labels: Record<string, string>) => boolean,
  remediation: string,
  timeoutMs = 40_000,
  t?: Marks,
): Promise<{ firing: PromAlert; fingerprint: string; jobId: string; data: RemediationJobData }> {
  const firing = await waitFor(
    `Prometheus to fire ${alertname}`,
    async () =>
      (await prometheusAlerts(s.stack.prometheus, alertname)).find((a) => a.state === 'firing' && which(a.labels)),
    timeoutMs,
  );
  t?.mark('firing');
  const am = await waitFor(
    `Alertmanager to hold ${alertname}`,
    async () => (await alertmanagerAlerts(s.stack.alertmanager, alertname)).find((a) => which(a.labels)),
    20_000,
  );
  const queued = await waitFor(
    `remediator to queue ${remediation}`,
    async () =>
      s.seen['job.queued'].find(
        (e) =>
          e.data.alert.fingerprint === am.fingerprint &&
          e.data.phase === 'fire' &&
          e.data.remediation.id === remediation,
      ),
    20_000,
  );
  t?.mark('delivered');
  return { firing, fingerprint: am.fingerprint, jobId: queued.jobId, data: queued.data };
}

/**
 * The alert coming back: Prometheus stops firing it, Alertmanager resolves it, and the resolved
 * notification of the episode reaches remediator. One episode, one fire job.
 */
export async function alertResolves(
  s: Round,
  alertname: string,
  which: (labels: Record<string, string>) => boolean,
  fire: { jobId: string; fingerprint: string },
  timeoutMs = 40_000,
  t?: Marks,
): Promise<RemediationEventMap['alert.resolved']> {
  // Not firing any more (a series back to pending does not fire, and Alertmanager drops it).
  await waitFor(
    `Prometheus to stop firing ${alertname}`,
    async () =>
      (await prometheusAlerts(s.stack.prometheus, alertname)).every((a) => a.state !== 'firing' || !which(a.labels)),
    timeoutMs,
  );
  await waitFor(
    `Alertmanager to resolve ${alertname}`,
    async () => (await alertmanagerAlerts(s.stack.alertmanager, alertname)).every((a) => !which(a.labels)),
    30_000,
  );
  const resolved = await waitFor(
    'the resolved notification at remediator',
    async () => s.seen['alert.resolved'].find((e) => e.jobId === fire.jobId),
    30_000,
  );
  t?.mark('resolved handled');
  expect(resolved.data.alert.status).toBe('resolved');
  const fires = s.seen['job.queued'].filter(
    (e) => e.data.alert.fingerprint === fire.fingerprint && e.data.phase === 'fire',
  );
  expect(fires.map((e) => e.jobId)).toEqual([fire.jobId]);
  return resolved;
}
