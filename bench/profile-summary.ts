// Summarise V8 CPU profiles written by `BENCH_CPU_PROF=1 npm run bench` (node --cpu-prof):
// self time by function and by package, so "what bounds ingest" is a table, not a guess.
// usage: tsx bench/profile-summary.ts [bench/results/profiles/*.cpuprofile] [--top N]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
if (!Number.isInteger(top) || top < 1) throw new Error('--top: expected a whole number ≥ 1');
let files = args.filter((a, i) => a !== '--top' && i !== topAt + 1);
if (files.length === 0) {
  const dir = path.join(import.meta.dirname, 'results', 'profiles');
  files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}: run BENCH_CPU_PROF=1 npm run bench first`);
}

/** Where time goes: a node_modules package, remediator's own source, node internals or V8. */
function owner(url: string, fn: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.includes('/src/')) return `remediator ${url.slice(url.indexOf('/src/') + 1).replace(/\.js$/, '')}`;
  if (url.startsWith('node:')) return url;
  return fn.startsWith('(') ? fn : url || '(native)';
}

for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfUs]
    .filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)')
    .reduce((a, [, us]) => a + us, 0);
  const fns = new Map<string, number>();
  const pkgs = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    const short = url.replace(/^.*node_modules\//, '').replace(/^.*\/(src|bench)\//, '$1/');
    const key = `${functionName || '(anonymous)'}  ${short}${url ? `:${lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    const o = owner(url, functionName);
    pkgs.set(o, (pkgs.get(o) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
  const list = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `  ${pct(us)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
  process.stdout.write(
    [
      `${path.basename(file)} (${(statSync(file).size / 1e6).toFixed(1)} MB): busy ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s sampled`,
      'self time by owner:',
      ...list(pkgs, 15),
      `self time by function (top ${top}):`,
      ...list(fns, top),
      '',
    ].join('\n'),
  );
}
