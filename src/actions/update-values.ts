/**
 * The arithmetic of `update`, pure: a file's value (absolute, or a factor of the current value
 * within min..max) becomes Docker's units; memory swap follows memory as Docker needs it; and
 * the "unset" values Docker cannot write back (0 means "unchanged" in an update) get their
 * equivalents for a restore. Unit-tested without a daemon.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { ResourceLimits, ResourceUpdate } from '../docker/port.js';

/** A size: bytes, or a string with Docker's units (`512m`, `1g`, `1.5GiB`). */
export const Size = Type.Union(
  [Type.Integer({ minimum: 1 }), Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?\\s*([kKmMgGtT](i?[bB])?|[bB])?$' })],
  { description: 'a size: bytes, or a number with a unit such as "256m" or "1g"' },
);

/** `v`, or `{ factor, min, max }`: the current value times factor, kept within min..max. */
export function bounded<T extends TSchema>(value: T) {
  return Type.Union(
    [
      value,
      Type.Object(
        {
          /** 0.5 halves, 1.5 grows by half; on an unlimited value a factor below 1 gives `max`. */
          factor: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
          min: value,
          max: value,
        },
        { additionalProperties: false },
      ),
    ],
    { description: 'a value, or { factor, min, max } (the current value times factor, within min..max)' },
  );
}

export type Bounded<V> = V | { factor: number; min: V; max: V };

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Bytes of a size (Docker's units are binary: 1m = 1 MiB). */
export function bytesOf(size: number | string): number {
  if (typeof size === 'number') return size;
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)/i.exec(size.trim());
  if (!m) throw new Error(`not a size: ${size}`);
  return Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}

/** `512MiB`, `1.5GiB`, `unlimited`: for a human. */
export function formatBytes(n: number): string {
  if (n <= 0) return 'unlimited';
  for (const [u, f] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (n >= f) return `${Number((n / f).toFixed(2))}${u}`;
  }
  return `${n}B`;
}

/** The numeric fields `update` can change, with how to read a file value and show one. */
export const FIELDS = {
  cpus: {
    limit: 'nanoCpus',
    parse: (v: number) => Math.round(v * 1e9),
    show: (n: number) => (n > 0 ? `${n / 1e9}` : 'unlimited'),
  },
  cpuShares: { limit: 'cpuShares', parse: (v: number) => v, show: (n: number) => (n > 0 ? `${n}` : 'default') },
  cpuQuota: { limit: 'cpuQuota', parse: (v: number) => v, show: (n: number) => (n > 0 ? `${n}us` : 'unlimited') },
  cpuPeriod: { limit: 'cpuPeriod', parse: (v: number) => v, show: (n: number) => (n > 0 ? `${n}us` : 'default') },
  memory: { limit: 'memory', parse: bytesOf, show: formatBytes },
  memorySwap: { limit: 'memorySwap', parse: bytesOf, show: formatBytes },
  memoryReservation: { limit: 'memoryReservation', parse: bytesOf, show: formatBytes },
  pidsLimit: { limit: 'pidsLimit', parse: (v: number) => v, show: (n: number) => (n > 0 ? `${n}` : 'unlimited') },
} as const satisfies Record<
  string,
  { limit: keyof ResourceLimits; parse: (v: never) => number; show: (n: number) => string }
>;

export type FieldName = keyof typeof FIELDS;
export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

/** The file's ask for one field, in Docker's units. */
export type Ask = { to: number } | { factor: number; min: number; max: number };

export function askOf(field: FieldName, v: Bounded<number | string>): Ask {
  const parse = FIELDS[field].parse as (x: number | string) => number;
  if (typeof v === 'object') return { factor: v.factor, min: parse(v.min), max: parse(v.max) };
  return { to: parse(v) };
}

/** The value wanted for a field now; undefined when a factor leaves an unlimited value as it is. */
export function wanted(ask: Ask, current: number): number | undefined {
  if ('to' in ask) return ask.to;
  if (current <= 0) return ask.factor < 1 ? ask.max : undefined;
  return Math.min(ask.max, Math.max(ask.min, Math.round(current * ask.factor)));
}

/**
 * Docker refuses a memory limit above the current swap limit unless the swap changes with it.
 * Keep the swap room the container had; without a finite one, Docker's own default at create
 * (twice the memory). Never -1: on the engines tested (cgroup v1) Docker stores an unlimited
 * swap but the kernel keeps the old one, and a larger memory limit then fails.
 */
export function swapFor(newMemory: number, current: ResourceLimits): number {
  if (current.memorySwap > 0 && current.memory > 0) return newMemory + Math.max(0, current.memorySwap - current.memory);
  return newMemory * 2;
}

/**
 * What to send to put a recorded value back. Docker's update reads 0 as "unchanged", so an
 * unset original gets what has the same effect: the engine's CPUs and memory, -1 (unlimited),
 * the kernel defaults (1024 shares, a 100 ms period). An unset swap gives 0: the caller sets
 * it from the memory restored, as a finite value.
 */
export function restoreValue(
  limit: Exclude<keyof ResourceLimits, 'restartPolicy'>,
  original: number,
  engine: { cpus: number; memoryBytes: number },
): number {
  if (original > 0) return original;
  switch (limit) {
    case 'nanoCpus':
      return engine.cpus * 1e9;
    case 'memory':
      return engine.memoryBytes;
    case 'cpuShares':
      return 1024;
    case 'cpuPeriod':
      return 100_000;
    case 'memorySwap':
      return 0; // follows memory: the caller derives it (swapFor), never -1
    default:
      return -1; // cpuQuota, memoryReservation, pidsLimit: unlimited
  }
}

/** "cpus 1 -> 0.5, memory 256MiB -> 128MiB" for the fields a change touches. */
export function describeChange(before: ResourceLimits, change: ResourceUpdate): string {
  const parts: string[] = [];
  for (const f of FIELD_NAMES) {
    const limit = FIELDS[f].limit;
    const to = change[limit];
    if (to === undefined) continue;
    parts.push(`${f} ${FIELDS[f].show(before[limit])} -> ${FIELDS[f].show(to)}`);
  }
  if (change.restartPolicy)
    parts.push(`restart policy ${policyText(before.restartPolicy)} -> ${policyText(change.restartPolicy)}`);
  return parts.join(', ');
}

export function policyText(p: ResourceLimits['restartPolicy']): string {
  return p.name === 'on-failure' && p.maximumRetryCount > 0 ? `on-failure:${p.maximumRetryCount}` : p.name;
}

/** The values of `limits` for the fields `change` sets (what a restore puts back). */
export function pick(limits: ResourceLimits, change: ResourceUpdate): ResourceUpdate {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(change) as (keyof ResourceLimits)[]) out[k] = limits[k];
  return out as ResourceUpdate;
}
