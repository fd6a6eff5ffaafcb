// Scenario 1, ingest: the real webhook (auth, schema validation, matching, dedup, metrics,
// logs; worker off, `remediator serve`) against the naive Fastify + addBulk prototype, with the
// same 3-alert payload and the same autocannon settings. Two real-service runs:
// - new episodes: every POST carries 3 alerts never seen before, so both sides enqueue 3 jobs
//   per POST. This is the like-for-like comparison with the prototype (same Redis work asked).
// - duplicates: the identical body again and again, Alertmanager's re-send at repeat_interval
//   or the second Alertmanager of an HA pair; remediator answers from its episode records.
import { setTimeout as sleep } from 'node:timers/promises';
import { authHeaders, type BenchContext } from '../lib/context.js';
import { sustained, type LoadResult } from '../lib/load.js';
import { ingestBodies } from '../lib/payloads.js';
import { cpuMsOf, type Child } from '../lib/service.js';
import { num, parseCommandStats, perUnit, ratio, type Row } from '../lib/stats.js';

type Run = LoadResult & {
  sent: number;
  acceptedInAll: number;
  jobs: number;
  rssMB: number;
  cpuMsPerPost: { server: number; redis: number };
  /** Redis commands per accepted POST, by command; calls made inside Lua scripts count too. */
  redisCommandsPerPost: Record<string, number>;
};

