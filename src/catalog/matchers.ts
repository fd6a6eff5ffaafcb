/**
 * Label matchers in Alertmanager syntax: `name="value"`, `name!="value"`, `name=~"regex"`,
 * `name!~"regex"`. Regexes are fully anchored, as in Alertmanager; a missing label reads as "".
 */

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
  /** Compiled, anchored regex for =~ and !~. */
  regex?: RegExp;
  /** The matcher as written, for explanations. */
  text: string;
}

const HEAD = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*/;

function readValue(rest: string): { value: string; tail: string } {
  if (rest.startsWith('"')) {
    let value = '';
    for (let i = 1; i < rest.length; i++) {
      const ch = rest[i]!;
      if (ch === '\\') {
        const next = rest[++i];
        if (next === undefined) break;
        value += next === 'n' ? '\n' : next;
      } else if (ch === '"') {
        return { value, tail: rest.slice(i + 1) };
      } else {
        value += ch;
      }
    }
    throw new Error('unterminated quoted value');
  }
  const m = /^[^,}]*/.exec(rest)!;
  const value = m[0].trim();
  // Alertmanager refuses this too: `a=="x"` is a typo, not the value `="x"`.
  if (value.includes('"')) throw new Error(`unquoted value ${JSON.stringify(value)} contains a double quote`);
  return { value, tail: rest.slice(m[0].length) };
}

function build(name: string, op: MatchOp, value: string, text: string): Matcher {
  if (op === '=~' || op === '!~') {
    // Alertmanager's regexes are Go RE2; the common (?i) prefix becomes JavaScript's i flag.
    const insensitive = value.startsWith('(?i)');
    const source = insensitive ? value.slice(4) : value;
    try {
      return { name, op, value, text, regex: new RegExp(`^(?:${source})$`, insensitive ? 'i' : '') };
    } catch (err) {
      throw new Error(`invalid regex ${JSON.stringify(value)}: ${(err as Error).message}`);
    }
  }
  return { name, op, value, text };
}

/**
 * Parse one matcher string, or a comma-separated list, optionally in braces:
 * `{alertname="HighLatency", severity=~"critical|page"}`.
 */
export function parseMatchers(input: string): Matcher[] {
  let rest = input.trim();
  if (rest.startsWith('{')) {
    if (!rest.endsWith('}')) throw new Error('missing closing "}"');
    rest = rest.slice(1, -1);
  }
  const out: Matcher[] = [];
  while (rest.trim() !== '') {
    const head = HEAD.exec(rest);
    if (!head)
      throw new Error(
        `expected name="value", name!="value", name=~"regex" or name!~"regex" at ${JSON.stringify(rest.trim())}`,
      );
    const { value, tail } = readValue(rest.slice(head[0].length));
    const text = rest.slice(0, rest.length - tail.length).trim();
    out.push(build(head[1]!, head[2] as MatchOp, value, text));
    rest = tail.trim();
    if (rest.startsWith(',')) rest = rest.slice(1);
    else if (rest !== '') throw new Error(`expected "," between matchers at ${JSON.stringify(rest)}`);
  }
  if (out.length === 0) throw new Error('no matcher');
  return out;
}

export function matcherMatches(m: Matcher, labels: Record<string, string>): boolean {
  const v = labels[m.name] ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return m.regex!.test(v);
    case '!~':
      return !m.regex!.test(v);
  }
}
