import { Type, type Static } from '@sinclair/typebox';

/**
 * The effectiveness report: what `GET /api/v1/stats`, `remediator report --json` and the /ui
 * page answer. Schema first: the route serializes with it and the types come from it.
 */

const Nullable = <T extends ReturnType<typeof Type.Number>>(t: T) => Type.Union([t, Type.Null()]);
const Count = Type.Integer({ minimum: 0 });
/** A share from 0 to 1; null when there is nothing to divide by. */
const Rate = Nullable(Type.Number({ minimum: 0, maximum: 1 }));

export const TimingSchema = Type.Object({
  count: Count,
  meanMs: Nullable(Type.Number()),
  minMs: Nullable(Type.Number()),
  maxMs: Nullable(Type.Number()),
  /** Upper bound of the histogram bucket the median falls in (capped at maxMs). */
  p50Ms: Nullable(Type.Number()),
  p90Ms: Nullable(Type.Number()),
  /** Fixed buckets: how many took at most `leMs` (and more than the bucket before); null = above all. */
  buckets: Type.Array(Type.Object({ leMs: Nullable(Type.Number()), count: Count })),
});

const Verifications = Type.Object({ run: Count, passed: Count, passRate: Rate });
const Recurrence = Type.Object({ count: Count, rate: Rate });

export const EffectRowSchema = Type.Object({
  /** Set on per-remediation rows. */
  remediation: Type.Optional(Type.String()),
  /** Set on per-host rows. */
  host: Type.Optional(Type.String()),
  /** Episodes that ended (every outcome). */
  runs: Count,
  /** Episodes in which remediator made a Docker call. */
  acted: Count,
  succeeded: Count,
  /** succeeded / acted. */
  successRate: Rate,
  outcomes: Type.Record(Type.String(), Count),
  escalations: Count,
  /** escalations / runs. */
  escalationRate: Rate,
  escalationReasons: Type.Record(Type.String(), Count),
  cooldown: Count,
  circuitOpen: Count,
  skipped: Count,
  verifications: Verifications,
  /** Successes followed by a new episode of the same alert within 1 h / 24 h (rate: of succeeded). */
  recurrence: Type.Object({ within1h: Recurrence, within24h: Recurrence }),
  /** Firing (startsAt) to the first Docker action. */
  timeToFirstAction: TimingSchema,
  /** Firing to the fixing step's verification passed (succeeded episodes). */
  timeToVerified: TimingSchema,
  /** Firing to resolved (Alertmanager's endsAt): MTTR. */
  timeToResolve: TimingSchema,
});

export const StepRowSchema = Type.Object({
  remediation: Type.String(),
  step: Type.String(),
  runs: Count,
  outcomes: Type.Record(Type.String(), Count),
  succeeded: Count,
  failed: Count,
  skipped: Count,
  /** succeeded / (succeeded + failed). */
  successRate: Rate,
  verifications: Verifications,
  duration: TimingSchema,
});

export const StatsReportSchema = Type.Object({
  /** The span asked for (ISO). */
  since: Type.String(),
  until: Type.String(),
  /** Where the figures really start: since rounded down to its hour (to its day for spans over 48 h). */
  coveredFrom: Type.String(),
  filter: Type.Object({ remediation: Type.Optional(Type.String()), host: Type.Optional(Type.String()) }),
  total: EffectRowSchema,
  remediations: Type.Array(EffectRowSchema),
  hosts: Type.Array(EffectRowSchema),
  steps: Type.Array(StepRowSchema),
});

export type Timing = Static<typeof TimingSchema>;
export type EffectRow = Static<typeof EffectRowSchema>;
export type StepRow = Static<typeof StepRowSchema>;
export type StatsReport = Static<typeof StatsReportSchema>;
