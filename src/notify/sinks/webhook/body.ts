import { createHmac } from 'node:crypto';
import { primaryAction } from '../../../catalog/remediation.js';
import type { LifecycleEvent } from '../../../lifecycle/events.js';
import { escalates, escalationCode } from '../../policy.js';

/**
 * The generic webhook's JSON: one body per transition, the same shape for every transition (the
 * alert, the remediation, the episode) plus the transition's own fields as the lifecycle emitted
 * them. Pure. Version 1; fields are only ever added.
 */

/** Details above this many characters of JSON (exec output, evidence) are replaced by their size. */
export const DETAILS_MAX = 16_384;

function bounded(details: unknown): unknown {
  if (details === undefined) return undefined;
  const n = JSON.stringify(details).length;
  return n <= DETAILS_MAX ? details : { truncated: true, chars: n };
}

function boundStep<T extends { details?: unknown }>(s: T): T {
  return { ...s, details: bounded(s.details) };
}

/** The transition's own fields: everything the bus event says beyond the job's data. */
function ownFields(e: LifecycleEvent): Record<string, unknown> {
  const { type: _t, at: _a, jobId: _j, data: _d, ...rest } = e;
  const own: Record<string, unknown> = { ...rest };
  if (e.type === 'step.finished') own.record = boundStep(e.record);
  if (e.type === 'job.finished') {
    own.result = e.result && {
      ...e.result,
      details: bounded(e.result.details),
      steps: e.result.steps.map(boundStep),
    };
    own.escalates = escalates(e);
    own.escalation = escalationCode(e);
  }
  return own;
}

export function webhookBody(e: LifecycleEvent, episode: string, idempotencyKey: string): Record<string, unknown> {
  const d = e.data;
  return {
    version: 1,
    idempotencyKey,
    transition: e.type,
    at: new Date(e.at).toISOString(),
    episode,
    jobId: e.jobId,
    phase: d.phase,
    host: d.host,
    remediation: {
      id: d.remediation.id,
      hash: d.remediation.hash,
      action: primaryAction(d.remediation, d.phase),
      dryRun: d.remediation.dryRun,
    },
    alert: {
      alertname: d.alert.labels.alertname ?? '',
      status: d.alert.status,
      fingerprint: d.alert.fingerprint,
      startsAt: d.alert.startsAt,
      endsAt: d.alert.endsAt,
      generatorURL: d.alert.generatorURL,
      labels: d.alert.labels,
      annotations: d.alert.annotations,
    },
    ...ownFields(e),
  };
}

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the shared secret. */
export function signature(secret: string, raw: string): string {
  return `sha256=${createHmac('sha256', secret).update(raw, 'utf8').digest('hex')}`;
}
