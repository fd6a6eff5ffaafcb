import { episodeJobId } from '../alertmanager/episode.js';
import { coerceError } from '../errors.js';
import { UNHANDLED_END_TTL_MS, type Unhandled, type UnhandledReason } from '../guards/unhandled.js';
import { hostKeys } from '../keys.js';
import type { RemediationJobData } from '../queue/contract.js';
import type { RedisClient } from '../redis.js';
import type { Logger } from 'pino';
import type { RemediationEvents } from './events.js';
import type { Outcome } from './outcome.js';

/**
 * Keeps the "firing, not being handled" marks (guards/unhandled.ts) from the lifecycle, so no
 * firing alert is left alone without a metric saying so: a held job marks its episode (why it
 * waits), acting clears it, an end without a fix marks it until the alert resolves.
 */

/** The hold reasons (job.waiting `on`) that leave a firing episode unhandled for a while. */
const HOLDS: Record<string, UnhandledReason> = {
  cooldown: 'cooldown',
  paused: 'paused',
  approval: 'awaiting_approval',
  min_healthy: 'min_healthy',
  rate: 'rate_limited',
};

/** The reason of an end that leaves the alert firing with nothing more to come; undefined: handled. */
export function unhandledEnd(outcome: Outcome, escalation: string | undefined): UnhandledReason | undefined {
  switch (outcome) {
    case 'circuit_open':
      return 'circuit_open';
    case 'refused':
      return 'refused';
    case 'failed':
      return 'failed';
    case 'escalated':
      return escalation === 'approval_expired' ? 'approval_expired' : 'escalated';
    default:
      return undefined;
  }
}

export function subscribeUnhandled(
  events: RemediationEvents,
  deps: { unhandled: Unhandled; redis: RedisClient; prefix: string; log: Logger },
): void {
  const fire = (d: RemediationJobData) => episodeJobId(d.remediation.id, d.episode, 'fire');
  const quietly = (p: Promise<unknown>) =>
    p.catch((err) => deps.log.warn({ err: coerceError(err).message }, 'unhandled-episode mark failed'));
  events.on('job.waiting', (e) => {
    const reason = HOLDS[e.on];
    if (!reason || e.data.phase !== 'fire') return;
    // A little past the wake-up: the job marks it again when it looks again.
    const until = (e.untilMs ?? Date.now()) + 5 * 60_000;
    void quietly(deps.unhandled.mark(e.data.host, fire(e.data), e.data.remediation.id, reason, until));
  });
  events.on('job.acting', (e) => {
    if (e.data.phase === 'fire') void quietly(deps.unhandled.clear(e.data.host, fire(e.data)));
  });
  events.on('job.cancelled', (e) => {
    if (e.data.phase === 'fire') void quietly(deps.unhandled.clear(e.data.host, fire(e.data)));
  });
  events.on('alert.resolved', (e) => void quietly(deps.unhandled.clear(e.data.host, fire(e.data))));
  events.on('job.finished', (e) => {
    if (e.data.phase !== 'fire') return;
    const reason = unhandledEnd(e.outcome, e.escalation);
    const id = fire(e.data);
    if (!reason) return void quietly(deps.unhandled.clear(e.data.host, id));
    void quietly(
      (async () => {
        // Already resolved: nothing fires, nothing is left alone.
        if ((await deps.redis.exists(hostKeys(deps.prefix, e.data.host).resolved(id))) === 1) return;
        await deps.unhandled.mark(e.data.host, id, e.data.remediation.id, reason, Date.now() + UNHANDLED_END_TTL_MS);
      })(),
    );
  });
}
