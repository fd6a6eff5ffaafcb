import type { TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { LifecycleEvent } from '../lifecycle/events.js';
import type { NotifyOn, SinkPolicy } from './policy.js';

/**
 * What a notification sink is. A sink lives in one folder (`src/notify/sinks/<name>/`) and is
 * registered with one line in `sinks/index.ts`; the generic delivery (durable, ordered per
 * episode, retried, rate-limit aware) and the preview are the same for every sink. A sink only
 * says which variables configure it, how it renders one lifecycle event into requests, and how
 * one request is sent.
 */

/** One request a sink sends, as the preview shows it. */
export interface Outgoing {
  /** What is called, in words that hold no secret: `chat.postMessage`, `POST PAGERDUTY_EVENTS_URL`. */
  endpoint: string;
  headers: Record<string, string>;
  /** The JSON body as an object, or as its exact text when the bytes matter (a signature covers them). */
  body: unknown;
}

/** What the API answered, as far as the sink needs it (Slack: the message's ts and channel). */
export type Answer = Record<string, unknown>;

/** The only way out of a sink's `deliver`: the delivery sends for real, the preview writes. */
export interface SinkIO {
  /**
   * Send one request. `key` names it within the change: when a change is retried, a request
   * whose key was already answered is not sent again and its recorded answer is returned, so
   * no message is posted twice.
   */
  call(key: string, req: Outgoing): Promise<Answer>;
}

/** One change to deliver: one lifecycle event of one episode, for one sink. */
export interface Change<State> {
  /** The episode (its fire job's id): one Slack thread, one PagerDuty dedup_key. */
  episode: string;
  /** Position of this change in the sink's chain for the episode, from 1. */
  seq: number;
  event: LifecycleEvent;
  policy: SinkPolicy;
  /** The sink's state of the episode after the change before; updated in place. */
  state: State;
  io: SinkIO;
}

/** A configured sink. */
export interface Sink<State = unknown> {
  name: string;
  /** How it sends, for logs: `web-api`, `webhook`, `events-v2`, `preview`. */
  mode: string;
  /** The state of an episode that has had no change yet. */
  initial(): State;
  /**
   * Render the change and make its calls through `io`, in order, updating `state` in place.
   * Deterministic for the same state and change: a retry makes the same calls.
   */
  deliver(change: Change<State>): Promise<void>;
  /** Send one request for real; throws the errors of src/errors.ts (rate limited, transient, permanent). */
  send(req: Outgoing): Promise<Answer>;
  /**
   * The answer the preview makes up instead of the API's (Slack: a ts), so `deliver` goes on;
   * `id` is unique per request of the episode (`<seq>.<k>`).
   */
  previewAnswer(req: Outgoing, id: string): Answer;
  /** Release what `send` holds (HTTP agents, files). */
  close?(): Promise<void>;
}

/** One environment variable of a sink. */
export interface SinkVariable {
  /** What a valid value is (a TypeBox string schema). */
  schema: TSchema;
  /** Shown in the error that names the variable. */
  hint: string;
  /** Trimmed, may come from `<NAME>_FILE`, never logged. */
  secret?: boolean;
}

/** A sink the preview writes for, with the policy filter the notifier would apply to it. */
export interface PreviewTarget {
  sink: Sink;
  /** The sink's policy for this event, or undefined when the sink would not get it. */
  wants(event: LifecycleEvent): SinkPolicy | undefined;
}

export interface SinkDeps {
  config: Config;
  log: Logger;
  /** The preview only: the sinks whose requests it writes instead of sending. */
  targets?: PreviewTarget[];
  /** The preview only: scrubs this process' secrets from what it writes. */
  scrub?: (text: string) => string;
}

/** A sink as registered: its variables, its defaults, and how to build it when it is on. */
export interface SinkDefinition<Settings = unknown> {
  name: string;
  /** One line for the README and `notifications on`. */
  title: string;
  /** Its own environment variables, validated at start by loadConfig (errors name them). */
  variables: Record<string, SinkVariable>;
  /**
   * Settings from its variables (already checked against their schemas); undefined when the
   * sink is off. Throws a ConfigError naming the variable for a bad combination.
   */
  parse(values: Readonly<Record<string, string | undefined>>): Settings | undefined;
  /** The settings in force (default: what `parse` gave, in `config.sinks[name]`). */
  settings?(config: Config): Settings | undefined;
  /** Values in its settings that must never reach a log line. */
  secrets(settings: Settings): string[];
  /**
   * The settings to preview it with when no sink is configured (NOTIFY_PREVIEW alone, `simulate
   * --notify`); sinks without one are previewed only when configured.
   */
  previewSettings?(config: Config): Settings;
  /** The transitions it gets when a remediation's `notify.sinks.<name>.on` does not say. */
  defaults: 'all' | readonly NotifyOn[];
  /** A cheap pre-filter: can this event ever make the sink send something? (Saves queuing no-ops.) */
  accepts?(event: LifecycleEvent, policy: SinkPolicy): boolean;
  /** Its delivery worker: parallel changes (of different episodes) and its own rate limit. */
  delivery?: { concurrency?: number; limiter?: { max: number; duration: number } };
  /** Build it; its I/O code is loaded only here, when it is configured. */
  create(settings: Settings, deps: SinkDeps): Promise<Sink>;
}

/** Typed registration helper (the registry holds definitions of different settings). */
export const defineSink = <S>(def: SinkDefinition<S>): SinkDefinition<S> => def;
