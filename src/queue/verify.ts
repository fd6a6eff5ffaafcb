import type { ContainerInfo, DockerPort } from '../docker/port.js';
import { VerificationError } from '../errors.js';

export interface VerifyPolicy {
  running: boolean;
  healthy: boolean;
  withinMs: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

function problem(c: ContainerInfo, policy: VerifyPolicy): string | undefined {
  if (policy.running && !c.running) return `${c.name} is ${c.state}`;
  if (policy.healthy && c.health !== 'none' && c.health !== 'healthy') return `${c.name} is ${c.health}`;
  return undefined;
}

/**
 * After the action: every container must be running (and healthy, where it has a health
 * check) within the policy's time. Throws {@link VerificationError}, a failed attempt.
 */
export async function verifyContainers(
  docker: DockerPort,
  ids: string[],
  policy: VerifyPolicy,
  signal?: AbortSignal,
): Promise<{ ok: true; detail: string; durationMs: number }> {
  const started = Date.now();
  let last = '';
  for (;;) {
    const states = await Promise.all(ids.map((id) => docker.inspect(id)));
    const problems = states.map((c) => problem(c, policy)).filter((p): p is string => p !== undefined);
    if (problems.length === 0) {
      const detail = states.map((c) => `${c.name} ${c.state}${c.health !== 'none' ? `/${c.health}` : ''}`).join(', ');
      return { ok: true, detail, durationMs: Date.now() - started };
    }
    last = problems.join('; ');
    if (Date.now() - started >= policy.withinMs || signal?.aborted) break;
    await sleep(Math.min(250, policy.withinMs), signal);
  }
  throw new VerificationError(`not verified within ${Math.round(policy.withinMs / 1000)}s: ${last}`);
}
