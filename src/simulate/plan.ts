import { actionIsDisruptive, describeAction, handlerOf } from '../actions/index.js';
import { namesOf } from '../actions/types.js';
import { episodeJobId, episodeOf } from '../alertmanager/episode.js';
import type { Alert, WebhookPayload } from '../alertmanager/schema.js';
import type { Catalog } from '../catalog/catalog.js';
import { matcherMatches } from '../catalog/matchers.js';
import { renderQuery } from '../catalog/query-template.js';
import { primaryAction, stepsOf, type Remediation, type StepSpec } from '../catalog/remediation.js';
import type { Config } from '../config.js';
import type { DockerPort } from '../docker/port.js';
import { decide, whenText, whenVerdict, type TargetVerdict, type WhenVerdict } from '../engine/decide.js';
import { minHealthyOf, pauseNames, rateMember, readControl, type EngineControl } from '../engine/control.js';
import type { ControlView, RadiusView } from '../engine/decide.js';
import { renderHost, renderTarget, targetName } from '../engine/render.js';
import { guardRequest, resolveTargets, type ResolvedTargets } from '../engine/resolve.js';
import { queryHolds } from '../engine/verify.js';
import { PermanentError, coerceError } from '../errors.js';
import { unaskedGuardView, type GuardRequest, type Guards } from '../guards/index.js';
import { DEFAULT_HOST } from '../keys.js';
import type { AlertPlan, JobPlan, RemediationPlan, SimulationReport, StepPlan, TargetView } from './types.js';

/**
 * The planner behind `remediator simulate` and `POST /api/v1/simulate`: for each step of each
 * job the webhook would create, the same render, resolve and decide() the worker runs, on what
 * is read now. It only reads: Redis through GET/EXISTS/ZCOUNT (guards.peek writes nothing),
 * Docker through list calls, Prometheus through a query. It never enqueues.
 */

/** Read-only Redis lookups the planner needs; see reads.ts for the real ones. */
export interface SimulateReads {
  /** The episode record of a job id (`queued`, `succeeded`, …), undefined when there is none. */
  episode(host: string, jobId: string): Promise<string | undefined>;
  /** Whether Alertmanager already said this fire job's episode resolved. */
  resolved(host: string, fireJobId: string): Promise<boolean>;
  /** BullMQ state of a job (`waiting`, `delayed`, `active`, …; `unknown` when there is none). */
  jobState(host: string, jobId: string): Promise<string>;
}

export interface SimulateDeps {
  catalog: () => Catalog;
  /** Absent in a process without Docker access (`serve`): targets are then not looked up. */
  docker: DockerPort | undefined;
  guards: Pick<Guards, 'peek'>;
  reads: SimulateReads;
  config: Pick<Config, 'dryRun' | 'optInLabel' | 'maxInFlight'> & { prometheusUrl?: string | undefined };
  /** Pauses, approvals, the fleet's rate (peeked: read-only); absent: none apply. */
  control?: EngineControl | undefined;
  now?: () => Date;
}

const WAITING = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);

function verifyText(step: StepSpec): string | undefined {
  const v = step.verify;
  if (!v) return undefined;
  const parts = [
    v.running ? 'running' : undefined,
    v.healthy ? 'healthy' : undefined,
    `within ${Math.round(v.withinMs / 1000)}s`,
  ];
  if (v.query) parts.push(`query ${v.query} within ${Math.round(v.queryWithinMs / 1000)}s`);
  return parts.filter(Boolean).join(', ') + (v.own ? '' : ' (from the file)');
}

