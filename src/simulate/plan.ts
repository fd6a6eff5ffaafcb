import { actions, type ActionParams } from '../actions/index.js';
import { episodeJobId, episodeOf } from '../alertmanager/episode.js';
import type { Alert, WebhookPayload } from '../alertmanager/schema.js';
import type { Catalog } from '../catalog/catalog.js';
import { matcherMatches } from '../catalog/matchers.js';
import type { Remediation } from '../catalog/remediation.js';
import type { Config } from '../config.js';
import type { ContainerInfo, DockerPort } from '../docker/port.js';
import { PermanentError, coerceError } from '../errors.js';
import type { Guards } from '../guards/index.js';
import { renderTarget, resolveTargets, targetKey, type RenderedTarget } from '../queue/targets.js';
import type { AlertPlan, JobPlan, RemediationPlan, SimulationReport, TargetView, WorkerDecision } from './types.js';

/**
 * The planner behind `remediator simulate` and `POST /api/v1/simulate`. It asks the same
 * questions the webhook and the worker ask (matchers, episode record, target, opt-in, guards,
 * dry-run) through read-only calls only: it never writes to Redis, never enqueues, and only
 * lists containers in Docker. That is why it uses guards.peek and not guards.admit (whose
 * script trims the budget window even when it records nothing).
 */

/** Read-only Redis lookups the planner needs; see reads.ts for the real ones. */
export interface SimulateReads {
  /** The episode record of a job id (`queued`, `succeeded`, …), undefined when there is none. */
  episode(jobId: string): Promise<string | undefined>;
  /** Whether Alertmanager already said this fire job's episode resolved. */
  resolved(fireJobId: string): Promise<boolean>;
  /** BullMQ state of a job (`waiting`, `delayed`, `active`, …; `unknown` when there is none). */
  jobState(jobId: string): Promise<string>;
}

export interface SimulateDeps {
  catalog: () => Catalog;
  /** Absent in a process without Docker access (`serve`): targets are then not looked up. */
  docker: DockerPort | undefined;
  guards: Pick<Guards, 'peek'>;
  reads: SimulateReads;
  config: Pick<Config, 'dryRun' | 'optInLabel' | 'maxInFlight'>;
  now?: () => Date;
}

const WAITING = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);
const seconds = (ms: number) => `${Math.ceil(ms / 1000)}s`;

interface TargetCheck {
  view: TargetView;
  rendered: RenderedTarget | undefined;
  /** Set when the worker would stop at the target. */
  stop?: { decision: WorkerDecision; detail: string };
}

async function checkTarget(
  r: Remediation,
  action: ActionParams,
  alert: Alert,
  deps: SimulateDeps,
): Promise<TargetCheck> {
  const scope = actions[action.type].scope;
  let rendered: RenderedTarget;
  try {
    rendered = renderTarget(r.target, scope, { labels: alert.labels, annotations: alert.annotations ?? {} });
  } catch (err) {
    const reason = coerceError(err).message;
    return {
      view: { scope, refused: reason, containers: [] },
      rendered: undefined,
      stop: { decision: 'refused', detail: reason },
    };
  }
  const view: TargetView = { scope, description: rendered.description, key: targetKey(rendered), containers: [] };
  if (scope === 'host' || !deps.docker) return { view, rendered };
  let found: ContainerInfo[];
  try {
    found =
      rendered.container !== undefined
        ? await deps.docker.findContainers({ name: rendered.container })
        : await deps.docker.findContainers({ labels: rendered.service!.selector });
  } catch (err) {
    view.problem = `Docker: ${coerceError(err).message}`;
    return { view, rendered, stop: { decision: 'unknown', detail: view.problem } };
  }
  view.exists = found.length > 0;
  view.containers = found.map((c) => ({
    name: c.name,
    running: c.running,
    optedIn: c.labels[deps.config.optInLabel] === 'true',
  }));
  try {
    // The worker's own rules (not found, opt-in, maxContainers) on the list just read.
    await resolveTargets(
      rendered,
      scope,
      { ...deps.docker, findContainers: async () => found },
      deps.config.optInLabel,
      r.target?.maxContainers,
    );
  } catch (err) {
    view.problem = coerceError(err).message;
    const decision: WorkerDecision =
      err instanceof PermanentError && err.kind === 'not_found'
        ? 'not_found'
        : err instanceof PermanentError
          ? 'refused'
          : 'unknown';
    return { view, rendered, stop: { decision, detail: view.problem } };
  }
  return { view, rendered };
}

