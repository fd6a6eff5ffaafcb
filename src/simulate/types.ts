import type { ActionScope } from '../actions/types.js';
import type { ControlView, DecisionKind } from '../engine/decide.js';
import type { GuardView } from '../guards/index.js';

/**
 * What remediator would do with one Alertmanager payload, now: the answer to "should I trust
 * it with this alert?". Shared by `remediator simulate` and `POST /api/v1/simulate`.
 */

/** One matcher of a remediation against one alert. */
export interface MatcherResult {
  /** As written, e.g. `container=~".+"`. */
  text: string;
  label: string;
  /** The alert's value of that label; null when the alert does not carry it (read as ""). */
  value: string | null;
  ok: boolean;
}

export interface ContainerView {
  name: string;
  running: boolean;
  optedIn: boolean;
}

/** The target as the worker would see it now. */
export interface TargetView {
  scope: ActionScope;
  /** `container api`, `service worker`, `the Docker host`; absent when rendering was refused. */
  description?: string;
  /** Docker host. */
  host?: string;
  /** Identities the guards are kept per (`container/api`), once resolved. */
  locks?: string[];
  /** Why the alert's labels cannot name a target (unsafe or missing value). */
  refused?: string;
  /** Undefined when Docker was not asked (refused target, host scope, no Docker in this process). */
  exists?: boolean;
  /** Every container the target selects, opted in or not. */
  containers: ContainerView[];
  /** Why the worker would not act on it (not found, not opted in, too many, Docker error). */
  problem?: string;
}

/** What the webhook would do with this job now. */
export type WebhookDecision =
  /** A new episode: one job would be queued. */
  | 'enqueue'
  /** The episode is already recorded: nothing would be added. */
  | 'duplicate'
  /** The alert resolved and its job still waits: it would be removed. */
  | 'cancel'
  /** The alert resolved; the job already ran, runs or never existed: marked resolved, left alone. */
  | 'leave';

/** What a worker would decide if the job ran now (decide.ts's kinds, plus cancelled). */
export type WorkerDecision = DecisionKind | 'cancelled';

/** One step of the runbook as a worker would take it now (decide() on what is read now). */
export interface StepPlan {
  index: number;
  name: string;
  action: string;
  /** What it would do: "restart api (stop timeout 10s)". */
  describe: string;
  /** always | still_firing | previous_failed | query: ... */
  when: string;
  verify: string | undefined;
  onFailure: string;
  onSuccess: string;
  target: TargetView | undefined;
  guards: GuardView | undefined;
  guardsError?: string;
  /** Pauses and the approval this step would meet now (when the process can read them). */
  control?: ControlView;
  decision: { decision: WorkerDecision; detail: string };
}

export interface JobPlan {
  jobId: string;
  phase: 'fire' | 'resolve';
  /** The action type this phase runs (`restart`, or the onResolved action). */
  action: string;
  webhook: { decision: WebhookDecision; detail: string; episode: string | undefined };
  delayMs: number;
  target: TargetView | undefined;
  guards: GuardView | undefined;
  /** Why the guards could not be read, if they could not. */
  guardsError?: string;
  dryRun: { global: boolean; remediation: boolean };
  /** The job's first decisive step, as a worker would decide it now; absent for a job only cancelled or left. */
  worker: { decision: WorkerDecision; detail: string } | undefined;
  /** Every step of the runbook, in order, with what a worker would decide for each now. */
  steps: StepPlan[];
}

export interface RemediationPlan {
  remediation: string;
  file: string;
  hash: string;
  matched: boolean;
  matchers: MatcherResult[];
  /** Jobs this alert would lead to (empty when not matched). */
  jobs: JobPlan[];
}

export interface AlertPlan {
  index: number;
  alertname: string;
  status: 'firing' | 'resolved';
  fingerprint: string;
  startsAt: string;
  labels: Record<string, string>;
  remediations: RemediationPlan[];
}

export interface SimulationReport {
  /** When the plan was made (ISO); guards and episodes are read at this moment. */
  at: string;
  receiver: string | undefined;
  status: 'firing' | 'resolved';
  truncatedAlerts: number;
  dryRun: boolean;
  /** Whether target existence was checked against a Docker Engine. */
  docker: boolean;
  catalog: { dir: string; loadedAt: string; remediations: number };
  alerts: AlertPlan[];
  summary: { alerts: number; unmatched: number; enqueue: number; duplicate: number; cancel: number; act: number };
}
