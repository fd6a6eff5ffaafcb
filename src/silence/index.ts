import type { RedisClient } from '../redis.js';
import type { Logger } from 'pino';
import type { Catalog } from '../catalog/catalog.js';
import type { Config } from '../config.js';
import type { RemediationEvents } from '../lifecycle/events.js';
import { createAlertmanagerApi } from '../alertmanager/api.js';
import { attachSilencer } from './silencer.js';

export { createAlertmanagerApi, type AlertmanagerApi, type SilenceRequest } from '../alertmanager/api.js';
export { attachSilencer, silenceFor, silenceKey } from './silencer.js';

/**
 * Wire Alertmanager silences into a worker process. Off (undefined) without ALERTMANAGER_URL;
 * then remediations that ask for a silence still run, and the start says why nothing is
 * silenced.
 */
export function createSilences(deps: {
  config: Pick<Config, 'alertmanagerUrl' | 'queuePrefix'>;
  events: RemediationEvents;
  redis: Pick<RedisClient, 'get' | 'set' | 'del'>;
  log: Logger;
  catalog: () => Catalog;
}): { settled(): Promise<void> } | undefined {
  const wanting = deps
    .catalog()
    .remediations.filter((r) => r.silence)
    .map((r) => r.id);
  if (!deps.config.alertmanagerUrl) {
    if (wanting.length > 0)
      deps.log.warn(
        { remediations: wanting },
        'silence asked for but ALERTMANAGER_URL is not set: alerts will not be silenced',
      );
    return undefined;
  }
  const api = createAlertmanagerApi(deps.config.alertmanagerUrl);
  deps.log.info(
    { alertmanager: api.host, remediations: wanting },
    'Alertmanager silences while remediating: on for remediations that ask',
  );
  return attachSilencer({
    events: deps.events,
    redis: deps.redis,
    api,
    log: deps.log,
    prefix: deps.config.queuePrefix,
  });
}