/** Plan one job (fire, or the onResolved job) as the webhook and then a worker would see it now. */
async function planJob(r: Remediation, alert: Alert, phase: 'fire' | 'resolve', deps: SimulateDeps): Promise<JobPlan> {
  const jobId = episodeJobId(r.id, episodeOf(alert), phase);
  const action = phase === 'fire' ? r.action : r.onResolved!;
  const episode = await deps.reads.episode(jobId);
  const webhook =
    episode !== undefined
      ? {
          decision: 'duplicate' as const,
          detail: `episode already handled (${episode}): nothing would be added`,
          episode,
        }
      : { decision: 'enqueue' as const, detail: 'new episode: one job would be queued', episode };
  const delayMs = phase === 'fire' ? r.delayMs : 0;
  const dryRun = { global: deps.config.dryRun, remediation: r.dryRun };
  const plan: JobPlan = {
    jobId,
    phase,
    action: action.type,
    webhook,
    delayMs,
    target: undefined,
    guards: undefined,
    dryRun,
    worker: undefined,
  };

  if (phase === 'fire' && (await deps.reads.resolved(jobId))) {
    plan.worker = {
      decision: 'cancelled',
      detail: 'Alertmanager already said this episode resolved: the job would do nothing',
    };
    return plan;
  }
  const t = await checkTarget(r, action, alert, deps);
  plan.target = t.view;
  if (t.rendered) {
    try {
      plan.guards = await deps.guards.peek(r, targetKey(t.rendered), deps.config.maxInFlight);
    } catch (err) {
      plan.guardsError = coerceError(err).message;
    }
  }
  if (t.stop) {
    plan.worker = t.stop;
    return plan;
  }
  const what = `${action.type} ${t.view.description}`;
  const g = plan.guards;
  const blocked: { decision: WorkerDecision; detail: string } | undefined = !g
    ? { decision: 'unknown', detail: `guards unreadable: ${plan.guardsError ?? 'no answer'}` }
    : g.lock.held && g.lock.holder !== jobId
      ? {
          decision: 'wait',
          detail: `${t.view.key} is locked by job ${g.lock.holder} (${seconds(g.lock.ttlMs)} left): it would wait`,
        }
      : g.cooldown.active && g.cooldown.holder !== jobId
        ? {
            decision: 'cooldown',
            detail: `${r.id} ran on ${t.view.description} recently: cooldown, ${seconds(g.cooldown.remainingMs)} left`,
          }
        : g.budget.open
          ? {
              decision: 'circuit_open',
              detail: `budget spent: ${g.budget.runsInWindow}/${g.budget.limit} runs in the window; escalation to a human`,
            }
          : g.inFlight.used >= g.inFlight.max
            ? {
                decision: 'wait',
                detail: `${g.inFlight.used} actions already in flight (max ${g.inFlight.max}): it would wait`,
              }
            : undefined;
  const unchecked =
    deps.docker || t.view.scope === 'host' ? '' : ' (target not looked up: this process has no Docker Engine)';
  const later = delayMs > 0 ? ` after the ${seconds(delayMs)} delay, if still firing` : '';
  if (dryRun.global || dryRun.remediation) {
    const why = dryRun.global ? 'DRY_RUN=true' : `${r.id} has dryRun: true`;
    const guard = blocked ? `guards would stop it: ${blocked.decision}` : 'guards would pass';
    plan.worker = {
      decision: 'dry_run',
      detail: `dry run (${why}): would ${what}${later}, without the Docker call; ${guard}${unchecked}`,
    };
  } else {
    plan.worker = blocked ?? { decision: 'act', detail: `would ${what}${later}${unchecked}` };
  }
  return plan;
}

