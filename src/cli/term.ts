/**
 * Terminal output for the CLI: colour only on a TTY (and never with NO_COLOR), aligned
 * columns, exit codes scripts can rely on. Everything here is pure so views are unit-tested.
 */

/** Exit codes of every command: scripts branch on these. */
export const EXIT = {
  ok: 0,
  /** Problems found: invalid remediations or rules, an invalid payload. */
  problems: 1,
  /** Wrong flags or arguments. */
  usage: 2,
  /** EX_UNAVAILABLE: a service the command needs (Redis, the Docker Engine) cannot be reached. */
  unavailable: 69,
  /** EX_CONFIG: the environment is wrong (names the variable). */
  config: 78,
} as const;

export interface Paint {
  enabled: boolean;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const sgr = (open: number, close: number) => (on: boolean) => (s: string) =>
  on && s !== '' ? `\u001b[${open}m${s}\u001b[${close}m` : s;
const codes = {
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
  bold: sgr(1, 22),
  dim: sgr(2, 22),
};

export function paint(enabled: boolean): Paint {
  return {
    enabled,
    red: codes.red(enabled),
    green: codes.green(enabled),
    yellow: codes.yellow(enabled),
    cyan: codes.cyan(enabled),
    bold: codes.bold(enabled),
    dim: codes.dim(enabled),
  };
}

/** Colour for this stream: a terminal, and the user did not ask for none (https://no-color.org). */
export function paintFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Paint {
  return paint(stream.isTTY === true && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb');
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
export const visibleLength = (s: string) => s.replace(ANSI, '').length;

/** Left-aligned columns, two spaces apart; cells may hold colour codes. */
export function table(rows: string[][], indent = ''): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows.map((row) =>
    (
      indent +
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visibleLength(cell))))
        .join('  ')
    ).trimEnd(),
  );
}

/** `90s`, `12m`, `3h 5m`, `2d 4h`: how long, at a glance. */
export function humanDuration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

/** Plural: `1 alert`, `3 alerts` (the one helper every message uses). */
export { plural } from '../plural.js';
