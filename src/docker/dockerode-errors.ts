/**
 * Where a Docker Engine error becomes one of remediator's: decided once, at the edge, so every
 * adapter method (containers, networks, services) classifies failures the same way.
 */
import { mapDockerError, type DockerodeError, type EngineRef } from './engine-connection.js';

export { mapDockerError, type DockerodeError };

/** The engine's own message for an error, for logs and for matching its few benign answers. */
export function dockerMessage(err: unknown): string {
  const e = (err ?? {}) as DockerodeError;
  return e.json?.message ?? e.reason ?? e.message ?? String(err);
}

/** Run one engine call, mapping whatever it throws. */
export async function call<T>(what: string, fn: () => Promise<T>, where?: EngineRef): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mapDockerError(err, what, where);
  }
}
