import { Type } from '@sinclair/typebox';
import { NOTIFY_ON } from '../notify/policy.js';
import { SINK_NAMES } from '../notify/sinks/index.js';
import type { NotifySinkSpec, NotifySpec } from './remediation.js';
import { NotifySchema, NotifySinkObjectSchema, type RemediationFile } from './schema.js';
import type { Push, SchemaCheck } from './steps.js';

/**
 * The `notify:` section without its per-sink values, for the file-wide schema check: each
 * sink's value is checked by {@link checkNotify}, for messages that name the sink and the key.
 */
export const NotifyShape = Type.Object(
  { ...NotifySchema.properties, sinks: Type.Optional(Type.Record(Type.String(), Type.Unknown())) },
  { additionalProperties: false },
);

/** Each `notify.sinks.<name>`: a known sink, and `true`, `false` or `{ on, mention }`. */
export function checkNotify(f: RemediationFile, push: Push, schemaProblems: SchemaCheck): void {
  const sinks: unknown = f.notify?.sinks;
  if (typeof sinks !== 'object' || sinks === null || Array.isArray(sinks)) return; // the shape check reported it
  for (const [name, value] of Object.entries(sinks as Record<string, unknown>)) {
    const where = `/notify/sinks/${name}`;
    if (!(SINK_NAMES as string[]).includes(name)) {
      push(where, `unknown sink "${name}": expected one of ${SINK_NAMES.join(', ')}`);
      continue;
    }
    if (typeof value === 'boolean') continue;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      push(where, 'expected true, false, or { on, mention }');
      continue;
    }
    const { on, ...rest } = value as { on?: unknown };
    for (const p of schemaProblems(SinkRest, rest, where)) push(p.path, p.reason);
    if (on === undefined || on === 'all') continue;
    if (!Array.isArray(on) || on.length === 0) {
      push(`${where}/on`, `expected "all" or a list of ${NOTIFY_ON.join(', ')}`);
      continue;
    }
    on.forEach((t, i) => {
      if (!(NOTIFY_ON as readonly unknown[]).includes(t))
        push(`${where}/on/${i}`, `unknown transition ${JSON.stringify(t)}: expected one of ${NOTIFY_ON.join(', ')}`);
    });
  }
}

const SinkRest = Type.Omit(NotifySinkObjectSchema, ['on'], { additionalProperties: false });

/**
 * The `notify:` section of a remediation file, normalized (already checked against its schema).
 * `true` for a sink is its defaults, `false` turns it off; the optional parts are left out when
 * the file does not have them, so a file without them normalizes as it always did.
 */
export function normalizeNotify(n: RemediationFile['notify']): NotifySpec {
  const out: NotifySpec = { channel: n?.channel, mention: n?.mention };
  if (n?.escalateOn) out.escalateOn = [...n.escalateOn];
  if (n?.sinks) {
    const sinks: Record<string, NotifySinkSpec> = {};
    for (const [name, p] of Object.entries(n.sinks)) {
      if (p === undefined) continue;
      if (typeof p === 'boolean') sinks[name] = { enabled: p };
      else
        sinks[name] = {
          enabled: true,
          ...(p.on !== undefined && { on: p.on === 'all' ? 'all' : [...p.on] }),
          ...(p.mention !== undefined && { mention: p.mention }),
        };
    }
    out.sinks = sinks;
  }
  return out;
}
