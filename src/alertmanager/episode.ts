import type { Alert } from './schema.js';

/**
 * An alert episode is one firing period of one alert: Alertmanager re-sends a group with the
 * same fingerprint and startsAt until it resolves, so (fingerprint, startsAt) names the episode.
 */
export interface Episode {
  fingerprint: string;
  startsAt: string;
  /** startsAt as epoch milliseconds (job ids may not contain ':'). */
  startsAtMs: number;
}

export function episodeOf(alert: Pick<Alert, 'fingerprint' | 'startsAt'>): Episode {
  const ms = Date.parse(alert.startsAt);
  if (Number.isNaN(ms)) throw new Error(`startsAt is not a date: ${alert.startsAt}`);
  return { fingerprint: alert.fingerprint, startsAt: alert.startsAt, startsAtMs: ms };
}

/** Id of the job for one (remediation, episode). Remediation ids hold no '.', so this is unambiguous. */
export function episodeJobId(remediationId: string, episode: Episode, phase: 'fire' | 'resolve' = 'fire'): string {
  const base = `${remediationId}.${episode.fingerprint}.${episode.startsAtMs}`;
  return phase === 'fire' ? base : `${base}.resolved`;
}
