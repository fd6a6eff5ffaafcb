import { Type } from '@sinclair/typebox';
import { actions, ACTION_TYPES, type ActionParams, type ActionType } from '../actions/index.js';
import type { ParamProblem } from '../actions/types.js';
import { checkQueryTemplate } from './query-template.js';
import {
  DEFAULTS,
  type ApproveSpec,
  type OnFailure,
  type OnSuccess,
  type RetrySpec,
  type StepSpec,
  type VerifySpec,
  type WhenSpec,
} from './remediation.js';
import {
  Duration,
  StepSchema,
  durationMs,
  type ApproveFile,
  type RemediationFile,
  type RetryFile,
  type StepFile,
  type TargetSpec,
  type VerifyFile,
} from './schema.js';
import { checkTemplate } from './template.js';

/**
 * Runbook steps: validation beyond the schema (the action per `type`, targets each action
 * needs, `onFailure: next` on the last step, templates) and normalization into StepSpecs with
 * the file's defaults applied. Pure; problems carry a JSON-pointer path the loader turns into
 * a line number.
 */

export type Push = (path: string, reason: string) => void;
export type SchemaCheck = (schema: unknown, value: unknown, prefix: string) => ParamProblem[];

/** A step without its action union: the action is checked per `type` for precise messages. */
export const StepShape = Type.Object(
  { ...StepSchema.properties, action: Type.Unknown() },
  { additionalProperties: false },
);

/** Check one action (a step's, or onResolved) against its handler's schema, scope and own checks. */
export function checkAction(
  raw: unknown,
  where: string,
  target: TargetSpec | undefined,
  push: Push,
  schemaProblems: SchemaCheck,
): void {
  if (typeof raw !== 'object' || raw === null) return push(where, 'expected an object with a "type"');
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string' || !(ACTION_TYPES as string[]).includes(type)) {
    return push(`${where}/type`, `expected one of ${ACTION_TYPES.join(', ')}`);
  }
  const handler = actions[type as ActionType];
  const problems = schemaProblems(handler.schema, raw, where);
  for (const p of problems) push(p.path, p.reason);
  const selects = target && (target.service || target.labels || target.withLabel || target.swarmService);
  // Where a missing target is reported: the file's, or the step's own.
  const targetPath = where.startsWith('/steps/') ? where.replace(/\/action$/, '/target') : '/target';
  if (handler.scope === 'container' && !target?.container && !selects) {
    push(targetPath, `action ${type} needs a target (container, service, labels or withLabel)`);
  }
  if (handler.scope === 'service' && !selects && !target?.container) {
    push(
      targetPath,
      `action ${type} needs target.service (a Compose service), labels, swarmService or a container of a service`,
    );
  }
  // Cross-field checks the action declares itself, once its schema holds.
  if (problems.length === 0 && handler.check) {
    const check = handler.check as (p: ActionParams) => ParamProblem[];
    for (const p of check(raw as ActionParams)) push(`${where}${p.path}`, p.reason);
  }
}

/** Template checks of a target: names only, the safe placeholders only. */
export function checkTarget(target: TargetSpec | undefined, where: string, push: Push): void {
  if (!target) return;
  for (const key of ['host', 'container', 'service', 'project', 'swarmService'] as const) {
    const template = target[key];
    if (typeof template !== 'string') continue;
    try {
      checkTemplate(template);
    } catch (err) {
      push(`${where}/${key}`, (err as Error).message);
    }
  }
  for (const [key, template] of Object.entries(target.labels ?? {})) {
    try {
      checkTemplate(template);
    } catch (err) {
      push(`${where}/labels/${key}`, (err as Error).message);
    }
  }
  const kinds = [target.container, target.service ?? target.labels, target.withLabel, target.swarmService].filter(
    (k) => k !== undefined,
  );
  if (kinds.length > 1) push(where, 'name one of container, service/labels, withLabel or swarmService');
  if (typeof target.minHealthy === 'string' && Number(target.minHealthy.slice(0, -1)) > 100) {
    push(`${where}/minHealthy`, 'a share of replicas is at most 100%');
  }
  if (
    typeof target.minContainers === 'number' &&
    typeof target.maxContainers === 'number' &&
    target.minContainers > target.maxContainers
  ) {
    push(`${where}/minContainers`, `more than maxContainers (${target.maxContainers})`);
  }
}

/** onResolved as written: the action itself, or `{ action, after }`. */
const OnResolvedShape = Type.Object({ action: Type.Unknown(), after: Duration }, { additionalProperties: false });

