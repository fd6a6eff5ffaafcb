// Scenario 2, overhead and end-to-end recovery.
// - Overhead: N sequential BenchProbe alerts (kill SIGCONT: a no-op signal the Engine answers
//   in about a millisecond, so N can be 200 within seconds; a restart costs ~0.5 s of Docker
//   time per run and would measure Docker, not remediator). Figure: webhook POST sent -> the
//   action's Docker call started, seen at dockerd's socket. Baseline: the same kill call made
//   with raw dockerode, interleaved one for one in the same run.
// - End to end: webhook POST -> job completed (verified where the remediation verifies) for
//   restart (HighLatency) and prune (disk_full), against the raw dockerode calls the action
//   makes. Resource update and network reconnect, the other two of seed 004's targets, are
//   in recovery.ts.
import { createTestContainer } from '../../test/support/docker.js';
import { fingerprint, diskFullBody, highLatencyBody, probeBody } from '../lib/payloads.js';
import { cpuMsOf } from '../lib/service.js';
import { num, parseCommandStats, perUnit, ratio, summarize, type Row, type Summary } from '../lib/stats.js';
import { deliver, timed, type Rig, type Trace } from './rig.js';

const WARMUP = 10;
const KILL = /\/containers\/[^/]+\/kill/;
const RESTART = /\/containers\/[^/]+\/restart/;
const PRUNE = /\/containers\/prune/;
const optIn = { 'remediator.enable': 'true' };

const pick = (traces: Trace[], f: (t: Trace) => number): Summary => summarize(traces.map(f));

/** Where an end-to-end run spends its time: before the action, in it, and after it (verify, record). */
const breakdown = (traces: Trace[]) => ({
  toActionStart: pick(traces, (t) => t.actionStart),
  actionCall: pick(traces, (t) => t.actionEnd - t.actionStart),
  afterAction: pick(traces, (t) => t.done - t.actionEnd),
});

/** One end-to-end row: p50 against a target in ms, beside the raw calls' p50. */
export const e2eRow = (name: string, s: Summary, base: Summary, limitMs: number): Row => ({
  scenario: `end to end: ${name} (p50, n=${s.n})`,
  figure: `${num(s.p50, 'ms')} (max ${num(s.max, 'ms')})`,
  baseline: `raw ${num(base.p50, 'ms')} (max ${num(base.max, 'ms')})`,
  ratio: ratio(s.p50, base.p50),
  target: `< ${limitMs} ms`,
  met: s.p50 < limitMs,
  note:
    s.p50 < limitMs
      ? s.max >= limitMs
        ? `p50 inside; the slowest run took ${num(s.max, 'ms')}`
        : undefined
      : `${num(s.p50 - limitMs, 'ms')} over; the raw Docker calls alone take ${num(base.p50, 'ms')}`,
});

