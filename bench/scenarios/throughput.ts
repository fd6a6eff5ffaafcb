// Scenario 3, Docker throughput: restart 6 opt-in containers at once. Through remediator: one
// Alertmanager delivery with 6 HighLatency alerts, run by the worker at its shipped default
// concurrency (WORKER_CONCURRENCY unset: at most that many jobs at once), each restart verified
// running; timed from the POST to the last job completed.
// Baseline: raw dockerode restarts of the same 6 containers in parallel (Promise.all).
// Rounds alternate raw / remediator so drift on the machine hits both sides alike.
import { createTestContainer } from '../../test/support/docker.js';
import { fingerprint, highLatencyBody } from '../lib/payloads.js';
import { median, num, ratio, type Row } from '../lib/stats.js';
import { deliver, timed, type Rig } from './rig.js';

export const THROUGHPUT_CONTAINERS = 6;

export async function throughput(rig: Rig): Promise<{ rows: Row[]; data: Record<string, unknown> }> {
  const { ctx, p } = rig;
  const names = Array.from({ length: THROUGHPUT_CONTAINERS }, (_, k) => `${p}thr-${k}`);
  for (const name of names) await createTestContainer(ctx.docker, { name, labels: { 'remediator.enable': 'true' } });

  process.stdout.write(
    `[bench] throughput: ${names.length} parallel restarts x ${ctx.settings.throughputRounds} rounds, raw vs remediator\n`,
  );
  const rawMs: number[] = [];
  const viaMs: number[] = [];
  for (let r = 0; r < ctx.settings.throughputRounds; r++) {
    rawMs.push(await timed(() => Promise.all(names.map((n) => ctx.rawDocker.getContainer(n).restart({ t: 10 })))));
    const trace = await deliver(
      rig,
      highLatencyBody(names, (k) => fingerprint(0x7e00 + r, k)),
      /\/containers\/[^/]+\/restart/,
    );
    if (trace.jobs.length !== names.length)
      throw new Error(`throughput: ${trace.jobs.length} jobs for ${names.length} alerts`);
    viaMs.push(trace.done);
  }
  const perSec = (ms: number) => (names.length * 1000) / ms;
  const via = perSec(median(viaMs));
  const raw = perSec(median(rawMs));
  const met = via >= 0.9 * raw;
  return {
    rows: [
      {
        scenario: `Docker throughput: ${names.length} restarts, worker concurrency ${rig.concurrency} (default; median of ${viaMs.length})`,
        figure: `${num(via)} restarts/s (${num(median(viaMs), 'ms')})`,
        baseline: `raw parallel ${num(raw)}/s (${num(median(rawMs), 'ms')})`,
        ratio: ratio(via, raw),
        target: '≥ 0.90×',
        met,
        note: met
          ? undefined
          : `${num((0.9 - via / raw) * 100)} points short of 90%; ${names.length} restarts at concurrency ${rig.concurrency} run in ${Math.ceil(names.length / rig.concurrency)} waves`,
      },
    ],
    data: {
      containers: names.length,
      concurrency: rig.concurrency,
      rounds: viaMs.length,
      remediatorMs: viaMs,
      rawMs,
      remediatorPerSec: via,
      rawPerSec: raw,
    },
  };
}
