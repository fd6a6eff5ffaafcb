import { UnrecoverableError } from 'bullmq';

/**
 * Every error class of remediator, in one family. What happens next is decided where the error
 * is thrown, by its class:
 * - {@link PermanentError} (bad params, missing target, policy refusal, open circuit): never
 *   retried; it extends BullMQ's UnrecoverableError so the job fails at once;
 * - {@link TransientError} (Docker 5xx, timeout, engine unreachable; a failed verification):
 *   retried with the step's backoff;
 * - {@link RateLimitedError}: wait the time given, spend no attempt;
 * - {@link ConfigError} / {@link CatalogError}: the process refuses to start (exit 78);
 * - {@link BadInputError}: a request, payload, flag or filter that can never be valid: 400 or
 *   exit 1/2, naming the field.
 */

// ---- configuration ------------------------------------------------------------------------

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

/** One problem in one remediation (or hosts) file. */
export interface CatalogProblem {
  file: string;
  path: string;
  reason: string;
  /** A warning does not stop the start; `check` prints it. */
  severity?: 'error' | 'warning';
}

/** remediations/ (or the hosts file) cannot be loaded; lists every problem with file, path and reason. */
export class CatalogError extends Error {
  constructor(
    readonly problems: CatalogProblem[],
    what = 'remediations',
  ) {
    super(
      `invalid ${what} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${p.file}: ${p.path || '(file)'}: ${p.reason}`).join('\n'),
    );
    this.name = 'CatalogError';
  }
}

// ---- bad input ----------------------------------------------------------------------------

/**
 * Input that can never be valid: a webhook body, a simulate payload, a history filter, a CLI
 * flag, an alert label a template refuses. `field` names where; `source` what (file, header).
 */
export class BadInputError extends Error {
  constructor(
    readonly field: string,
    reason: string,
    readonly source?: string,
  ) {
    super(`${source ? `${source}${field ? ` ${field}` : ''}: ` : field ? `${field}: ` : ''}${reason}`);
    this.name = 'BadInputError';
  }
}

/** A template could not render a safe value from the alert; the message names the label. */
export class TemplateError extends BadInputError {
  constructor(message: string) {
    super('', message);
    this.name = 'TemplateError';
  }
}

/** Bad flags or arguments on the command line: exits 2 (EX_USAGE-like). */
export class UsageError extends BadInputError {
  constructor(message: string) {
    super('', message);
    this.name = 'UsageError';
  }
}

// ---- job fate -----------------------------------------------------------------------------

/** Why a job ended without acting, for outcome metrics and for the human reading the reason. */
export type PermanentKind = 'refused' | 'not_found' | 'bad_params' | 'circuit_open' | 'still_running';

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

/**
 * Blast radius: the step's target set is empty where targets are expected, or larger than the
 * file allows (`target.minContainers`, `target.maxContainers`).
 */
export class BlastRadiusError extends RefusedError {
  constructor(
    readonly reason: 'empty' | 'too_many',
    message: string,
  ) {
    super(message);
  }
}

/** The run budget of a (remediation, target) is spent: nothing runs until the window slides. */
export class CircuitOpenError extends PermanentError {
  constructor(message: string) {
    super('circuit_open', message);
  }
}

/** May work if tried again: Docker 5xx, a timeout, an unreachable engine or API. */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/**
 * A Docker engine of the hosts file could not be reached (refused, no socket, timeout, reset).
 * Transient: an engine restarting or a host rebooting comes back; retries then escalation.
 */
export class EngineUnreachableError extends TransientError {
  constructor(
    readonly host: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EngineUnreachableError';
  }
}

/**
 * TLS with an engine failed: it refused our client certificate, or we do not trust its own.
 * Transient on purpose: the files were checked at start (they exist, parse, the key matches
 * the certificate), so a refusal now is the engine's side changing (a CA or server certificate
 * rotated, a proxy redeployed), which an operator fixes while the job retries; the retries
 * end in an escalation that carries this message, never in a silent permanent failure.
 */
export class EngineTlsError extends EngineUnreachableError {
  constructor(host: string, message: string, options?: { cause?: unknown }) {
    super(host, message, options);
    this.name = 'EngineTlsError';
  }
}

/**
 * A job names a Docker host the hosts file does not list (or one its worker does not serve):
 * refused, never acted on another host's engine.
 */
export class UnknownHostError extends PermanentError {
  constructor(
    readonly host: string,
    known: readonly string[],
  ) {
    super('refused', `host "${host}" is not in the hosts file (known: ${known.join(', ') || 'none'})`);
  }
}

