// The set-up shared by the worker scenarios (overhead, end-to-end, throughput): one
// `remediator start` (HTTP + worker, as users run it) acting through the timing proxy, a watcher
// for job completion, and one alert -> job -> Docker timing helper.
import { readFileSync } from 'node:fs';
import type { BenchContext, JobDone, JobWatcher } from '../lib/context.js';
import type { ProxyCall } from '../lib/docker-proxy.js';
import type { Child } from '../lib/service.js';
import { nowMs } from '../lib/stats.js';

export interface Rig {
  ctx: BenchContext;
  svc: Child & { prefix: string; post(body: string): Promise<{ status: number; body: any }> };
  watcher: JobWatcher;
  /** Container-name prefix of this run. */
  p: string;
  /** The worker's concurrency (the shipped default: the rig does not set it). */
  concurrency: number;
}

/** Timings of one delivery, in ms from the moment the bench started sending the POST. */
export interface Trace {
  /** 202 received. */
  accepted: number;
  /** First Docker call of the job (the target lookup), as dockerd's socket saw it. */
  firstCall: number;
  /** The action's Docker call started. */
  actionStart: number;
  /** The action's Docker call answered. */
  actionEnd: number;
  /** Every job of the delivery finished (completed event seen by the bench). */
  done: number;
  jobs: JobDone[];
}

/** The worker's concurrency as it said at start (`worker started` line of its log). */
function loggedConcurrency(logFile: string): number {
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"worker started"')) continue;
    const n = (JSON.parse(line) as { concurrency?: unknown }).concurrency;
    if (typeof n === 'number') return n;
  }
  throw new Error(`${logFile}: no "worker started" line with its concurrency`);
}

/** `remediator start` at the shipped default concurrency (WORKER_CONCURRENCY unset). */
export async function startRig(ctx: BenchContext): Promise<Rig> {
  await ctx.flush();
  const svc = await ctx.service({
    name: 'worker-start',
    role: 'start',
    remediationsDir: ctx.remediationsDir.bench,
  });
  try {
    const watcher = await ctx.watchJobs(svc.prefix);
    return { ctx, svc, watcher, p: ctx.containerPrefix, concurrency: loggedConcurrency(svc.logFile) };
  } catch (err) {
    await svc.stop();
    throw err;
  }
}

export async function stopRig(rig: Rig): Promise<void> {
  await rig.watcher.close().catch(() => undefined);
  await rig.svc.stop();
}

/**
 * Post one delivery and follow it to the end: the 202, the Docker calls its jobs make (seen by
 * the proxy) and each job's completion. Throws unless every job completed with `outcomes`.
 */
export async function deliver(
  rig: Rig,
  body: string,
  action: RegExp,
  outcomes: string[] = ['succeeded'],
): Promise<Trace> {
  const { proxy } = rig.ctx;
  const mark = proxy.mark();
  const t0 = nowMs();
  const res = await rig.svc.post(body);
  const accepted = nowMs() - t0;
  if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${JSON.stringify(res.body)}`);
  const ids: string[] = res.body.jobs.map((j: { jobId: string; status: string }) => {
    if (j.status !== 'enqueued')
      throw new Error(`job ${j.jobId} was ${j.status}, expected enqueued (reused fingerprint?)`);
    return j.jobId;
  });
  const call: ProxyCall = await proxy.next(mark, (c) => c.method === 'POST' && action.test(c.path));
  const jobs = await Promise.all(ids.map((id) => rig.watcher.done(id)));
  for (const j of jobs) {
    if (j.state !== 'completed' || !outcomes.includes(j.returnvalue?.outcome)) {
      throw new Error(
        `job ended ${j.state} / ${j.returnvalue?.outcome ?? j.failedReason}: expected ${outcomes.join(' or ')}`,
      );
    }
  }
  const first = proxy.calls(mark).find((c) => !c.path.endsWith('/_ping'));
  return {
    accepted,
    firstCall: (first?.at ?? Number.NaN) - t0,
    actionStart: call.at - t0,
    actionEnd: (call.doneAt ?? Number.NaN) - t0,
    done: Math.max(...jobs.map((j) => j.at)) - t0,
    jobs,
  };
}

/** Time one raw call, in ms. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = nowMs();
  await fn();
  return nowMs() - t;
}
