/**
 * Where a Docker Engine error becomes one of remediator's: decided once, at the edge, so every
 * adapter method (containers, networks, services) classifies failures the same way.
 */
import { BadParamsError, TargetNotFoundError, TransientError } from '../errors.js';

/** What dockerode puts on the errors it rejects with. */
export interface DockerodeError {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | null;
  reason?: string;
  message?: string;
}

/** The engine's own message for an error, for logs and for matching its few benign answers. */
export function dockerMessage(err: unknown): string {
  const e = (err ?? {}) as DockerodeError;
  return e.json?.message ?? e.reason ?? e.message ?? String(err);
}

/** Decide at the throw site whether retrying can help. */
export function mapDockerError(err: unknown, what: string): Error {
  const e = (err ?? {}) as DockerodeError;
  const detail = dockerMessage(err);
  if (e.statusCode === 404) return new TargetNotFoundError(`${what}: not found (${detail})`);
  if (e.statusCode === 400) return new BadParamsError(`${what}: rejected by Docker (${detail})`);
  return new TransientError(`${what}: ${detail}`, { cause: err });
}

/** Run one engine call, mapping whatever it throws. */
export async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mapDockerError(err, what);
  }
}
