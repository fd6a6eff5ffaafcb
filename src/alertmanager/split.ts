// Alertmanager treats any 4xx as final and drops the whole notification, every alert of the
// group with it (fixtures/alertmanager-0.25/README.md). So a delivery is validated in two
// layers: the envelope, without which no alert can be read (a 400), and then each alert on its
// own, so that one malformed or oversized alert is refused alone and the others go on.
// Pure (no I/O, no logging), so `simulate` can show the very split the webhook makes.
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { InvalidPayloadError } from '../errors.js';
import {
  AlertSchema,
  EnvelopeSchema,
  FINGERPRINT_PATTERN,
  GroupFields,
  MAX_ALERTS,
  type Alert,
  type WebhookPayload,
} from './schema.js';

/** Why an alert (or a group field) was refused; a bounded set, used as a metric label. */
export type RefusalReason = 'schema' | 'too_large';

/** One alert of the body that was refused, and why. Refusals are final: a retry cannot help. */
export interface RefusedAlert {
  /** Its position in the body's `alerts` array. */
  index: number;
  /** Its fingerprint, when it carries a well-formed one (absent otherwise). */
  fingerprint?: string;
  /** Its `alertname` label, when that is a short string (absent otherwise). */
  alertname?: string;
  /** JSON pointer into the alert of the first problem, e.g. `/labels/detail`; `` is the alert itself. */
  field: string;
  reason: RefusalReason;
  /** The problem in words; never the offending value. */
  message: string;
}

/** A group field (e.g. `groupKey`) that was invalid and left out; the alerts go on without it. */
export interface IgnoredField {
  /** JSON pointer from the body, e.g. `/groupKey` or `/commonLabels/x`. */
  field: string;
  reason: RefusalReason;
  message: string;
}

/** What {@link splitAlerts} returns: the valid part of a delivery, and what was left out. */
export interface SplitAlerts {
  /** The envelope, the valid group fields, and only the well-formed alerts (in body order). */
  payload: WebhookPayload;
  refused: RefusedAlert[];
  ignored: IgnoredField[];
}

const envelope = TypeCompiler.Compile(EnvelopeSchema);
const alertCheck = TypeCompiler.Compile(AlertSchema);
const groupChecks = Object.entries(GroupFields).map(
  ([name, schema]) => [name, TypeCompiler.Compile(schema as TSchema)] as [string, TypeCheck<TSchema>],
);
const FINGERPRINT = new RegExp(FINGERPRINT_PATTERN);
const TOO_LARGE = new Set([
  ValueErrorType.StringMaxLength,
  ValueErrorType.ObjectMaxProperties,
  ValueErrorType.ArrayMaxItems,
]);

const reasonOf = (e: ValueError | undefined): RefusalReason =>
  e !== undefined && TOO_LARGE.has(e.type) ? 'too_large' : 'schema';

/** The problem in words: TypeBox's message, lower-cased, with the size that was too large. */
function describe(e: ValueError | undefined): string {
  if (e === undefined) return 'invalid';
  if (e.type === ValueErrorType.Union && e.path.endsWith('/status')) return 'expected "firing" or "resolved"';
  const message = e.message.replace(/^Expected/, 'expected');
  const v = e.value;
  if (e.type === ValueErrorType.StringMaxLength && typeof v === 'string') return `${message} (got ${v.length})`;
  if (e.type === ValueErrorType.ObjectMaxProperties && typeof v === 'object' && v !== null)
    return `${message} (got ${Object.keys(v).length})`;
  return message;
}

function envelopeMessage(e: ValueError | undefined): string {
  if (e === undefined || e.path === '') return 'expected a JSON object (an Alertmanager webhook payload, version "4")';
  if (e.type === ValueErrorType.ArrayMaxItems && Array.isArray(e.value))
    return `expected at most ${MAX_ALERTS} alerts (got ${e.value.length}); lower max_alerts in Alertmanager's webhook_config`;
  return describe(e);
}

function refusal(value: unknown, index: number): RefusedAlert {
  const first = alertCheck.Errors(value).First();
  const refused: RefusedAlert = { index, field: first?.path ?? '', reason: reasonOf(first), message: describe(first) };
  if (typeof value === 'object' && value !== null) {
    const { fingerprint, labels } = value as { fingerprint?: unknown; labels?: unknown };
    if (typeof fingerprint === 'string' && FINGERPRINT.test(fingerprint)) refused.fingerprint = fingerprint;
    const alertname =
      typeof labels === 'object' && labels !== null ? (labels as Record<string, unknown>).alertname : '';
    if (typeof alertname === 'string' && alertname.length > 0 && alertname.length <= 256) refused.alertname = alertname;
  }
  return refused;
}

/**
 * Split a parsed webhook body into the alerts that can be handled and those that cannot.
 * Throws {@link InvalidPayloadError} (a 400, exit 1 in the CLI) only for a body that can never
 * be valid: not an object, no `alerts` array (or more than {@link MAX_ALERTS}), a version other
 * than "4", no valid `status`. Unknown fields are accepted (and not carried on); an invalid
 * group field is left out and listed in `ignored`.
 */
export function splitAlerts(body: unknown, source = 'body'): SplitAlerts {
  if (!envelope.Check(body)) {
    const first = envelope.Errors(body).First();
    throw new InvalidPayloadError(source, first?.path ?? '', envelopeMessage(first));
  }
  const b = body as Static<typeof EnvelopeSchema> & Record<string, unknown>;
  const group: Record<string, unknown> = {};
  const ignored: IgnoredField[] = [];
  for (const [name, check] of groupChecks) {
    const value = b[name];
    if (value === undefined) continue;
    if (check.Check(value)) {
      group[name] = value;
      continue;
    }
    const first = check.Errors(value).First();
    ignored.push({ field: `/${name}${first?.path ?? ''}`, reason: reasonOf(first), message: describe(first) });
  }
  const alerts: Alert[] = [];
  const refused: RefusedAlert[] = [];
  b.alerts.forEach((value, index) => {
    if (alertCheck.Check(value)) alerts.push(value);
    else refused.push(refusal(value, index));
  });
  const payload = { ...group, version: b.version, status: b.status, alerts } as WebhookPayload;
  return { payload, refused, ignored };
}
