import type { WebhookPayload } from '../../../alertmanager/schema.js';
import type { Catalog } from '../../../catalog/catalog.js';
import { jobDataOf, routeOf } from '../../../queue/producer.js';
import type { SimulationReport } from '../../../simulate/types.js';
import { threadOf } from '../../contract.js';
import type { PreviewTarget } from '../../sink.js';
import { storiesOf } from './story.js';
import { previewChange, type PreviewLine, type PreviewState } from './write.js';

/**
 * `remediator simulate --notify`: for each job of the plan, the lifecycle it would go through
 * (story.ts), run through every target sink exactly as the preview sink does, collecting the
 * lines instead of sending anything. An episode's fire and onResolved jobs share one story, as
 * they share one thread.
 */
export interface NotifyPreview {
  /** The alert's position in the payload, from 1. */
  alert: number;
  remediation: string;
  episode: string;
  scenario: string;
  lines: PreviewLine[];
}

export async function previewPlan(
  report: SimulationReport,
  payload: WebhookPayload,
  catalog: Catalog,
  targets: readonly PreviewTarget[],
  now = Date.now(),
): Promise<NotifyPreview[]> {
  const out: NotifyPreview[] = [];
  for (const a of report.alerts) {
    const alert = payload.alerts[a.index - 1];
    if (!alert) continue;
    for (const r of a.remediations) {
      const remediation = catalog.remediations.find((x) => x.id === r.remediation);
      if (!remediation || r.jobs.length === 0) continue;
      // Scenarios of the fire job (succeeded / escalated / ...), each followed by the onResolved job's.
      const perJob = r.jobs.map((job) =>
        storiesOf(job, jobDataOf(job.phase, remediation, alert, payload, routeOf(remediation, alert, undefined)), now),
      );
      const [first, ...rest] = perJob;
      for (const story of first ?? []) {
        const events = [...story.events, ...rest.flatMap((s) => s[0]?.events ?? [])];
        const episode = threadOf(events[0]!.data);
        const state: PreviewState = { targets: {} };
        const lines: PreviewLine[] = [];
        for (const [i, event] of events.entries()) {
          await previewChange(targets, state, { episode, seq: i + 1, event }, async (_key, line) => {
            lines.push(line);
          });
        }
        out.push({ alert: a.index, remediation: r.remediation, episode, scenario: story.scenario, lines });
      }
    }
  }
  return out;
}