/** A resolved alert: its fire job is cancelled if it still waits, and onResolved is queued. */
async function planResolved(r: Remediation, alert: Alert, deps: SimulateDeps): Promise<JobPlan[]> {
  const fireId = episodeJobId(r.id, episodeOf(alert), 'fire');
  const [state, episode] = await Promise.all([deps.reads.jobState(fireId), deps.reads.episode(fireId)]);
  const detail = WAITING.has(state)
    ? `the job is ${state}: it would be removed and recorded as cancelled`
    : state === 'active'
      ? 'the job is running: it is left to finish'
      : state === 'unknown'
        ? 'no job for this episode in the queue (never queued, or cleaned up): marked resolved'
        : `the job already ended (${state}): marked resolved`;
  const fire: JobPlan = {
    jobId: fireId,
    phase: 'fire',
    action: r.action.type,
    webhook: { decision: WAITING.has(state) ? 'cancel' : 'leave', detail, episode },
    delayMs: r.delayMs,
    target: undefined,
    guards: undefined,
    dryRun: { global: deps.config.dryRun, remediation: r.dryRun },
    worker: undefined,
  };
  return r.onResolved ? [fire, await planJob(r, alert, 'resolve', deps)] : [fire];
}

async function planAlert(alert: Alert, index: number, catalog: Catalog, deps: SimulateDeps): Promise<AlertPlan> {
  const remediations: RemediationPlan[] = [];
  for (const r of catalog.remediations) {
    const matchers = r.matchers.map((m) => ({
      text: m.text,
      label: m.name,
      value: alert.labels[m.name] ?? null,
      ok: matcherMatches(m, alert.labels),
    }));
    const matched = matchers.every((m) => m.ok);
    const jobs = !matched
      ? []
      : alert.status === 'firing'
        ? [await planJob(r, alert, 'fire', deps)]
        : await planResolved(r, alert, deps);
    remediations.push({ remediation: r.id, file: r.file, hash: r.hash, matched, matchers, jobs });
  }
  return {
    index,
    alertname: alert.labels.alertname ?? '',
    status: alert.status,
    fingerprint: alert.fingerprint,
    startsAt: alert.startsAt,
    labels: alert.labels,
    remediations,
  };
}

/** What remediator would do with this payload now, changing nothing. */
export async function simulate(payload: WebhookPayload, deps: SimulateDeps): Promise<SimulationReport> {
  // One catalog for the whole payload, as the webhook does, even if a reload lands meanwhile.
  const catalog = deps.catalog();
  const at = (deps.now?.() ?? new Date()).toISOString();
  const alerts: AlertPlan[] = [];
  for (const [i, alert] of payload.alerts.entries()) alerts.push(await planAlert(alert, i + 1, catalog, deps));
  const jobs = alerts.flatMap((a) => a.remediations.flatMap((r) => r.jobs));
  const count = (d: string) => jobs.filter((j) => j.webhook.decision === d).length;
  return {
    at,
    receiver: payload.receiver,
    status: payload.status,
    truncatedAlerts: payload.truncatedAlerts ?? 0,
    dryRun: deps.config.dryRun,
    docker: deps.docker !== undefined,
    catalog: { dir: catalog.dir, loadedAt: catalog.loadedAt.toISOString(), remediations: catalog.remediations.length },
    alerts,
    summary: {
      alerts: alerts.length,
      unmatched: alerts.filter((a) => a.remediations.every((r) => !r.matched)).length,
      enqueue: count('enqueue'),
      duplicate: count('duplicate'),
      cancel: count('cancel'),
      act: jobs.filter((j) => j.webhook.decision === 'enqueue' && j.worker?.decision === 'act').length,
    },
  };
}
