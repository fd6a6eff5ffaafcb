import type { Alert } from '../alertmanager/schema.js';
import type { Episode } from '../alertmanager/episode.js';
import type { RemediationSpec } from '../catalog/remediation.js';
import type { JobPause, StepRecord } from '../engine/types.js';
import type { Outcome } from '../lifecycle/outcome.js';

/**
 * The typed contract between the webhook (producer) and the worker: queue names, the job
 * payload and the job result. Both sides import these, so a change is checked end to end.
 */
export const REMEDIATION_QUEUE = 'remediations';

/**
 * BullMQ-level retries of a remediation job: only for errors outside a step (Docker or Redis
 * unreachable, a worker crash). Steps retry with their own policy inside the engine.
 */
export const INFRA_RETRY = { attempts: 5, backoffMs: 2_000 } as const;

export type { Outcome } from '../lifecycle/outcome.js';

export interface RemediationJobData {
  /** 'fire' runs the runbook; 'resolve' runs the remediation's onResolved action. */
  phase: 'fire' | 'resolve';
  /** The Docker host the job acts on (its queue is that host's). */
  host: string;
  /** The definition as it was when the job was created. */
  remediation: RemediationSpec;
  alert: Pick<Alert, 'status' | 'labels' | 'startsAt' | 'fingerprint'> & {
    annotations: Record<string, string>;
    endsAt: string | undefined;
    generatorURL: string | undefined;
  };
  episode: Episode;
  group: { receiver: string | undefined; externalURL: string | undefined; groupKey: string | undefined };
  /** When the webhook accepted it (epoch ms). */
  receivedAt: number;
}

export interface RemediationJobResult {
  outcome: Outcome;
  summary: string;
  /** The action of the step that decided the outcome (the first step's when none ran). */
  action: string;
  targets: string[];
  dryRun: boolean;
  durationMs: number;
  details: Record<string, unknown>;
  verification?: { ok: boolean; detail: string; durationMs: number } | undefined;
  /** Set when a human is needed (retries_exhausted, verification_failed, circuit_open, ...). */
  escalation?: string | undefined;
  /** Every step of the runbook, in order, as far as it got. */
  steps: StepRecord[];
  /** Pauses that held a step of it, in order (absent: none did). */
  pauses?: JobPause[] | undefined;
}
