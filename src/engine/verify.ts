import type { ContainerInfo, DockerPort } from '../docker/port.js';
import { TransientError, VerificationError } from '../errors.js';
import { sleepUnless } from '../time.js';

/** The container part of a step's verify. */
export interface VerifyPolicy {
  running: boolean;
  healthy: boolean;
  withinMs: number;
}

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
    await sleepUnless(Math.min(250, policy.withinMs), signal);
  }
  throw new VerificationError(`not verified within ${Math.round(policy.withinMs / 1000)}s: ${last}`);
}

interface PromResponse {
  status: string;
  error?: string;
  data?: { resultType: string; result: unknown };
}

/**
 * Stage 5, verify: after a step acted, the targets must be running (and healthy, where they
 * have a health check), and/or a PromQL query must come back empty (or all true) within a time.
 */

/** A query result counts as fixed when it is empty, or every value is 1 (a `bool` comparison). */
export function queryHealthy(data: PromResponse['data']): { ok: boolean; detail: string } {
  if (!data) return { ok: false, detail: 'no data' };
  if (data.resultType === 'scalar') {
    const v = Number((data.result as [number, string])[1]);
    return { ok: v === 1, detail: `scalar ${v}` };
  }
  const series = (data.result as { metric: Record<string, string>; value?: [number, string] }[]) ?? [];
  if (series.length === 0) return { ok: true, detail: 'empty result' };
  const bad = series.filter((s) => Number(s.value?.[1]) !== 1);
  return bad.length === 0
    ? { ok: true, detail: `${series.length} series all true` }
    : {
        ok: false,
        detail: `${bad.length} series still firing, e.g. ${JSON.stringify(bad[0]!.metric)} = ${bad[0]!.value?.[1]}`,
      };
}

/**
 * After the action: a PromQL query against Prometheus must come back empty (or all true)
 * within the time. Prometheus errors count as "not yet" until the deadline.
 */
export async function verifyQuery(
  prometheusUrl: string,
  query: string,
  withinMs: number,
  signal?: AbortSignal,
  pollMs = 1_000,
): Promise<{ ok: true; detail: string; durationMs: number }> {
  const started = Date.now();
  const url = new URL('api/v1/query', prometheusUrl.endsWith('/') ? prometheusUrl : `${prometheusUrl}/`);
  url.searchParams.set('query', query);
  let last = 'no answer yet';
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(1_000, Math.min(10_000, withinMs))) });
      const body = (await res.json()) as PromResponse;
      if (body.status !== 'success') last = `Prometheus: ${body.error ?? res.status}`;
      else {
        const r = queryHealthy(body.data);
        if (r.ok) return { ok: true, detail: `query ${query}: ${r.detail}`, durationMs: Date.now() - started };
        last = r.detail;
      }
    } catch (err) {
      last = `Prometheus unreachable: ${(err as Error).message}`;
    }
    if (Date.now() - started >= withinMs || signal?.aborted) break;
    await sleepUnless(Math.min(pollMs, withinMs), signal);
  }
  throw new VerificationError(`query not satisfied within ${Math.round(withinMs / 1000)}s: ${query}: ${last}`);
}

/**
 * A `when: { query }` holds when the query returns at least one series (or a scalar) with a
 * non-zero value: `p99_latency_seconds > 2` holds while some series is still above 2.
 */
export function queryHoldsIn(data: PromResponse['data']): boolean {
  if (!data) return false;
  if (data.resultType === 'scalar') return Number((data.result as [number, string])[1]) !== 0;
  const series = (data.result as { value?: [number, string] }[]) ?? [];
  return series.some((s) => Number(s.value?.[1]) !== 0 && !Number.isNaN(Number(s.value?.[1])));
}

/** Ask Prometheus once whether a `when` query holds; unreachable is an error (the step waits). */
export async function queryHolds(prometheusUrl: string, query: string, signal?: AbortSignal): Promise<boolean> {
  const url = new URL('api/v1/query', prometheusUrl.endsWith('/') ? prometheusUrl : `${prometheusUrl}/`);
  url.searchParams.set('query', query);
  const timeout = AbortSignal.timeout(10_000);
  const res = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  const body = (await res.json()) as PromResponse;
  if (body.status !== 'success') throw new TransientError(`Prometheus: ${body.error ?? res.status} for ${query}`);
  return queryHoldsIn(body.data);
}
