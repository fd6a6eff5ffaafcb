import type { RedisClient } from '../redis.js';
import type { RecurrenceGuardSpec } from '../catalog/remediation.js';
import { globalKeys, hostKeys } from '../keys.js';

/**
 * Feedback from effectiveness to the guards: a remediation whose fixes do not hold (too many
 * of its successes on a host were followed by the same alert firing again) gets its circuit
 * opened sooner than its budget would. This writes the marker the guards' ACQUIRE script reads
 * (hostKeys.recurrenceOpen, in the host's slot), valued with the reason the escalation gives.
 */

const span = (ms: number): string =>
  ms % 86_400_000 === 0 && ms > 2 * 86_400_000
    ? `${ms / 86_400_000}d`
    : ms % 3_600_000 === 0
      ? `${ms / 3_600_000}h`
      : ms % 60_000 === 0
        ? `${ms / 60_000}m`
        : `${Math.round(ms / 1000)}s`;
const pct = (x: number) => `${Math.round(x * 100)}%`;

/** Why the circuit should open (a sentence for the escalation), or undefined when the fix holds. */
export function recurrenceVerdict(
  guard: RecurrenceGuardSpec,
  counts: { succeeded: number; recurred: number },
  remediation: string,
  host: string,
): string | undefined {
  if (counts.succeeded < guard.minRuns || counts.succeeded === 0) return undefined;
  const rate = counts.recurred / counts.succeeded;
  if (rate <= guard.maxRate) return undefined;
  return (
    `the fix does not hold: ${counts.recurred} of ${counts.succeeded} successes of ${remediation} on ${host} ` +
    `in the last ${span(guard.windowMs)} were followed by the same alert within ${span(guard.withinMs)} ` +
    `(${pct(rate)}, over the ${pct(guard.maxRate)} allowed by guards.recurrence)`
  );
}

/** Open the circuit of `remediation` on `host` for `openForMs`, saying why. */
export async function openForRecurrence(
  redis: RedisClient,
  prefix: string,
  o: { remediation: string; host: string; reason: string; openForMs: number; now: number },
): Promise<void> {
  await redis.set(hostKeys(prefix, o.host).recurrenceOpen(o.remediation), o.reason, 'PX', o.openForMs);
  // Listed with the other open circuits (the gauge, the /ui page); a different slot, so apart.
  await redis.zadd(globalKeys(prefix).circuits, o.now + o.openForMs, `${o.remediation}|${o.host}|recurrence`);
}