function isDelayedUndo(raw: unknown): raw is { action: unknown; after: string | number } {
  return typeof raw === 'object' && raw !== null && !('type' in raw) && ('action' in raw || 'after' in raw);
}

/** A bare `ALERTS{...}` selector: the series of a firing alert, whose value is always 1. */
const BARE_ALERTS = /^\s*ALERTS\s*(\{[^{}]*(\{\{[^{}]*\}\}[^{}]*)*\})?\s*$/;

function checkQuery(query: unknown, where: string, push: Push, verify = false): void {
  if (typeof query !== 'string') return; // a wrong type is the schema's to report
  if (query.trim() === '') return push(where, 'empty query');
  // A verification passes on an empty result or on values that are all 1: a firing alert's
  // ALERTS series is 1, so this query would pass at once, while the alert still fires.
  if (verify && BARE_ALERTS.test(query)) {
    return push(
      where,
      'ALERTS is 1 while the alert fires, which a verification reads as passed at once: count and compare, e.g. count(ALERTS{...}) == bool 0',
    );
  }
  try {
    checkQueryTemplate(query);
  } catch (err) {
    push(where, (err as Error).message);
  }
}

/** Validate the runbook part of a file: `action:` or `steps:`, each step, onResolved. */
export function checkRunbook(f: RemediationFile, push: Push, schemaProblems: SchemaCheck): void {
  const raw = f as RemediationFile & { steps?: unknown; action?: unknown };
  if (raw.action !== undefined && raw.steps !== undefined) {
    push('/steps', 'give either action (one step) or steps (a runbook), not both');
  } else if (raw.action === undefined && raw.steps === undefined) {
    push('', 'expected action (one step) or steps (a runbook)');
  }
  checkTarget(f.target, '/target', push);
  checkQuery(f.verify?.query, '/verify/query', push, true);
  if (raw.action !== undefined) checkAction(raw.action, '/action', f.target, push, schemaProblems);
  if (isDelayedUndo(raw.onResolved)) {
    for (const p of schemaProblems(OnResolvedShape, raw.onResolved, '/onResolved')) push(p.path, p.reason);
    if (raw.onResolved.action !== undefined) {
      checkAction(raw.onResolved.action, '/onResolved/action', f.target, push, schemaProblems);
    }
  } else if (raw.onResolved !== undefined) {
    checkAction(raw.onResolved, '/onResolved', f.target, push, schemaProblems);
  }
  if (!Array.isArray(raw.steps)) return;
  if (raw.steps.length === 0) return push('/steps', 'a runbook needs at least one step');
  const names = new Map<string, number>();
  raw.steps.forEach((step: unknown, i: number) => {
    const at = `/steps/${i}`;
    if (typeof step !== 'object' || step === null || Array.isArray(step)) return push(at, 'expected a step mapping');
    for (const p of schemaProblems(StepShape, step, at)) push(p.path, p.reason);
    const s = step as StepFile;
    const target = s.target ?? f.target;
    checkTarget(s.target, `${at}/target`, push);
    if (s.action !== undefined) checkAction(s.action, `${at}/action`, target, push, schemaProblems);
    else push(at, 'a step needs an action');
    const name = s.name ?? `step-${i + 1}`;
    const clash = names.get(name);
    if (clash !== undefined) push(`${at}/name`, `step name "${name}" is also used by step ${clash + 1}`);
    names.set(name, i);
    if (s.onFailure === 'next' && i === raw.steps!.length - 1) {
      push(`${at}/onFailure`, '"next" on the last step: there is no next step (use abort or continue)');
    }
    if (typeof s.verify === 'object') checkQuery(s.verify.query, `${at}/verify/query`, push, true);
    if (typeof s.when === 'object') checkQuery(s.when.query, `${at}/when/query`, push);
    if (s.when === 'previous_failed' && i === 0) push(`${at}/when`, 'the first step has no previous step');
  });
}

/** Every PromQL query of a remediation file, with its path: each needs PROMETHEUS_URL. */
export function queriesOf(f: RemediationFile): { path: string; query: string }[] {
  const out: { path: string; query: string }[] = [];
  if (f.verify?.query) out.push({ path: '/verify/query', query: f.verify.query });
  (f.steps ?? []).forEach((s, i) => {
    if (typeof s.verify === 'object' && s.verify.query)
      out.push({ path: `/steps/${i}/verify/query`, query: s.verify.query });
    if (typeof s.when === 'object') out.push({ path: `/steps/${i}/when/query`, query: s.when.query });
  });
  return out;
}