/** Verification after an action did not see the target fixed in time: a failed attempt. */
export class VerificationError extends TransientError {
  constructor(message: string) {
    super(message);
    this.name = 'VerificationError';
  }
}

/** A command run by `exec` exited non-zero: a failed attempt; `result` keeps its output. */
export class ExecFailedError extends TransientError {
  constructor(
    message: string,
    readonly result: unknown,
  ) {
    super(message);
    this.name = 'ExecFailedError';
  }
}

/**
 * An exec that timed out or was aborted could not be confirmed stopped: its target stays
 * locked (until the lock's TTL) and the job escalates, so nothing runs beside it.
 */
export class ExecStillRunningError extends PermanentError {
  constructor(message: string) {
    super('still_running', message);
  }
}

/**
 * A recreate (or rollback) whose new container did not come up in time: it was removed and the
 * old one renamed back and started. A failed attempt (retried like a failed verification);
 * `result` is the ActionResult saying "rolled back", for the history and the Slack thread.
 */
export class RolledBackError extends TransientError {
  constructor(
    message: string,
    readonly result: unknown,
  ) {
    super(message);
    this.name = 'RolledBackError';
  }
}

/** A peer asked us to slow down (Slack's 429): wait `retryAfterMs`, spend no attempt. */
export class RateLimitedError extends Error {
  constructor(
    readonly retryAfterMs: number,
    message: string,
  ) {
    super(message);
    this.name = 'RateLimitedError';
  }
}

/** Redis could not take the alerts: the webhook answers 503 so Alertmanager retries. */
export class EnqueueUnavailableError extends TransientError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnqueueUnavailableError';
  }
}

/** A dependency (Redis) cannot be reached by a one-shot command: exits 1 with this message. */
export class UnreachableError extends TransientError {
  constructor(message: string) {
    super(message);
    this.name = 'UnreachableError';
  }
}

// ---- helpers ------------------------------------------------------------------------------

/** True for errors retrying cannot fix (ours, or any BullMQ UnrecoverableError). */
export function isPermanent(err: Error): boolean {
  return err instanceof PermanentError || err instanceof UnrecoverableError || err.name === 'UnrecoverableError';
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

// ---- named cases, kept for the places that branch on them ---------------------------------

/** The payload handed to simulate is not an Alertmanager webhook body; the message names where. */
export class InvalidPayloadError extends BadInputError {
  constructor(
    source: string,
    readonly path: string,
    reason: string,
  ) {
    super(path, reason, source);
    this.name = 'InvalidPayloadError';
  }
}

/** A history filter value that can never be valid; names the field, as a 400 or exit 2 says. */
export class HistoryFilterError extends BadInputError {
  constructor(field: string, reason: string) {
    super(field, reason);
    this.name = 'HistoryFilterError';
  }
}

/** Slack asked us to slow down; wait `retryAfterMs` before any further call. */
export class SlackRateLimitedError extends RateLimitedError {
  constructor(retryAfterMs: number, what: string) {
    super(retryAfterMs, `${what}: rate limited by Slack, retry after ${Math.ceil(retryAfterMs / 1000)} s`);
    this.name = 'SlackRateLimitedError';
  }
}

/** Slack is down or unreachable; retried with backoff. */
export class SlackTransientError extends TransientError {
  constructor(message: string) {
    super(message);
    this.name = 'SlackTransientError';
  }
}

/** A sink (Slack) refused the call for a reason retrying cannot fix (bad token, unknown channel, ...). */
export class SlackPermanentError extends UnrecoverableError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnrecoverableError';
  }
}

/**
 * A notification sink (webhook, PagerDuty, Teams, Mattermost) asked us to slow down (429):
 * only that sink waits `retryAfterMs`, and the change spends no attempt.
 */
export class SinkRateLimitedError extends RateLimitedError {
  constructor(retryAfterMs: number, what: string) {
    super(retryAfterMs, `${what}: rate limited, retry after ${Math.ceil(retryAfterMs / 1000)} s`);
    this.name = 'SinkRateLimitedError';
  }
}

/** A sink is down or unreachable (5xx, timeout, network); the change is retried with backoff. */
export class SinkTransientError extends TransientError {
  constructor(message: string) {
    super(message);
    this.name = 'SinkTransientError';
  }
}

/**
 * A sink refused a change for a reason retrying cannot fix (400 bad payload, 401/403, 404 gone):
 * the change is dropped and logged, the episode's later changes go on. The message is built
 * from status codes and the sink's short error text, never from its URL.
 */
export class SinkPermanentError extends UnrecoverableError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnrecoverableError';
  }
}
