import type { Config } from '../../config.js';
import type { SinkDefinition, SinkVariable } from '../sink.js';
import { mattermost } from './mattermost/index.js';
import { pagerduty } from './pagerduty/index.js';
import { preview } from './preview/index.js';
import { slack } from './slack/index.js';
import { teams } from './teams/index.js';
import { webhook } from './webhook/index.js';

/**
 * Every notification sink, by name: one line each. A new sink is a folder here with an
 * `index.ts` exporting its definition (variables, defaults, `create`) and one line below;
 * configuration, the per-remediation `notify.sinks` schema, secrets in logs, delivery and the
 * preview all come from this registry.
 */
export const SINKS = {
  slack,
  webhook,
  pagerduty,
  teams,
  mattermost,
  preview,
} as const satisfies Record<string, SinkDefinition<unknown>>;

export type SinkName = keyof typeof SINKS;
export const SINK_NAMES = Object.keys(SINKS) as SinkName[];

/** Every sink's variables, as loadConfig validates them. */
export const SINK_VARIABLES: Readonly<Record<string, SinkVariable>> = Object.assign(
  {},
  ...Object.values(SINKS).map((s) => s.variables),
);

/** Each sink's settings from its validated variables (undefined: off). Throws ConfigError naming a variable. */
export function parseSinks(values: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of Object.values(SINKS) as readonly SinkDefinition<unknown>[]) {
    const settings = s.parse(values);
    if (settings !== undefined) out[s.name] = Object.freeze(settings);
  }
  return out;
}

/** A sink's settings in force, or undefined when it is off. */
export function settingsOf(def: SinkDefinition<unknown>, config: Config): unknown {
  return def.settings ? def.settings(config) : config.sinks[def.name];
}

/** Every secret value the configured sinks hold (for the logger's last pass). */
export function sinkSecrets(config: Config): string[] {
  const out: string[] = [];
  for (const s of Object.values(SINKS) as readonly SinkDefinition<unknown>[]) {
    const settings = settingsOf(s, config);
    if (settings !== undefined) out.push(...s.secrets(settings));
  }
  return out;
}