export async function overhead(rig: Rig): Promise<{ rows: Row[]; data: Record<string, unknown> }> {
  const { ctx, p } = rig;
  const n = ctx.settings.overheadAlerts;
  const probe = `${p}probe`;
  await createTestContainer(ctx.docker, { name: probe, labels: optIn });
  const raw = ctx.rawDocker.getContainer(probe);

  process.stdout.write(`[bench] overhead: ${n} sequential alerts (kill SIGCONT), raw dockerode interleaved\n`);
  const traces: Trace[] = [];
  const rawMs: number[] = [];
  // Per alert, once warm: CPU of the service and of Redis, and the Docker calls it made.
  const cost = { cpu: 0, redisCpu: 0, callsFrom: 0 };
  for (let i = 0; i < WARMUP + n; i++) {
    if (i === WARMUP) {
      Object.assign(cost, { cpu: rig.svc.cpuMs(), redisCpu: cpuMsOf(ctx.redisPid), callsFrom: ctx.proxy.mark() });
      await ctx.redis.config('RESETSTAT');
    }
    const r = await timed(() => raw.kill({ signal: 'SIGCONT' }));
    const t = await deliver(rig, probeBody(probe, fingerprint(0xb0, i)), KILL);
    if (i >= WARMUP) {
      rawMs.push(r);
      traces.push(t);
    }
  }
  const perAlert = {
    serviceCpuMs: (rig.svc.cpuMs() - cost.cpu) / n,
    redisCpuMs: (cpuMsOf(ctx.redisPid) - cost.redisCpu) / n,
    // Everything through the proxy minus the n raw kills of the baseline.
    dockerCalls: (ctx.proxy.calls(cost.callsFrom).length - n) / n,
    // The bench's own job watcher (XREAD on BullMQ's event stream) is in there too.
    redisCommands: perUnit(parseCommandStats(await ctx.redis.info('commandstats')), n),
  };
  const redisTotal = Object.entries(perAlert.redisCommands).reduce((a, [c, v]) => a + (c === 'xread' ? 0 : v), 0);
  const toAction = pick(traces, (t) => t.actionStart);
  const rawCall = summarize(rawMs);
  const viaCall = pick(traces, (t) => t.actionEnd - t.actionStart);

  const runs = ctx.settings.e2eRuns;
  process.stdout.write(`[bench] end to end: ${runs} restarts and ${runs} prunes, each against raw dockerode\n`);
  const victim = `${p}restart`;
  await createTestContainer(ctx.docker, { name: victim, labels: optIn });
  const restarts: Trace[] = [];
  const rawRestart: number[] = [];
  for (let i = 0; i < runs; i++) {
    rawRestart.push(await timed(() => ctx.rawDocker.getContainer(victim).restart({ t: 10 })));
    restarts.push(
      await deliver(
        rig,
        highLatencyBody([victim], () => fingerprint(0xe2e, i)),
        RESTART,
      ),
    );
  }

  // Each prune gets something to reclaim: three stopped opted-in containers (as after a crash loop).
  const junk = async (i: number, side: string) => {
    for (let k = 0; k < 3; k++)
      await createTestContainer(ctx.docker, { name: `${p}junk-${side}${i}-${k}`, labels: optIn, start: false });
  };
  const prunes: Trace[] = [];
  const rawPrune: number[] = [];
  for (let i = 0; i < runs; i++) {
    await junk(i, 'raw');
    // The same three calls, in the same order, as the dockerode adapter's prune().
    rawPrune.push(
      await timed(async () => {
        await ctx.rawDocker.pruneContainers({ filters: { label: ['remediator.enable=true'] } });
        await ctx.rawDocker.pruneImages({ filters: { dangling: ['true'] } });
        await ctx.rawDocker.pruneBuilder();
      }),
    );
    await junk(i, 'rem');
    prunes.push(await deliver(rig, diskFullBody(fingerprint(0xd15c, i)), PRUNE));
  }

  const restartE2e = pick(restarts, (t) => t.done);
  const pruneE2e = pick(prunes, (t) => t.done);
  const rawRestartS = summarize(rawRestart);
  const rawPruneS = summarize(rawPrune);
  const rows: Row[] = [
    {
      scenario: `overhead p50: webhook -> Docker call (n=${n})`,
      figure: `${num(toAction.p50, 'ms')} to call start (first call ${num(pick(traces, (t) => t.firstCall).p50, 'ms')})`,
      baseline: `raw kill call ${num(rawCall.p50, 'ms')}`,
      ratio: ratio(toAction.p50, rawCall.p50),
      target: '≤ 6 ms',
      met: toAction.p50 <= 6,
      note: toAction.p50 <= 6 ? undefined : `${num(toAction.p50 - 6, 'ms')} over`,
    },
    {
      scenario: 'overhead p99: webhook -> Docker call',
      figure: `${num(toAction.p99, 'ms')} to call start`,
      baseline: `raw kill call ${num(rawCall.p99, 'ms')}`,
      ratio: ratio(toAction.p99, rawCall.p99),
      target: '≤ 15 ms',
      met: toAction.p99 <= 15,
      note: toAction.p99 <= 15 ? undefined : `${num(toAction.p99 - 15, 'ms')} over`,
    },
    {
      scenario: 'overhead: cost per alert',
      figure: `${num(perAlert.serviceCpuMs, 'ms')} CPU + Redis ${num(perAlert.redisCpuMs, 'ms')}; ${num(redisTotal)} Redis cmds, ${num(perAlert.dockerCalls)} Docker calls`,
      baseline: 'raw: 1 Docker call',
      ratio: '-',
      target: '(HTTP + worker + verify)',
      met: undefined,
    },
    e2eRow('restart, verified running', restartE2e, rawRestartS, 600),
    e2eRow('prune', pruneE2e, rawPruneS, 891),
  ];
  return {
    rows,
    data: {
      overhead: {
        alerts: n,
        action: 'kill SIGCONT',
        perAlert,
        webhookToActionStart: toAction,
        webhookTo202: pick(traces, (t) => t.accepted),
        webhookToFirstDockerCall: pick(traces, (t) => t.firstCall),
        actionCallViaRemediator: viaCall,
        rawActionCall: rawCall,
        webhookToJobCompleted: pick(traces, (t) => t.done),
      },
      restart: { e2e: restartE2e, ...breakdown(restarts), rawRestart: rawRestartS },
      prune: { e2e: pruneE2e, ...breakdown(prunes), rawPrune: rawPruneS },
    },
  };
}
