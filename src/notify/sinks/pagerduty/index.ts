import { Type } from '@sinclair/typebox';
import { ConfigError } from '../../../errors.js';
import { escalates } from '../../policy.js';
import { defineSink } from '../../sink.js';

/**
 * PagerDuty, through the Events API v2: an escalated episode opens an incident (`trigger`, one
 * `dedup_key` per episode), and the episode's alert resolving resolves it (`resolve`). A
 * remediation that worked pages nobody.
 */
export interface PagerDutySettings {
  routingKey: string;
  eventsUrl: string;
}

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export const pagerduty = defineSink<PagerDutySettings>({
  name: 'pagerduty',
  title: 'PagerDuty Events API v2: trigger on escalation, resolve when the alert resolves',
  variables: {
    PAGERDUTY_ROUTING_KEY: {
      schema: Type.String({ pattern: '^[A-Za-z0-9_-]{20,64}$' }),
      hint: "the integration key of a service's Events API v2 integration (32 characters)",
      secret: true,
    },
    PAGERDUTY_EVENTS_URL: {
      schema: Type.String({ pattern: '^https?://[^\\s]+$' }),
      hint: `the Events API v2 endpoint, an http(s):// URL (default ${PAGERDUTY_EVENTS_URL}; EU: https://events.eu.pagerduty.com/v2/enqueue)`,
    },
  },
  parse(v) {
    if (v.PAGERDUTY_ROUTING_KEY === undefined) {
      if (v.PAGERDUTY_EVENTS_URL !== undefined)
        throw new ConfigError('PAGERDUTY_ROUTING_KEY', 'PAGERDUTY_EVENTS_URL is set: set the routing key as well');
      return undefined;
    }
    return { routingKey: v.PAGERDUTY_ROUTING_KEY, eventsUrl: v.PAGERDUTY_EVENTS_URL ?? PAGERDUTY_EVENTS_URL };
  },
  secrets: (s) => [s.routingKey],
  defaults: ['escalation', 'alert.resolved'],
  // Only these two can ever make it send: anything else is not queued at all.
  accepts: (e) => e.type === 'alert.resolved' || (e.type === 'job.finished' && escalates(e)),
  // PagerDuty's documented limit is 120 events per minute per integration key.
  delivery: { concurrency: 2, limiter: { max: 2, duration: 1_000 } },
  create: async (settings) => (await import('./sink.js')).createPagerDutySink(settings),
});
