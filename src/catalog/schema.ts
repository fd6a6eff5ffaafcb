import { Type, type Static } from '@sinclair/typebox';
import { ActionSchema } from '../actions/index.js';
import { ESCALATE_ON, NOTIFY_ON } from '../notify/policy.js';
import { SINK_NAMES } from '../notify/sinks/index.js';

/**
 * The remediation file format (remediations/<id>.yaml). Unknown keys are errors, so a typo
 * such as `cooldwon` stops the start instead of silently dropping a guard.
 */

/** "30s", "5m", "1h", "250ms", "2d", or a number of seconds. */
export const Duration = Type.Union([Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$' }), Type.Integer({ minimum: 0 })]);

const Template = Type.String({ minLength: 1, maxLength: 256 });

export const TargetSchema = Type.Object(
  {
    /**
     * The Docker host to act on, e.g. "{{ labels.instance | host }}" (a name from HOSTS_FILE);
     * absent: the default host.
     */
    host: Type.Optional(Template),
    /** A container by name, e.g. "{{ labels.container }}". */
    container: Type.Optional(Template),
    /** A Compose service, e.g. "{{ labels.service }}" (label com.docker.compose.service). */
    service: Type.Optional(Template),
    /** The Compose project, to tell apart services of the same name. */
    project: Type.Optional(Template),
    /** Any other label selector; values may be templates. */
    labels: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' }), Template)),
    /** Containers that carry this label, whatever its value (e.g. one declaring a cleanup command). */
    withLabel: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', maxLength: 256 })),
    /** A Swarm service by name: scale and rollback go through the Swarm API. */
    swarmService: Type.Optional(Template),
    /** Refuse when the selector matches more containers than this. */
    maxContainers: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    /**
     * Refuse when fewer opted-in containers than this match (blast radius: an empty set where
     * targets are expected). Default 1, and 0 for `withLabel` (every container that declares X
     * may be none).
     */
    minContainers: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    /**
     * Disruptive actions on a Compose service's replicas wait while fewer than this many of its
     * replicas would stay healthy: a count (2) or a share of its replicas ("50%").
     */
    minHealthy: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: 1000 }), Type.String({ pattern: '^[0-9]{1,3}%$' })]),
    ),
  },
  { additionalProperties: false },
);

