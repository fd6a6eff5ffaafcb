import { UnrecoverableError } from 'bullmq';

/**
 * The few error classes of remediator. Whether a job is retried is decided where the error is
 * thrown: a {@link PermanentError} (bad params, missing target, policy refusal) extends BullMQ's
 * UnrecoverableError so the job fails at once; anything else is retried with backoff.
 */

/** A configuration value from the environment is missing or wrong; names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

/** One problem in one remediation file. */
export interface CatalogProblem {
  file: string;
  path: string;
  reason: string;
}

/** remediations/ cannot be loaded; lists every problem with file, path and reason. */
export class CatalogError extends Error {
  constructor(readonly problems: CatalogProblem[]) {
    super(
      `invalid remediations (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${p.file}: ${p.path || '(file)'}: ${p.reason}`).join('\n'),
    );
    this.name = 'CatalogError';
  }
}

/** Why a job ended without acting, for outcome metrics and for the human reading the reason. */
export type PermanentKind = 'refused' | 'not_found' | 'bad_params' | 'circuit_open';

/** Never retried: acting again cannot help. The message says what a human should look at. */
export class PermanentError extends UnrecoverableError {
  constructor(
    readonly kind: PermanentKind,
    message: string,
  ) {
    super(message);
    // BullMQ also recognises the name; keep it so a serialised error still reads as permanent.
    this.name = 'UnrecoverableError';
  }
}

export class RefusedError extends PermanentError {
  constructor(message: string) {
    super('refused', message);
  }
}

export class TargetNotFoundError extends PermanentError {
  constructor(message: string) {
    super('not_found', message);
  }
}

export class BadParamsError extends PermanentError {
  constructor(message: string) {
    super('bad_params', message);
  }
}

/** The run budget of a (remediation, target) is spent: nothing runs until the window slides. */
export class CircuitOpenError extends PermanentError {
  constructor(message: string) {
    super('circuit_open', message);
  }
}

/** A Docker call that may work if tried again (5xx, timeout, engine unreachable). */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** Verification after the action did not see the target healthy in time; retried. */
export class VerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerificationError';
  }
}

/** Redis could not take the alerts: the webhook answers 503 so Alertmanager retries. */
export class EnqueueUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnqueueUnavailableError';
  }
}

/** Turn anything thrown into an Error so it can be logged and stored. */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}