// ---- normalization (after validation passed) ----------------------------------------------

function retryOf(own: RetryFile | undefined, file: RetrySpec): RetrySpec {
  return {
    attempts: own?.attempts ?? file.attempts,
    backoffMs: durationMs(own?.backoff, file.backoffMs),
    maxBackoffMs: durationMs(own?.maxBackoff, file.maxBackoffMs),
    jitter: own?.jitter ?? file.jitter,
  };
}

/** File-level retry defaults. */
export function fileRetry(f: RemediationFile): RetrySpec {
  return retryOf(f.retry, {
    attempts: DEFAULTS.attempts,
    backoffMs: DEFAULTS.backoffMs,
    maxBackoffMs: DEFAULTS.maxBackoffMs,
    jitter: DEFAULTS.jitter,
  });
}

export function verifyOf(v: VerifyFile | undefined, own: boolean): VerifySpec | undefined {
  if (!v) return undefined;
  const within = durationMs(v.within, DEFAULTS.verifyWithinMs);
  return {
    running: v.running ?? true,
    healthy: v.healthy ?? true,
    withinMs: within,
    query: v.query,
    // A query alone with `within` means that time for the query, as the example reads.
    queryWithinMs: durationMs(v.queryWithin, v.within !== undefined ? within : DEFAULTS.queryWithinMs),
    own,
  };
}

function whenOf(w: StepFile['when']): WhenSpec {
  if (w === undefined || w === 'always') return { kind: 'always' };
  if (w === 'still_firing') return { kind: 'still_firing' };
  if (w === 'previous_failed') return { kind: 'previous_failed' };
  return { kind: 'query', query: w.query };
}

/** A step's (or the file's) `approve:`, normalized. */
export function approveOf(own: ApproveFile | undefined, file: ApproveFile | undefined): ApproveSpec {
  const a = own ?? file;
  if (a === undefined) return { mode: 'policy', timeoutMs: undefined };
  if (typeof a === 'boolean') return { mode: a ? 'always' : 'never', timeoutMs: undefined };
  return { mode: 'always', timeoutMs: a.timeout !== undefined ? durationMs(a.timeout, 0) : undefined };
}

/** The runbook of a validated file, every default applied. */
export function normalizeSteps(f: RemediationFile): StepSpec[] {
  const retry = fileRetry(f);
  if (f.action) {
    return [
      {
        index: 0,
        name: f.action.type,
        action: f.action,
        target: f.target,
        // In the one-step form the file's verify is the step's own success criterion.
        verify: verifyOf(f.verify, true),
        when: { kind: 'always' },
        timeoutMs: undefined,
        retry,
        onFailure: 'abort',
        onSuccess: 'stop',
        approve: approveOf(undefined, f.approve),
      },
    ];
  }
  return (f.steps ?? []).map((s, i): StepSpec => {
    const verify = s.verify === false ? undefined : s.verify ? verifyOf(s.verify, true) : verifyOf(f.verify, false);
    const onSuccess: OnSuccess = s.onSuccess ?? (verify?.own ? 'stop' : 'next');
    const onFailure: OnFailure = s.onFailure ?? 'abort';
    return {
      index: i,
      name: s.name ?? `step-${i + 1}`,
      action: s.action,
      target: s.target ?? f.target,
      verify,
      when: whenOf(s.when),
      timeoutMs: s.timeout !== undefined ? durationMs(s.timeout, 0) : undefined,
      retry: retryOf(s.retry, retry),
      onFailure,
      onSuccess,
      approve: approveOf(s.approve, f.approve),
    };
  });
}

/** How long onResolved waits for the episode to stay resolved (`after:`); 0 in the bare form. */
export function onResolvedAfterMs(f: RemediationFile): number {
  return isDelayedUndo(f.onResolved) ? durationMs(f.onResolved.after, 0) : 0;
}

/** onResolved as a one-step runbook of its own (no verify: it undoes, it does not fix). */
export function normalizeOnResolved(f: RemediationFile): StepSpec | undefined {
  if (!f.onResolved) return undefined;
  const action = 'type' in f.onResolved ? f.onResolved : f.onResolved.action;
  return {
    index: 0,
    name: 'on-resolved',
    action,
    target: f.target,
    verify: undefined,
    when: { kind: 'always' },
    timeoutMs: undefined,
    retry: fileRetry(f),
    onFailure: 'abort',
    onSuccess: 'stop',
    // An undo restores what the fix changed: it asks no approval (the fix was the risk).
    approve: { mode: 'never', timeoutMs: undefined },
  };
}