export const RetrySchema = Type.Object(
  {
    attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
    backoff: Type.Optional(Duration),
    maxBackoff: Type.Optional(Duration),
    /** Share of the delay randomised, 0 to 1. */
    jitter: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);

export const VerifySchema = Type.Object(
  {
    /** The target must be running again (default true). */
    running: Type.Optional(Type.Boolean()),
    /** And healthy, when it has a health check (default true). */
    healthy: Type.Optional(Type.Boolean()),
    within: Type.Optional(Duration),
    /**
     * PromQL that must come back empty or all true within `queryWithin` (needs PROMETHEUS_URL).
     * `{{ labels.X }}` may appear inside a double-quoted string; the value is escaped.
     */
    query: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    /** How long the query may take to hold (default: `within` when given, else 2m). */
    queryWithin: Type.Optional(Duration),
  },
  { additionalProperties: false },
);

/**
 * A human approves the step before it acts: `true`, `false` (never, whatever the policy), or
 * `{ timeout: 30m }` (how long it waits for an answer before it escalates). Unset: the policy
 * decides (recreate, rollback, prune with volumes, many containers).
 */
export const ApproveSchema = Type.Union([
  Type.Boolean(),
  Type.Object({ timeout: Type.Optional(Duration) }, { additionalProperties: false }),
]);

/** When a step runs, once the runbook reaches it. */
export const WhenSchema = Type.Union([
  Type.Literal('always'),
  /** The alert still fires (Alertmanager's API, or the resolved marker without ALERTMANAGER_URL). */
  Type.Literal('still_firing'),
  /** The step before it (the last one that ran) failed. */
  Type.Literal('previous_failed'),
  /** A PromQL query returns at least one true/non-zero series (needs PROMETHEUS_URL). */
  Type.Object({ query: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
]);

export const StepSchema = Type.Object(
  {
    /** Shown in the history and Slack; default "step-N". Letters, digits, _ . - */
    name: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' })),
    action: ActionSchema,
    /** The file's target unless given. */
    target: Type.Optional(TargetSchema),
    /** The file's `verify` unless given; `false` for none. */
    verify: Type.Optional(Type.Union([VerifySchema, Type.Literal(false)])),
    when: Type.Optional(WhenSchema),
    /** How long the action may run before it is stopped (a failed attempt). */
    timeout: Type.Optional(Duration),
    retry: Type.Optional(RetrySchema),
    /** next: try the next step; abort: fail now and escalate; continue: record and go on. */
    onFailure: Type.Optional(Type.Union([Type.Literal('next'), Type.Literal('abort'), Type.Literal('continue')])),
    /** stop: a passed step ends the runbook (default with a verify); next: go on (default without). */
    onSuccess: Type.Optional(Type.Union([Type.Literal('stop'), Type.Literal('next')])),
    approve: Type.Optional(ApproveSchema),
  },
  { additionalProperties: false },
);

export const GuardsSchema = Type.Object(
  {
    cooldown: Type.Optional(Duration),
    budget: Type.Optional(
      Type.Object(
        { runs: Type.Integer({ minimum: 1, maximum: 1000 }), window: Duration },
        { additionalProperties: false },
      ),
    ),
    /**
     * A fix that does not hold opens the circuit sooner: when more than `maxRate` of this
     * remediation's successes on a host in the last `window` (default 24h) were followed by a
     * new episode of the same alert within `within`, and there were at least `minRuns` of them,
     * the circuit opens for `openFor` (default 1h) and the escalation says why.
     */
    recurrence: Type.Optional(
      Type.Object(
        {
          within: Duration,
          maxRate: Type.Number({ minimum: 0, maximum: 1 }),
          minRuns: Type.Integer({ minimum: 1, maximum: 1000 }),
          window: Type.Optional(Duration),
          openFor: Type.Optional(Duration),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const NotifyOnSchema = Type.Union(
  NOTIFY_ON.map((t) => Type.Literal(t)),
  { description: `expected one of ${NOTIFY_ON.join(', ')}` },
);

/** One sink's policy as an object: which transitions, whom to mention. */
export const NotifySinkObjectSchema = Type.Object(
  {
    /** `all`, or a list of transitions (`escalation`: a finished job a human must look at). */
    on: Type.Optional(
      Type.Union([Type.Literal('all'), Type.Array(NotifyOnSchema, { minItems: 1, maxItems: NOTIFY_ON.length })], {
        description: `expected "all" or a list of ${NOTIFY_ON.join(', ')}`,
      }),
    ),
    /** Whom this sink mentions on an escalation, in its own syntax (Slack <!subteam^ID>, Mattermost @here, a Teams UPN). */
    mention: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\n]*$' })),
  },
  { additionalProperties: false },
);

/** One sink's policy: `false` (off), `true` (its defaults), or which transitions and whom to mention. */
export const NotifySinkSchema = Type.Union([Type.Boolean(), NotifySinkObjectSchema], {
  description: 'expected true, false, or { on, mention }',
});

export const NotifySchema = Type.Object(
  {
    /** Slack channel (SLACK_CHANNEL otherwise). */
    channel: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
    /** Slack handle mentioned on an escalation. */
    mention: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
    /** Outcomes that also escalate (mention, PagerDuty incident) beyond escalated and circuit_open. */
    escalateOn: Type.Optional(
      Type.Array(
        Type.Union(
          ESCALATE_ON.map((o) => Type.Literal(o)),
          { description: `expected one of ${ESCALATE_ON.join(', ')}` },
        ),
        { minItems: 1, maxItems: ESCALATE_ON.length },
      ),
    ),
    /** Per sink: off, which transitions, whom to mention. A sink not listed keeps its defaults. */
    sinks: Type.Optional(
      Type.Object(Object.fromEntries(SINK_NAMES.map((n) => [n, Type.Optional(NotifySinkSchema)])), {
        additionalProperties: false,
      }),
    ),
  },
  { additionalProperties: false },
);

/**
 * Opt-in: while the action runs, silence the alert in Alertmanager (API v2) for its exact
 * labels, so nobody is paged for what is being fixed; expired as soon as the outcome is known
 * and never longer than maxDuration (default 30m). Needs ALERTMANAGER_URL.
 */
export const SilenceSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    maxDuration: Type.Optional(Duration),
  },
  { additionalProperties: false },
);

export const RemediationFileSchema = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    /** Alertmanager matchers: a list of `name="value"` strings, or one `{a="b", c=~"d"}` string. */
    match: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })]),
    target: Type.Optional(TargetSchema),
    /** One action: a one-step runbook. */
    action: Type.Optional(ActionSchema),
    /** Or an ordered runbook: each step acts, is verified, and says what happens next. */
    steps: Type.Optional(Type.Array(StepSchema, { maxItems: 20 })),
    delay: Type.Optional(Duration),
    retry: Type.Optional(RetrySchema),
    verify: Type.Optional(VerifySchema),
    guards: Type.Optional(GuardsSchema),
    /**
     * An action to run when the alert resolves (e.g. scale back); its target is the file's.
     * Either the action itself, or `{ action, after: 5m }`: run it only if the episode is still
     * resolved then (a re-fire of the alert cancels it), so an undo does not flap.
     */
    onResolved: Type.Optional(
      Type.Union([
        ActionSchema,
        Type.Object({ action: ActionSchema, after: Duration }, { additionalProperties: false }),
      ]),
    ),
    /** Approval for the `action:` form, and the default of every step (see ApproveSchema). */
    approve: Type.Optional(ApproveSchema),
    notify: Type.Optional(NotifySchema),
    dryRun: Type.Optional(Type.Boolean()),
    silence: Type.Optional(SilenceSchema),
  },
  { additionalProperties: false },
);

export type RemediationFile = Static<typeof RemediationFileSchema>;
export type TargetSpec = Static<typeof TargetSchema>;
export type StepFile = Static<typeof StepSchema>;
export type WhenFile = Static<typeof WhenSchema>;
export type VerifyFile = Static<typeof VerifySchema>;
export type RetryFile = Static<typeof RetrySchema>;
export type ApproveFile = Static<typeof ApproveSchema>;

/** Parse a Duration to milliseconds. */
export function durationMs(d: string | number | undefined, fallbackMs: number): number {
  if (d === undefined) return fallbackMs;
  if (typeof d === 'number') return d * 1000;
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return n * unit;
}
