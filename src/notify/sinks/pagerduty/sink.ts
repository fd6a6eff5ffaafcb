import { SinkPermanentError } from '../../../errors.js';
import { excerpt, postJson } from '../../http.js';
import { escalates } from '../../policy.js';
import type { Change, Outgoing, Sink } from '../../sink.js';
import { dedupKey, resolveBody, triggerBody } from './event.js';
import type { PagerDutySettings } from './index.js';

/**
 * The PagerDuty sink. Its state of an episode says whether an incident is open, so `resolve`
 * is sent only for an episode that paged, once. An escalation of the fire job that comes after
 * its alert already resolved pages nobody (the thread and the webhook still say it); one of the
 * onResolved action does (the alert is gone, but what remediator left behind needs a human).
 */
export interface PagerDutyState {
  open: boolean;
  alertResolved: boolean;
}

const ENDPOINT = 'POST PAGERDUTY_EVENTS_URL';

export function createPagerDutySink(settings: PagerDutySettings): Sink<PagerDutyState> {
  async function deliver({ episode, event, state, io }: Change<PagerDutyState>): Promise<void> {
    if (event.type === 'job.finished' && escalates(event)) {
      if (state.alertResolved && event.data.phase === 'fire') return;
      const req: Outgoing = { endpoint: ENDPOINT, headers: {}, body: triggerBody(settings.routingKey, episode, event) };
      await io.call('trigger', req);
      state.open = true;
    }
    if (event.type === 'alert.resolved') {
      if (state.open)
        await io.call('resolve', { endpoint: ENDPOINT, headers: {}, body: resolveBody(settings.routingKey, episode) });
      state.open = false;
      state.alertResolved = true;
    }
  }
  return {
    name: 'pagerduty',
    mode: 'events-v2',
    initial: () => ({ open: false, alertResolved: false }),
    deliver,
    async send(req) {
      const res = await postJson(settings.eventsUrl, req, 'PagerDuty');
      // 202 {status:"success", dedup_key}: anything else accepted is not what the API documents.
      const body = res.json as { status?: unknown; dedup_key?: unknown } | undefined;
      if (body?.status !== 'success')
        throw new SinkPermanentError(
          'unexpected_answer',
          `PagerDuty: answered HTTP ${res.status} without success (${excerpt(res.text)})`,
        );
      return { status: res.status, dedup_key: body.dedup_key };
    },
    previewAnswer: (req) => ({
      status: 'success',
      dedup_key: dedupKey(String((req.body as { dedup_key?: unknown }).dedup_key ?? '')),
    }),
  };
}
