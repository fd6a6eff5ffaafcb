/**
 * The redact paths of logger.ts, compiled once into a tree and applied to each log object by
 * one walk over its keys. pino's own `redact` option (@pinojs/redact) re-parses every path on
 * every call and, for each `*.`-first path, runs all of them once per top-level key: with
 * ~70 paths that was ~100 µs per line, 9% of the webhook's CPU under load. The semantics are
 * pino's: a path is dot/bracket segments, `*` matches any one key (object or array), a value
 * at a matching path is replaced by the censor, and the caller's object is never modified
 * (what is changed is copied, on the way down only).
 */

interface Node {
  next: Map<string, Node>;
  any: Node | undefined;
  /** A path ends here: the value is censored. */
  end: boolean;
}

const node = (): Node => ({ next: new Map(), any: undefined, end: false });

/** `a.b["c-d"].*` -> ['a', 'b', 'c-d', '*'] (pino's path syntax). */
export function pathSegments(path: string): string[] {
  const out: string[] = [];
  for (const m of path.matchAll(/[^.[\]]+|\[([^[\]]*?)\]/g)) {
    const raw = m[1] !== undefined ? m[1] : m[0];
    out.push(raw.replace(/^(["'`])(.*)\1$/, '$2'));
  }
  return out;
}

/** Values the walk does not go into: they serialize themselves (Date, Buffer, URL, ...). */
function opaque(v: object): boolean {
  return typeof (v as { toJSON?: unknown }).toJSON === 'function' || ArrayBuffer.isView(v);
}

/**
 * A function returning `obj` with every value at one of `paths` replaced by `censor`: `obj`
 * itself when nothing matched, else a copy of what led to a match (the rest shared).
 */
export function compileRedactor(paths: readonly string[], censor: string): <T>(obj: T) => T {
  const root = node();
  for (const p of paths) {
    let n = root;
    for (const seg of pathSegments(p)) {
      if (seg === '*') n = n.any ??= node();
      else {
        let c = n.next.get(seg);
        if (!c) n.next.set(seg, (c = node()));
        n = c;
      }
    }
    n.end = true;
  }

  const walk = (value: unknown, nodes: Node[]): unknown => {
    if (typeof value !== 'object' || value === null || opaque(value)) return value;
    const src = value as Record<string, unknown>;
    let out: Record<string, unknown> | unknown[] | undefined;
    for (const key of Object.keys(src)) {
      const v = src[key];
      if (v === undefined) continue;
      let end = false;
      let below: Node[] | undefined;
      for (const n of nodes) {
        for (const c of [n.next.get(key), n.any]) {
          if (!c) continue;
          if (c.end) end = true;
          else (below ??= []).push(c);
        }
      }
      const nv = end ? censor : below ? walk(v, below) : v;
      if (nv !== v) {
        out ??= Array.isArray(src) ? [...(src as unknown[])] : { ...src };
        (out as Record<string, unknown>)[key] = nv;
      }
    }
    return out ?? value;
  };

  return <T>(obj: T): T => walk(obj, [root]) as T;
}