export async function ingest(ctx: BenchContext): Promise<{ rows: Row[]; data: Record<string, unknown> }> {
  const bodies = ingestBodies();
  const s = { connections: ctx.settings.connections, durationS: ctx.settings.durationS, warmupS: ctx.settings.warmupS };
  const path = '/webhook/alertmanager';

  const measure = async (
    start: () => Promise<Child & { prefix: string }>,
    body: (i: number) => string,
    headers: Record<string, string>,
  ): Promise<Run> => {
    await ctx.flush();
    const child = await start();
    try {
      // CPU time per accepted POST, the process's own and Redis's: robust on a busy machine.
      const cpu = { server: 0, redis: 0 };
      const read = (sign: number) => {
        cpu.server += sign * child.cpuMs();
        cpu.redis += sign * cpuMsOf(ctx.redisPid);
      };
      let commands: Record<string, number> = {};
      const r = await sustained(`${child.url}${path}`, headers, body, s, {
        before: async () => {
          read(-1);
          await ctx.redis.config('RESETSTAT');
        },
        after: async () => {
          read(1);
          commands = parseCommandStats(await ctx.redis.info('commandstats'));
        },
      });
      // Requests still in flight when autocannon stopped may still enqueue; let them land.
      await sleep(300);
      const rssMB = child.memory().rssMB;
      const jobs = (await ctx.jobCounts(child.prefix)).total;
      const per = (n: number) => n / Math.max(1, r.requests2xx);
      // Our own INFO call is in the counts; it is one call, so it rounds away per POST.
      const redisCommandsPerPost = perUnit(commands, r.requests2xx);
      return {
        ...r,
        jobs,
        rssMB,
        cpuMsPerPost: { server: per(cpu.server), redis: per(cpu.redis) },
        redisCommandsPerPost,
      };
    } finally {
      await child.stop();
    }
  };

  process.stdout.write('[bench] ingest: bare Fastify (schema-validated POST, no Redis)\n');
  const bare = await measure(() => ctx.prototype({ name: 'ingest-bare', mode: 'bare' }), bodies.fresh, {});
  process.stdout.write(
    `[bench]   ${num(bare.reqPerSec)} req/s, p99 ${bare.p99Ms} ms\n[bench] ingest: prototype (Fastify + addBulk)\n`,
  );
  const proto = await measure(() => ctx.prototype({ name: 'ingest-prototype', mode: 'bullmq' }), bodies.fresh, {});
  process.stdout.write(
    `[bench]   ${num(proto.reqPerSec)} req/s, p99 ${proto.p99Ms} ms\n[bench] ingest: remediator serve, new episodes\n`,
  );
  const serve = () =>
    ctx.service({ name: 'ingest-serve', role: 'serve', remediationsDir: ctx.remediationsDir.shipped });
  const fresh = await measure(serve, bodies.fresh, authHeaders(ctx.token));
  process.stdout.write(
    `[bench]   ${num(fresh.reqPerSec)} req/s, p99 ${fresh.p99Ms} ms\n[bench] ingest: remediator serve, duplicates\n`,
  );
  const dup = await measure(serve, () => bodies.duplicate, authHeaders(ctx.token));
  process.stdout.write(`[bench]   ${num(dup.reqPerSec)} req/s, p99 ${dup.p99Ms} ms\n`);

  const failures = [proto, fresh, dup].filter((r) => r.non2xx > 0 || r.errors > 0);
  if (failures.length > 0) throw new Error(`ingest: non-2xx answers or errors: ${JSON.stringify(failures)}`);
  // Each fresh POST must have become exactly 3 jobs and the duplicates 3 jobs in all; the
  // bound allows for requests that were in flight when the load generator stopped.
  if (dup.jobs !== 3) throw new Error(`ingest: duplicates created ${dup.jobs} jobs, expected 3`);
  if (fresh.jobs < 3 * fresh.acceptedInAll || fresh.jobs > 3 * fresh.sent) {
    throw new Error(
      `ingest: new episodes created ${fresh.jobs} jobs for ${fresh.acceptedInAll}..${fresh.sent} POSTs, expected 3 per POST`,
    );
  }

  // Issue 17's targets: new episodes at least at the prototype's req/s, re-sends at twice it.
  const rps = (name: string, r: Run, target: number): Row => {
    const met = r.reqPerSec >= target * proto.reqPerSec;
    return {
      scenario: `ingest req/s, ${name}`,
      figure: num(r.reqPerSec),
      baseline: `prototype ${num(proto.reqPerSec)}`,
      ratio: ratio(r.reqPerSec, proto.reqPerSec),
      target: `≥ ${target.toFixed(2)}×`,
      met,
      note: met
        ? undefined
        : `short by ${num(target * proto.reqPerSec - r.reqPerSec)} req/s (${ratio(r.reqPerSec, target * proto.reqPerSec)} of the target); bare Fastify alone does ${num(bare.reqPerSec)} req/s here`,
    };
  };
  const p99 = (name: string, r: Run): Row => ({
    scenario: `ingest p50 / p99, ${name}`,
    figure: `${r.p50Ms} / ${r.p99Ms} ms`,
    baseline: `prototype ${proto.p50Ms} / ${proto.p99Ms} ms`,
    ratio: ratio(r.p99Ms, proto.p99Ms),
    target: '(reference)',
    met: undefined,
  });
  const cpuText = (r: Run) =>
    `${num(r.cpuMsPerPost.server * 1000, 'µs')} + Redis ${num(r.cpuMsPerPost.redis * 1000, 'µs')}`;
  const cpuTotal = (r: Run) => r.cpuMsPerPost.server + r.cpuMsPerPost.redis;
  const total = (r: Run) => Object.values(r.redisCommandsPerPost).reduce((a, b) => a + b, 0);
  const cpu = (name: string, r: Run): Row => ({
    scenario: `ingest CPU per POST, ${name}`,
    figure: `${cpuText(r)}; ${num(total(r))} Redis cmds`,
    baseline: `prototype ${cpuText(proto)}; ${num(total(proto))} cmds`,
    ratio: ratio(cpuTotal(r), cpuTotal(proto)),
    target: '(printed: what bounds req/s)',
    met: undefined,
  });
  const rows: Row[] = [
    rps('new episodes (3 jobs/POST)', fresh, 1.0),
    p99('new episodes', fresh),
    cpu('new episodes', fresh),
    rps('duplicates (0 jobs/POST)', dup, 2.0),
    p99('duplicates', dup),
    cpu('duplicates', dup),
    {
      scenario: 'ingest reference: bare Fastify',
      figure: `${num(bare.reqPerSec)} req/s, p99 ${bare.p99Ms} ms, ${num(bare.cpuMsPerPost.server * 1000, 'µs')} CPU/POST`,
      baseline: `prototype ${num(proto.reqPerSec)} req/s`,
      ratio: ratio(bare.reqPerSec, proto.reqPerSec),
      target: '(ceiling, no target)',
      met: undefined,
    },
  ];
  return {
    rows,
    data: {
      payloadBytes: bodies.bytes,
      settings: s,
      bare,
      prototype: proto,
      newEpisodes: fresh,
      duplicates: dup,
    },
  };
}
