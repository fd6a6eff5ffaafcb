import type { Alert } from '../alertmanager/schema.js';
import type { Episode } from '../alertmanager/episode.js';
import type { RemediationSpec } from '../catalog/remediation.js';

/**
 * The typed contract between the webhook (producer) and the worker: queue names, the job
 * payload and the job result. Both sides import these, so a change is checked end to end.
 */
export const REMEDIATION_QUEUE = 'remediations';

/** How a remediation job ended. Also the `outcome` label of remediator_remediations_total. */
export type Outcome =
  'succeeded' | 'skipped' | 'dry_run' | 'failed' | 'refused' | 'escalated' | 'cooldown' | 'circuit_open' | 'cancelled';

export interface RemediationJobData {
  /** 'fire' runs the action; 'resolve' runs the remediation's onResolved action. */
  phase: 'fire' | 'resolve';
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
  action: string;
  targets: string[];
  dryRun: boolean;
  durationMs: number;
  details: Record<string, unknown>;
  verification?: { ok: boolean; detail: string; durationMs: number } | undefined;
  /** Set when the job completed but a human is needed (e.g. circuit_open). */
  escalation?: string | undefined;
}

/** Redis key names under the queue prefix, in one place. */
export const keys = {
  episode: (prefix: string, jobId: string) => `${prefix}:episode:${jobId}`,
  memo: (prefix: string, jobId: string) => `${prefix}:memo:${jobId}`,
  /** Set when Alertmanager said the episode resolved: a fire job that runs later does nothing. */
  resolved: (prefix: string, fireJobId: string) => `${prefix}:resolved:${fireJobId}`,
};
