import { FormatRegistry, Type, type Static } from '@sinclair/typebox';

// Fastify's Ajv knows date-time; TypeBox's own checker (simulate, tests) needs it registered.
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

export const AlertSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    labels: LabelSet,
    annotations: Type.Optional(StringMap(16_384)),
    startsAt: Type.String({ format: 'date-time' }),
    endsAt: Type.Optional(Type.String()),
    generatorURL: Type.Optional(Type.String({ maxLength: 8192 })),
    // Alertmanager's fingerprint is 16 hex digits; it ends up in job ids, which may not hold ':'.
    fingerprint: Type.String({ pattern: '^[0-9A-Za-z_-]{1,64}$' }),
  },
  { additionalProperties: true },
);

export const WebhookPayloadSchema = Type.Object(
  {
    version: Type.Literal('4'),
    receiver: Type.Optional(Type.String({ maxLength: 1024 })),
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    alerts: Type.Array(AlertSchema, { maxItems: 1000 }),
    groupLabels: Type.Optional(StringMap(4096)),
    commonLabels: Type.Optional(StringMap(4096)),
    commonAnnotations: Type.Optional(StringMap(16_384)),
    externalURL: Type.Optional(Type.String({ maxLength: 2048 })),
    groupKey: Type.Optional(Type.String({ maxLength: 16_384 })),
    truncatedAlerts: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: true },
);

/** One alert as Alertmanager sends it. */
export type Alert = Static<typeof AlertSchema>;
/** A whole webhook delivery (one alert group). */
export type WebhookPayload = Static<typeof WebhookPayloadSchema>;
