// The load generators: autocannon for the sustained ingest runs, and a bounded-concurrency
// poster for the storm (a fixed list of deliveries, each one answered before it counts).
import autocannon from 'autocannon';
import { nowMs, summarize, type Summary } from './stats.js';

export interface LoadSettings {
  connections: number;
  durationS: number;
  warmupS: number;
}

export interface LoadResult {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  requests2xx: number;
  non2xx: number;
  errors: number;
  durationS: number;
}

function cannon(
  url: string,
  headers: Record<string, string>,
  body: (i: number) => string,
  connections: number,
  durationS: number,
  counter: { i: number },
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    // Not tracked (no progress bar): the bench prints its own table.
    autocannon(
      {
        url,
        connections,
        duration: durationS,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            // Every run goes through setupRequest, so the generator costs the same whatever the body.
            setupRequest: (req) => ({ ...req, body: body(counter.i++) }),
          },
        ],
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

/**
 * A warm-up run (JIT, connection pools, Redis) that is thrown away, then the measured run with
 * the same settings. The body counter runs across both so "fresh" bodies never repeat.
 */
export async function sustained(
  url: string,
  headers: Record<string, string>,
  body: (i: number) => string,
  s: LoadSettings,
  /** Awaited right before and right after the measured run (e.g. to read CPU counters). */
  around: { before?: () => unknown; after?: () => unknown } = {},
): Promise<LoadResult & { sent: number; acceptedInAll: number }> {
  const counter = { i: 0 };
  const warm = s.warmupS > 0 ? await cannon(url, headers, body, s.connections, s.warmupS, counter) : undefined;
  await around.before?.();
  const r = await cannon(url, headers, body, s.connections, s.durationS, counter);
  await around.after?.();
  return {
    reqPerSec: r['2xx'] / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    meanMs: r.latency.mean,
    requests2xx: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    durationS: r.duration,
    /** Bodies generated, warm-up included (an upper bound of what the server saw). */
    sent: counter.i,
    /** 2xx answers, warm-up included (a lower bound of what the server accepted). */
    acceptedInAll: (warm?.['2xx'] ?? 0) + r['2xx'],
  };
}

export interface BurstResult {
  elapsedMs: number;
  statuses: Record<string, number>;
  latency: Summary;
}

/** POST every body once, at most `concurrency` in flight; resolves when all were answered. */
export async function burst(
  url: string,
  headers: Record<string, string>,
  bodies: string[],
  concurrency: number,
): Promise<BurstResult> {
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let next = 0;
  const t0 = nowMs();
  const lane = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const t = nowMs();
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        signal: AbortSignal.timeout(30_000),
      }).catch((err: Error) => ({ status: `error: ${err.message}`, text: async () => '' }));
      await res.text();
      latencies.push(nowMs() - t);
      statuses[String(res.status)] = (statuses[String(res.status)] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { elapsedMs: nowMs() - t0, statuses, latency: summarize(latencies) };
}
