// A local server answering as PagerDuty's Events API v2 does (POST /v2/enqueue): 202
// {status:"success", message:"Event processed", dedup_key} for a valid event, 400 {status:"invalid
// event", errors:[...]} for a bad one (wrong routing key shape, unknown action or severity, missing
// summary/source/severity, over-long fields), and scripted 429/5xx. It keeps the alerts an
// integration would have: triggered by dedup_key, resolved by a later resolve.
import { startFakeServer, type FakeServer } from './fake-http.js';

const ACTIONS = ['trigger', 'acknowledge', 'resolve'];
const SEVERITIES = ['critical', 'error', 'warning', 'info'];

export interface FakePagerDuty extends FakeServer {
  routingKey: string;
  /** Events accepted, as sent. */
  events(): { event_action: string; dedup_key: string; payload?: any; routing_key: string }[];
  /** Alerts by dedup_key: open until a resolve for the same key and routing key arrives. */
  alerts: Map<string, 'triggered' | 'resolved'>;
}

/** Why PagerDuty would refuse this event, or undefined when it takes it. */
export function invalidEvent(e: any, routingKey: string): string[] {
  const errors: string[] = [];
  if (typeof e !== 'object' || e === null) return ['Event object is invalid'];
  if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32) errors.push("'routing_key' is invalid");
  if (!ACTIONS.includes(e.event_action)) errors.push("'event_action' is missing or invalid");
  if (e.dedup_key !== undefined && (typeof e.dedup_key !== 'string' || e.dedup_key.length > 255))
    errors.push("'dedup_key' is invalid");
  if (e.event_action === 'trigger') {
    const p = e.payload;
    if (typeof p?.summary !== 'string' || p.summary.length === 0 || p.summary.length > 1024)
      errors.push("'payload.summary' is missing or invalid");
    if (typeof p?.source !== 'string' || p.source.length === 0) errors.push("'payload.source' is missing or invalid");
    if (!SEVERITIES.includes(p?.severity)) errors.push("'payload.severity' is missing or invalid");
    if (p?.timestamp !== undefined && Number.isNaN(Date.parse(p.timestamp)))
      errors.push("'payload.timestamp' is invalid");
    for (const l of e.links ?? []) if (typeof l?.href !== 'string') errors.push("'links.href' is missing");
  } else if (typeof e.dedup_key !== 'string') errors.push("'dedup_key' is required for " + e.event_action);
  // A key of the right shape that is not this integration's is accepted (and dropped) by PagerDuty.
  void routingKey;
  return errors;
}

export async function startFakePagerDuty(routingKey = 'R0UT1NGKEY0123456789abcdefabcdef'): Promise<FakePagerDuty> {
  const alerts = new Map<string, 'triggered' | 'resolved'>();
  let n = 0;
  const server = await startFakeServer('v2/enqueue', (call) => {
    const errors = invalidEvent(call.json, routingKey);
    if (!String(call.headers['content-type'] ?? '').startsWith('application/json'))
      errors.push('Content-Type must be application/json');
    if (errors.length > 0)
      return {
        status: 400,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'invalid event', message: 'Event object is invalid', errors }),
      };
    const e = call.json;
    const key: string = e.dedup_key ?? `generated-${++n}`;
    if (e.routing_key === routingKey) {
      if (e.event_action === 'trigger') alerts.set(key, 'triggered');
      if (e.event_action === 'resolve' && alerts.get(key) === 'triggered') alerts.set(key, 'resolved');
    }
    return {
      status: 202,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: key }),
    };
  });
  return {
    ...server,
    routingKey,
    alerts,
    events: () => server.accepted().map((c) => c.json),
  };
}
