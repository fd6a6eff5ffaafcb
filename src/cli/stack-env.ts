/**
 * `npm run up` writes where its stack is (REDIS_URL, DOCKER_HOST, ...) to `.run/env`. A one-shot
 * command run beside it (`npx remediator history`) reads that file for the variables the
 * environment does not set, so it talks to the stack a newcomer just started instead of
 * failing on 127.0.0.1:6379. It only reads a file whose stack is running (its remediator pid is
 * alive), and says on stderr which file it read.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface StackEnvResult {
  /** The environment to run with: the original, plus what the file added. */
  env: NodeJS.ProcessEnv;
  /** The file read, and the variables taken from it (none: nothing was read). */
  file: string | undefined;
  applied: string[];
  /** A line for stderr, when there is something to say. */
  note: string | undefined;
}

/** `KEY=value`, `KEY='value'` or `KEY="value"` lines; `#` comments and blank lines skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/^export\s+/, '');
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    if (value.length >= 2 && value.startsWith("'") && value.endsWith("'"))
      value = value.slice(1, -1).replace(/'\\''/g, "'");
    else if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    out[m[1]!] = value;
  }
  return out;
}

/** Where a stack's env file may be: REMEDIATOR_RUN_DIR, else ./.run, then the package's own .run. */
export function candidateFiles(env: NodeJS.ProcessEnv, cwd: string, packageRoot: string): string[] {
  if (env.REMEDIATOR_RUN_DIR) return [path.resolve(cwd, env.REMEDIATOR_RUN_DIR, 'env')];
  return [...new Set([path.join(cwd, '.run', 'env'), path.join(packageRoot, '.run', 'env')])];
}

function pidAlive(pidFile: string): boolean {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const display = (file: string, cwd: string) => {
  const rel = path.relative(cwd, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
};

/**
 * The environment for a one-shot command: `env` with the variables of a running `up` stack
 * filled in where unset. `alive` decides whether the stack of a file is running (tests pass
 * their own).
 */
export function withStackEnv(
  env: NodeJS.ProcessEnv,
  opts: { cwd: string; packageRoot: string; alive?: (pidFile: string) => boolean },
): StackEnvResult {
  const alive = opts.alive ?? pidAlive;
  for (const file of candidateFiles(env, opts.cwd, opts.packageRoot)) {
    if (!existsSync(file)) continue;
    const shown = display(file, opts.cwd);
    if (!alive(path.join(path.dirname(file), 'remediator.pid'))) {
      return {
        env,
        file: undefined,
        applied: [],
        note: `remediator: not reading ${shown}: the stack npm run up started there is not running (npm run up starts it; npm run down removes the file)`,
      };
    }
    const vars = parseEnvFile(readFileSync(file, 'utf8'));
    const applied = Object.keys(vars).filter((k) => env[k] === undefined || env[k] === '');
    if (applied.length === 0) return { env, file: undefined, applied: [], note: undefined };
    const next: NodeJS.ProcessEnv = { ...env };
    for (const k of applied) next[k] = vars[k];
    return {
      env: next,
      file,
      applied,
      note: `remediator: using ${applied.join(', ')} from ${shown} (the stack npm run up started)`,
    };
  }
  return { env, file: undefined, applied: [], note: undefined };
}
