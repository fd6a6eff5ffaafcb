import pino from 'pino';
import type { WebhookPayload } from '../alertmanager/schema.js';
import type { Catalog } from '../catalog/catalog.js';
import type { Config } from '../config.js';
import { previewTargets } from '../notify/index.js';
import { previewPlan, type NotifyPreview } from '../notify/sinks/preview/simulate.js';
import { scrubber, secretsOf } from '../observability/logger.js';
import type { SimulationReport } from '../simulate/types.js';

/**
 * `simulate --notify`: the preview of what each sink would send for the plan's jobs, as the
 * JSON lines NOTIFY_PREVIEW writes, each group headed by a `#` line saying which alert, episode
 * and assumption it is. Secrets (a routing key in a PagerDuty body) are scrubbed as in logs.
 */
const SCENARIO: Record<string, string> = {
  succeeded: 'if the action succeeds',
  escalated: 'if every attempt fails (escalation)',
};

export async function notifyPreview(
  report: SimulationReport,
  payload: WebhookPayload,
  catalog: Catalog,
  config: Config,
): Promise<{ previews: NotifyPreview[]; text: string }> {
  const targets = await previewTargets(config, pino({ level: 'silent' }));
  const scrub = scrubber(secretsOf(config));
  const previews = (await previewPlan(report, payload, catalog, targets)).map((p) => ({
    ...p,
    lines: p.lines.map((l) => JSON.parse(scrub(JSON.stringify(l))) as typeof l),
  }));
  const sinks = targets.map((t) => t.sink.name).join(', ');
  const out = [`\n# notifications: what ${sinks || 'no sink'} would send for this payload (nothing was sent)`];
  for (const p of previews) {
    out.push(
      `# alert ${p.alert}, ${p.remediation}, episode ${p.episode}: ${SCENARIO[p.scenario] ?? p.scenario}${p.lines.length === 0 ? ' (nothing to send)' : ''}`,
    );
    for (const l of p.lines) out.push(JSON.stringify(l));
  }
  if (previews.length === 0) out.push('# no job: nothing to notify');
  return { previews, text: `${out.join('\n')}\n` };
}
