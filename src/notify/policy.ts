import type { NotifySpec } from '../catalog/remediation.js';
import type { LifecycleEvent, LifecycleEventOf } from '../lifecycle/events.js';
import { needsHuman, TRANSITIONS, type Outcome } from '../lifecycle/outcome.js';

/**
 * Who hears about what, per remediation (its file's `notify:` section): which sinks, which
 * transitions each gets, whom a sink mentions, and which outcomes page a human. Pure; the
 * notifier asks it before queuing a change, and the sinks ask it what an escalation is.
 */

/** What `notify.sinks.<name>.on` may list: the lifecycle's transitions, and `escalation`. */
export const NOTIFY_ON = [...TRANSITIONS, 'escalation'] as const;
/** A transition name, or `escalation`: a `job.finished` after which a human is needed. */
export type NotifyOn = (typeof NOTIFY_ON)[number];

/** One sink's policy for one remediation. */
export interface SinkPolicy {
  /** `notify.sinks.<name>: false` turns the sink off for this remediation. */
  enabled: boolean;
  on: 'all' | readonly NotifyOn[];
  /** Whom this sink mentions on an escalation (its own syntax), when the file says. */
  mention: string | undefined;
}

/**
 * A sink's policy: the file's `notify.sinks.<name>` over the sink's defaults. A sink the file
 * does not list keeps its defaults: turning one off takes an explicit `false`, so leaving it out
 * never silences an escalation by accident.
 */
export function policyOf(notify: NotifySpec, sink: string, defaults: 'all' | readonly NotifyOn[]): SinkPolicy {
  const own = notify.sinks?.[sink];
  return {
    enabled: own?.enabled ?? true,
    on: own?.on ?? defaults,
    mention: own?.mention,
  };
}

/**
 * A finished job a human must look at: the lifecycle says so (retries exhausted, verification
 * failed, circuit open), or its outcome is one the remediation escalates (`notify.escalateOn`).
 */
export function escalates(e: Pick<LifecycleEventOf<'job.finished'>, 'outcome' | 'escalation' | 'data'>): boolean {
  return needsHuman(e.outcome, e.escalation) || (e.data.remediation.notify.escalateOn ?? []).includes(e.outcome);
}

/** The escalation code of a finished job: the lifecycle's, or `escalate_on` for a policy one. */
export function escalationCode(
  e: Pick<LifecycleEventOf<'job.finished'>, 'outcome' | 'escalation' | 'data'>,
): string | undefined {
  if (!escalates(e)) return undefined;
  if (e.escalation) return e.escalation;
  return needsHuman(e.outcome, undefined) ? undefined : 'escalate_on';
}

/** Does `on` take this event? */
export function takes(on: SinkPolicy['on'], event: LifecycleEvent): boolean {
  if (on === 'all' || on.includes(event.type)) return true;
  return event.type === 'job.finished' && on.includes('escalation') && escalates(event);
}

/** Outcomes `notify.escalateOn` may list (the ones that do not escalate by themselves). */
export const ESCALATE_ON: readonly Outcome[] = ['failed', 'refused', 'cooldown', 'resolved', 'skipped'];

/** What a sink registration says about filtering (its name, defaults and pre-filter). */
export interface SinkFilter {
  name: string;
  defaults: 'all' | readonly NotifyOn[];
  accepts?(event: LifecycleEvent, policy: SinkPolicy): boolean;
}

/** The sink's policy for this event when the sink gets it, else undefined. */
export function wants(sink: SinkFilter, event: LifecycleEvent): SinkPolicy | undefined {
  const policy = policyOf(event.data.remediation.notify, sink.name, sink.defaults);
  if (!policy.enabled || !takes(policy.on, event)) return undefined;
  if (sink.accepts && !sink.accepts(event, policy)) return undefined;
  return policy;
}
