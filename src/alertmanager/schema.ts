import { FormatRegistry, Type, type Static } from '@sinclair/typebox';

// TypeBox's checker (the webhook's per-alert split, simulate, tests) knows no formats by itself.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
if (!FormatRegistry.Has('date-time'))
  FormatRegistry.Set('date-time', (v) => RFC3339.test(v) && !Number.isNaN(Date.parse(v)));

/**
 * Alertmanager webhook payload, version "4" (captured from Alertmanager 0.25, see
 * test/fixtures/alertmanager-0.25). Unknown extra fields are accepted so a newer Alertmanager
 * does not break delivery; only what remediator relies on is required.
 */

// Label and annotation maps: string values only, bounded so one alert cannot hold the process.
const StringMap = (maxValue: number) =>
  Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: maxValue }), { maxProperties: 128 });

export const LabelSet = StringMap(4096);

/** Alertmanager's fingerprint is 16 hex digits; it ends up in job ids, which may not hold ':'. */
export const FINGERPRINT_PATTERN = '^[0-9A-Za-z_-]{1,64}$';

/** The most alerts one delivery may carry (README: `max_alerts: 100` keeps bodies far below). */
export const MAX_ALERTS = 1000;

const Status = Type.Union([Type.Literal('firing'), Type.Literal('resolved')]);

export const AlertSchema = Type.Object(
  {
    status: Status,
    labels: LabelSet,
    annotations: Type.Optional(StringMap(16_384)),
    startsAt: Type.String({ format: 'date-time' }),
    endsAt: Type.Optional(Type.String()),
    generatorURL: Type.Optional(Type.String({ maxLength: 8192 })),
    fingerprint: Type.String({ pattern: FINGERPRINT_PATTERN }),
  },
  { additionalProperties: true },
);

/**
 * What the group carries besides its alerts. Informational: remediator keeps them on the jobs
 * (links in notifications) but decides nothing from them, so a bad one is dropped, not refused.
 */
export const GroupFields = {
  receiver: Type.Optional(Type.String({ maxLength: 1024 })),
  groupLabels: Type.Optional(StringMap(4096)),
  commonLabels: Type.Optional(StringMap(4096)),
  commonAnnotations: Type.Optional(StringMap(16_384)),
  externalURL: Type.Optional(Type.String({ maxLength: 2048 })),
  groupKey: Type.Optional(Type.String({ maxLength: 16_384 })),
  truncatedAlerts: Type.Optional(Type.Integer({ minimum: 0 })),
};

/**
 * The part of a delivery without which no alert in it can be read: a version "4" object with
 * a status and an array of at most {@link MAX_ALERTS} alerts (each checked on its own).
 */
export const EnvelopeSchema = Type.Object(
  {
    version: Type.Literal('4'),
    status: Status,
    alerts: Type.Array(Type.Unknown(), { maxItems: MAX_ALERTS }),
  },
  { additionalProperties: true },
);

/** A whole delivery whose every part is valid (the shape `splitAlerts` hands on). */
export const WebhookPayloadSchema = Type.Object(
  {
    version: Type.Literal('4'),
    status: Status,
    alerts: Type.Array(AlertSchema, { maxItems: MAX_ALERTS }),
    ...GroupFields,
  },
  { additionalProperties: true },
);

/** One alert as Alertmanager sends it. */
export type Alert = Static<typeof AlertSchema>;
/** A whole webhook delivery (one alert group). */
export type WebhookPayload = Static<typeof WebhookPayloadSchema>;