/** One step now: when, target, guards, and decide() on them. */
async function planStep(
  r: Remediation,
  step: StepSpec,
  alert: Alert,
  host: string,
  jobId: string,
  fireJobId: string,
  phase: 'fire' | 'resolve',
  deps: SimulateDeps,
): Promise<StepPlan> {
  const handler = handlerOf(step.action.type);
  // when: what can be known now; what depends on an earlier step stays conditional.
  let when: WhenVerdict;
  if (step.index > 0 && step.when.kind === 'still_firing') {
    when = whenVerdict(step.when, { previous: undefined, firing: undefined, query: undefined });
  } else if (step.when.kind === 'still_firing') {
    when = whenVerdict(step.when, {
      previous: undefined,
      firing: true,
      query: undefined,
      firingDetail: 'the alert fires',
    });
  } else if (step.when.kind === 'query' && deps.config.prometheusUrl) {
    try {
      const holds = await queryHolds(deps.config.prometheusUrl, renderQuery(step.when.query, alert));
      when = whenVerdict(step.when, { previous: undefined, firing: undefined, query: holds });
    } catch (err) {
      when = { holds: 'unknown', detail: `query unanswered now (${coerceError(err).message})` };
    }
  } else {
    when = whenVerdict(step.when, { previous: undefined, firing: undefined, query: undefined });
  }
  const base: Omit<StepPlan, 'target' | 'guards' | 'decision'> = {
    index: step.index,
    name: step.name,
    action: step.action.type,
    describe: describeAction(step.action.type, step.action, 'its target'),
    when: whenText(step.when),
    verify: verifyText(step),
    onFailure: step.onFailure,
    onSuccess: step.onSuccess,
  };
  const view: TargetView = { scope: handler.scope, containers: [] };
  let targets: TargetVerdict;
  let request: GuardRequest | undefined;
  let resolvedTargets: ResolvedTargets | undefined;
  let names: string[] = [];
  let describe = base.describe;
  const disruptive = actionIsDisruptive(step.action.type, step.action);
  try {
    const rendered = renderTarget(step.target, handler.scope, alert, host);
    names = [targetName(rendered)];
    view.description = rendered.description;
    view.host = rendered.host;
    if (!deps.docker && handler.scope !== 'host') {
      targets = { ok: true, description: rendered.description, count: 0 };
      view.problem = 'not looked up: this process has no Docker Engine';
    } else {
      const resolved = await resolveTargets(rendered, handler.scope, deps.docker!, {
        action: step.action.type,
        optInLabel: deps.config.optInLabel,
        maxContainers: step.target?.maxContainers,
        minContainers: step.target?.minContainers,
        minHealthy: step.target?.minHealthy,
        disruptive,
        // What the engine answered, shown even when the worker would then refuse it.
        onFound: (found) => {
          view.exists = found.length > 0;
          view.containers = found.map((c) => ({
            name: c.name,
            running: c.running,
            optedIn: c.labels[deps.config.optInLabel] === 'true',
          }));
        },
      });
      view.locks = resolved.locks;
      resolvedTargets = resolved;
      names = pauseNames(resolved, names[0]);
      targets = { ok: true, description: resolved.description, count: resolved.containers.length };
      describe = describeAction(step.action.type, step.action, namesOf(resolved.containers) || resolved.description);
      request = guardRequest({
        resolved,
        jobId,
        fireJobId,
        remediation: r,
        phase,
        maxInFlight: deps.config.maxInFlight,
      });
    }
  } catch (err) {
    const e = coerceError(err);
    view.problem = e.message;
    if (e instanceof PermanentError && view.description === undefined) view.refused = e.message;
    if (e instanceof PermanentError && e.kind === 'not_found') view.exists = false;
    targets = {
      ok: false,
      kind: e instanceof PermanentError ? (e.kind === 'not_found' ? 'not_found' : 'refused') : 'unknown',
      detail: e instanceof PermanentError ? e.message : `Docker: ${e.message}`,
    };
  }
  let guards;
  let guardsError: string | undefined;
  if (request) {
    try {
      guards = await deps.guards.peek(request);
    } catch (err) {
      guardsError = coerceError(err).message;
    }
  }
  // The operator's controls and the blast-radius limits, as the worker would read them now.
  let control: ControlView | undefined;
  let radius: RadiusView | undefined;
  if (deps.control && targets.ok) {
    const now = (deps.now?.() ?? new Date()).getTime();
    control = (
      await readControl(deps.control, {
        host,
        remediation: r.id,
        names,
        jobId,
        step,
        targets: resolvedTargets?.containers.length ?? 0,
        now,
      })
    ).view;
    radius = {
      minHealthy: resolvedTargets && minHealthyOf(resolvedTargets, guards?.share?.used ?? 0),
      rate: disruptive ? await deps.control.fleetRate.peek(rateMember(host, jobId, step.index)) : undefined,
    };
  }
  const d = decide({
    remediation: r,
    step,
    jobId,
    describe,
    when,
    targets,
    guards: request ? guards : unaskedGuardView(r, deps.config.maxInFlight),
    control,
    radius,
    dryRun: { global: deps.config.dryRun, remediation: r.dryRun },
  });
  return {
    ...base,
    describe,
    target: view,
    guards,
    ...(control && { control }),
    ...(guardsError !== undefined && { guardsError }),
    decision: { decision: d.kind, detail: d.detail },
  };
}

