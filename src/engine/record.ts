import { primaryAction, type RemediationSpec, type StepSpec } from '../catalog/remediation.js';
import type { Outcome, RemediationJobResult } from '../queue/contract.js';
import { whenText } from './decide.js';
import type { JobPause, StepOutcome, StepRecord } from './types.js';

/**
 * Stage 6, record: a step's record and the job's result, built from what happened. Pure; the
 * engine persists them (job memo, history) and the lifecycle carries them to every sink.
 */

/** A step record; `at` is when the step first started (undefined for a step that never ran). */
export function stepRecord(
  step: StepSpec,
  outcome: StepOutcome,
  fields: Partial<Omit<StepRecord, 'index' | 'name' | 'action' | 'outcome' | 'when'>> & { summary: string },
): StepRecord {
  const finishedAt = fields.finishedAt ?? Date.now();
  return {
    index: step.index,
    name: step.name,
    action: step.action.type,
    outcome,
    decision: fields.decision ?? outcome,
    summary: fields.summary,
    when: whenText(step.when),
    targets: fields.targets ?? [],
    attempts: fields.attempts ?? 0,
    startedAt: fields.startedAt,
    finishedAt,
    durationMs: fields.startedAt !== undefined ? finishedAt - fields.startedAt : undefined,
    details: fields.details,
    ...(fields.before !== undefined && { before: fields.before }),
    ...(fields.after !== undefined && { after: fields.after }),
    ...(fields.verification !== undefined && { verification: fields.verification }),
    ...(fields.error !== undefined && { error: fields.error }),
    ...(fields.errorKind !== undefined && { errorKind: fields.errorKind }),
    ...(fields.approval !== undefined && { approval: fields.approval }),
    ...(fields.blastRadius !== undefined && { blastRadius: fields.blastRadius }),
  };
}

/** The step that decided a job's outcome: the last one that acted or failed, else the last. */
function decidingStep(records: StepRecord[]): StepRecord | undefined {
  return [...records].reverse().find((r) => r.outcome === 'succeeded' || r.outcome === 'failed') ?? records.at(-1);
}

/** The job's result from its step records and how it ended. */
export function jobResult(input: {
  spec: Pick<RemediationSpec, 'steps' | 'onResolved'>;
  phase: 'fire' | 'resolve';
  outcome: Outcome;
  records: StepRecord[];
  startedAt: number;
  dryRun: boolean;
  escalation: string | undefined;
  /** Why, when no step says it (cancelled, cooldown, circuit open, resolved). */
  reason: string | undefined;
  /** Pauses that held a step (the job state's). */
  pauses?: JobPause[] | undefined;
}): RemediationJobResult {
  const deciding = decidingStep(input.records);
  const steps = input.records;
  const multi = (input.phase === 'fire' ? input.spec.steps.length : 1) > 1;
  const ran = steps.filter((s) => s.outcome !== 'skipped');
  const summary =
    input.reason ??
    (multi && deciding
      ? `${deciding.summary} (step ${deciding.name}, ${deciding.index + 1}/${input.spec.steps.length})`
      : (deciding?.summary ?? input.outcome));
  return {
    outcome: input.outcome,
    summary,
    action: deciding?.action ?? primaryAction(input.spec, input.phase),
    targets: [...new Set(ran.flatMap((s) => s.targets))],
    dryRun: input.dryRun,
    durationMs: Date.now() - input.startedAt,
    details: { ...(deciding?.details ?? {}) },
    verification: deciding?.verification,
    escalation: input.escalation,
    steps,
    ...(input.pauses && input.pauses.length > 0 && { pauses: input.pauses }),
  };
}
