import { handlerOf, runAction } from '../actions/index.js';
import type { ActionContext, ActionResult } from '../actions/types.js';
import type { StepSpec } from '../catalog/remediation.js';
import { renderQuery } from '../catalog/query-template.js';
import type { TemplateSource } from '../catalog/template.js';
import type { DockerPort } from '../docker/port.js';
import { BadParamsError, ExecStillRunningError, TransientError } from '../errors.js';
import type { ResolvedTargets } from './resolve.js';
import { verifyContainers, verifyQuery } from './verify.js';

/**
 * Stage 4 and 5, act and verify: run the step's action (bounded by the step's timeout and the
 * shutdown deadline), then verify what it changed. A step's own verify is its success
 * criterion and runs even when the action found nothing to do (the problem may still be
 * there); one inherited from the file runs only when the step changed something.
 */

/** The shutdown deadline passed while the action ran: hand the job back (no attempt spent). */
export class HandedBackError extends Error {
  constructor(readonly reason: string) {
    super(`handed back: ${reason}`);
    this.name = 'HandedBackError';
  }
}

/**
 * Run the action. The step's timeout and the shutdown deadline both abort `ctx.signal`:
 * - an abortable action (exec) stops its work and settles, and only then does this return, so
 *   the target's lock is never released while its process still runs; one that could not be
 *   stopped (ExecStillRunningError) is passed on as it is, to escalate with the target locked;
 * - any other Docker call cannot be interrupted (a restart): on the step's timeout it is
 *   awaited to its end (Docker bounds it); at the shutdown deadline the job is handed back at
 *   once (HandedBackError) and the caller keeps the target locked for the rerun, which checks
 *   the target's state first.
 */
export async function act(
  step: StepSpec,
  ctx: Omit<ActionContext, 'signal'>,
  shutdown: AbortSignal,
): Promise<ActionResult> {
  const timeout = step.timeoutMs !== undefined ? AbortSignal.timeout(step.timeoutMs) : undefined;
  const signal = timeout ? AbortSignal.any([shutdown, timeout]) : shutdown;
  const handedBack = () => new HandedBackError(String(shutdown.reason ?? 'shutting down'));
  if (shutdown.aborted) throw handedBack();
  const running = runAction(step.action.type, step.action, { ...ctx, signal });
  if (handlerOf(step.action.type).abortable) {
    try {
      return await running;
    } catch (err) {
      // It could not be stopped: neither a hand-back nor a retry, whose run would go beside it.
      if (err instanceof ExecStillRunningError) throw err;
      if (shutdown.aborted) throw handedBack();
      if (timeout?.aborted && !(err instanceof TransientError)) {
        throw new TransientError(`${step.action.type} stopped at the step's timeout (${step.timeoutMs} ms)`);
      }
      throw err;
    }
  }
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    onAbort = () => reject(handedBack());
    shutdown.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([running, deadline]);
  } catch (err) {
    if (err instanceof HandedBackError) running.catch(() => undefined);
    throw err;
  } finally {
    if (onAbort) shutdown.removeEventListener('abort', onAbort);
  }
}

export interface VerifyInput {
  step: StepSpec;
  result: ActionResult;
  resolved: ResolvedTargets;
  docker: DockerPort;
  optInLabel: string;
  prometheusUrl: string | undefined;
  source: TemplateSource;
  signal: AbortSignal;
}

/** Verify a step; undefined when there is nothing to verify. Throws VerificationError on failure. */
export async function verifyStep(
  v: VerifyInput,
): Promise<{ ok: true; detail: string; durationMs: number } | undefined> {
  const policy = v.step.verify;
  if (!policy || (!policy.own && !v.result.changed)) return undefined;
  const handler = handlerOf(v.step.action.type);
  const parts: { detail: string; durationMs: number }[] = [];
  if (handler.scope !== 'host' && (handler.verifies ?? 'running') === 'running' && (policy.running || policy.healthy)) {
    const ids =
      v.result.verifyIds ??
      (v.resolved.scope === 'service' && v.resolved.service
        ? (await v.docker.listContainers({ labels: v.resolved.service.selector, all: false }))
            .filter((c) => c.labels[v.optInLabel] === 'true')
            .map((c) => c.id)
        : v.resolved.containers.map((c) => c.id));
    if (ids.length > 0) parts.push(await verifyContainers(v.docker, ids, policy, v.signal));
  }
  if (policy.query !== undefined) {
    if (!v.prometheusUrl)
      throw new BadParamsError(`step ${v.step.name} verifies with a query but PROMETHEUS_URL is not set`);
    const query = renderQuery(policy.query, v.source);
    parts.push(await verifyQuery(v.prometheusUrl, query, policy.queryWithinMs, v.signal));
  }
  if (parts.length === 0) return undefined;
  return {
    ok: true,
    detail: parts.map((p) => p.detail).join('; '),
    durationMs: parts.reduce((n, p) => n + p.durationMs, 0),
  };
}