/** Plan one job (fire, or the onResolved job) as the webhook and then a worker would see it now. */
async function planJob(r: Remediation, alert: Alert, phase: 'fire' | 'resolve', deps: SimulateDeps): Promise<JobPlan> {
  const episode = episodeOf(alert);
  const jobId = episodeJobId(r.id, episode, phase);
  const fireJobId = episodeJobId(r.id, episode, 'fire');
  let host = DEFAULT_HOST;
  try {
    host = renderHost(r.target, alert);
  } catch {
    /* the first step's plan says why */
  }
  const recorded = await deps.reads.episode(host, jobId);
  const webhook =
    recorded !== undefined
      ? {
          decision: 'duplicate' as const,
          detail: `episode already handled (${recorded}): nothing would be added`,
          episode: recorded,
        }
      : { decision: 'enqueue' as const, detail: 'new episode: one job would be queued', episode: recorded };
  const delayMs = phase === 'fire' ? r.delayMs : 0;
  const dryRun = { global: deps.config.dryRun, remediation: r.dryRun };
  const plan: JobPlan = {
    jobId,
    phase,
    action: primaryAction(r, phase),
    webhook,
    delayMs,
    target: undefined,
    guards: undefined,
    dryRun,
    worker: undefined,
    steps: [],
  };
  if (phase === 'fire' && (await deps.reads.resolved(host, jobId))) {
    plan.worker = {
      decision: 'cancelled',
      detail: 'Alertmanager already said this episode resolved: the job would do nothing',
    };
    return plan;
  }
  for (const step of stepsOf(r, phase))
    plan.steps.push(await planStep(r, step, alert, host, jobId, fireJobId, phase, deps));
  // The job's headline: its first step that would not be skipped.
  const first = plan.steps.find((s) => s.decision.decision !== 'skip') ?? plan.steps[0];
  if (first) {
    plan.target = first.target;
    plan.guards = first.guards;
    if (first.guardsError) plan.guardsError = first.guardsError;
    const acts = first.decision.decision === 'act' || first.decision.decision === 'dry_run';
    const later = delayMs > 0 && acts ? ` (after the ${Math.ceil(delayMs / 1000)}s delay, if still firing)` : '';
    const unchecked =
      !deps.docker && first.target?.scope !== 'host'
        ? ' (target not looked up: this process has no Docker Engine)'
        : '';
    plan.worker = { decision: first.decision.decision, detail: first.decision.detail + later + unchecked };
  }
  return plan;
}

/** A resolved alert: its fire job is cancelled if it still waits, and onResolved is queued. */
async function planResolved(r: Remediation, alert: Alert, deps: SimulateDeps): Promise<JobPlan[]> {
  const fireId = episodeJobId(r.id, episodeOf(alert), 'fire');
  let host = DEFAULT_HOST;
  try {
    host = renderHost(r.target, alert);
  } catch {
    /* refused host label: the default host's records */
  }
  const [state, episode] = await Promise.all([deps.reads.jobState(host, fireId), deps.reads.episode(host, fireId)]);
  const detail = WAITING.has(state)
    ? `the job is ${state}: it would be removed and recorded as cancelled`
    : state === 'active'
      ? 'the job is running: it stops before its next step'
      : state === 'unknown'
        ? 'no job for this episode in the queue (never queued, or cleaned up): marked resolved'
        : `the job already ended (${state}): marked resolved`;
  const fire: JobPlan = {
    jobId: fireId,
    phase: 'fire',
    action: primaryAction(r, 'fire'),
    webhook: { decision: WAITING.has(state) ? 'cancel' : 'leave', detail, episode },
    delayMs: r.delayMs,
    target: undefined,
    guards: undefined,
    dryRun: { global: deps.config.dryRun, remediation: r.dryRun },
    worker: undefined,
    steps: [],
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
