import type { ActionParams } from '../actions/index.js';
import type { Matcher } from './matchers.js';
import type { TargetSpec } from './schema.js';

/**
 * A validated remediation with defaults applied. The JSON part (`RemediationSpec`) travels in
 * the job, so a job finishes under the definition it was enqueued with even if the catalog is
 * reloaded meanwhile.
 */
export interface RemediationSpec {
  id: string;
  file: string;
  /** sha256 of the file, first 16 hex digits. */
  hash: string;
  description: string | undefined;
  match: string[];
  target: TargetSpec | undefined;
  action: ActionParams;
  onResolved: ActionParams | undefined;
  delayMs: number;
  retry: { attempts: number; backoffMs: number; maxBackoffMs: number; jitter: number };
  verify:
    | { running: boolean; healthy: boolean; withinMs: number; query: string | undefined; queryWithinMs: number }
    | undefined;
  guards: { cooldownMs: number; budget: { runs: number; windowMs: number } | undefined };
  notify: { channel: string | undefined; mention: string | undefined };
  dryRun: boolean;
  /** Silence the alert in Alertmanager while acting (opt-in); undefined when off. */
  silence?: { maxDurationMs: number } | undefined;
}

export interface Remediation extends RemediationSpec {
  matchers: Matcher[];
}

/** Defaults for a remediation that does not say. */
export const DEFAULTS = {
  attempts: 3,
  backoffMs: 5_000,
  maxBackoffMs: 300_000,
  jitter: 0.2,
  verifyWithinMs: 30_000,
  queryWithinMs: 120_000,
  silenceMaxDurationMs: 30 * 60_000,
} as const;

export function toSpec(r: Remediation): RemediationSpec {
  const { matchers: _m, ...spec } = r;
  return spec;
}
