/**
 * Exponential backoff with jitter and a ceiling: attempt n waits base * 2^(n-1), capped at
 * max, less a random share of up to `jitter`, so retries of many jobs do not move in step.
 */
export function backoffDelay(
  attemptsMade: number,
  retry: { backoffMs: number; maxBackoffMs: number; jitter: number },
  random: () => number = Math.random,
): number {
  const n = Math.max(1, attemptsMade);
  const base = Math.min(retry.maxBackoffMs, retry.backoffMs * 2 ** (n - 1));
  return Math.max(0, Math.round(base * (1 - retry.jitter * random())));
}
