import { stepsOf } from '../../../catalog/remediation.js';
import type { StepRecord } from '../../../engine/types.js';
import type { LifecycleEvent, LifecycleEventOf, StepRef } from '../../../lifecycle/events.js';
import type { RemediationJobData, RemediationJobResult } from '../../../queue/contract.js';
import { LIMITS, STEP_MARK, mrkdwn, type Block, type SlackMessage } from './blocks.js';
import { approvalAnswerText } from './approval-blocks.js';
import { bytes, codeBlock, cut, defang, duration, esc, escCut, mention } from './mrkdwn.js';
import { plural } from '../../../plural.js';
import { escalates, escalationCode } from '../../policy.js';
import { STATE_LABEL, escalationReason } from '../../view.js';

/**
 * Thread replies: the details of each step (what was done to what, how long it took, which
 * attempt, command output, bytes reclaimed, replicas before/after, the verification), and the
 * escalation that pings the on-call (`notify.mention`, or `notify.sinks.slack.mention`). Pure.
 */

const MAX_OUTPUTS = 3;
const OUTPUT_CHARS = 1200;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/**
 * What a details list names: plain names, or the objects an action reports per container
 * (recreate's `{ name, oldId, newId }`, collect's `{ container, logs, ... }`), by their name.
 */
function namesOf(list: unknown[]): string[] {
  return list
    .map((v) =>
      typeof v === 'string' || typeof v === 'number' ? String(v) : (str(obj(v)?.name) ?? str(obj(v)?.container)),
    )
    .filter((n): n is string => n !== undefined);
}

/** Lines for the action-specific details a human wants: bytes, replicas, what was touched. */
export function detailLines(details: Record<string, unknown>): string[] {
  const lines: string[] = [];
  const reclaimed = num(details.bytesReclaimed);
  if (reclaimed !== undefined) {
    const parts = [
      Array.isArray(details.containersDeleted) && plural(details.containersDeleted.length, 'container'),
      num(details.imagesDeleted) !== undefined && plural(details.imagesDeleted as number, 'image'),
      num(details.buildCacheDeleted) !== undefined &&
        plural(details.buildCacheDeleted as number, 'build cache entry', 'build cache entries'),
      Array.isArray(details.volumesDeleted) &&
        details.volumesDeleted.length > 0 &&
        plural(details.volumesDeleted.length, 'volume'),
    ].filter(Boolean);
    lines.push(`*Reclaimed:* ${bytes(reclaimed)}${parts.length ? ` (${parts.join(', ')} removed)` : ''}`);
  }
  const before = num(details.before);
  const after = num(details.after);
  if (before !== undefined && after !== undefined) {
    const max = num(details.max);
    lines.push(
      `*Replicas:* ${before} → ${after}${max !== undefined ? ` (max ${max})` : ''}${str(details.service) ? ` of ${escCut(String(details.service), 200)}` : ''}`,
    );
  }
  for (const key of [
    'restarted',
    'alreadyRestarted',
    'started',
    'stopped',
    'containers',
    'created',
    'removed',
  ] as const) {
    const v = details[key];
    const names = Array.isArray(v) ? namesOf(v) : [];
    if (names.length > 0)
      lines.push(
        `*${key === 'alreadyRestarted' ? 'Already restarted' : key[0]!.toUpperCase() + key.slice(1)}:* ${escCut(names.join(', '), 600)}`,
      );
  }
  if (str(details.signal)) lines.push(`*Signal:* ${esc(String(details.signal))}`);
  if (Array.isArray(details.failed) && details.failed.length > 0)
    lines.push(`*Could not read:* ${escCut(details.failed.map(String).join('; '), 600)}`);
  return lines;
}

/** "running, healthy, exit 0, 2 restarts" from collect's inspect summary. */
function stateWords(inspect: Record<string, unknown> | undefined): string[] {
  if (!inspect || str(inspect.error)) return [];
  const words = [str(inspect.state) ?? '?'];
  if (str(inspect.health)) words.push(String(inspect.health));
  if (num(inspect.exitCode) !== undefined && inspect.running !== true) words.push(`exit ${String(inspect.exitCode)}`);
  if (inspect.oomKilled === true) words.push('OOM-killed');
  const restarts = num(inspect.restartCount);
  if (restarts) words.push(plural(restarts, 'restart'));
  return words;
}

/** "CPU 12.5%, memory 40.0 MiB of 256.0 MiB, 3 pids" from collect's stats sample. */
function statsWords(stats: Record<string, unknown> | undefined): string[] {
  if (!stats || str(stats.error)) return [];
  const cpu = num(stats.cpuPercent);
  const mem = num(stats.memoryBytes);
  const limit = num(stats.memoryLimitBytes);
  const periods = num(stats.periods);
  const throttled = num(stats.throttledPeriods);
  return [
    cpu !== undefined ? `CPU ${cpu.toFixed(1)}%` : '',
    mem !== undefined ? `memory ${bytes(mem)}${limit ? ` of ${bytes(limit)}` : ''}` : '',
    periods && throttled !== undefined ? `throttled ${Math.round((throttled / periods) * 100)}% of CFS periods` : '',
  ].filter(Boolean);
}

/**
 * collect's evidence, one block per container (at most three): its state, one stats sample,
 * how many processes, and the tail of its log. The whole evidence is in the history record.
 */
function evidenceBlocks(details: Record<string, unknown>): Block[] {
  const list = Array.isArray(details.containers) ? details.containers.map(obj) : [];
  const found = list.filter((c): c is Record<string, unknown> => !!c && ('logs' in c || 'inspect' in c));
  return found.slice(0, MAX_OUTPUTS).map((c) => {
    const logs = obj(c.logs);
    const top = obj(c.top);
    const processes = Array.isArray(top?.processes) ? top.processes.length : undefined;
    const facts = [
      ...stateWords(obj(c.inspect)),
      ...statsWords(obj(c.stats)),
      processes !== undefined ? plural(processes, 'process', 'processes') : '',
    ].filter(Boolean);
    const head = `*Evidence of* ${escCut(String(c.container ?? '?'), 200)}${facts.length ? `: ${esc(facts.join(', '))}` : ''}`;
    const text = str(logs?.text);
    const tail =
      text === undefined
        ? ''
        : `\n*Log tail* (${plural(num(logs?.lines) ?? 0, 'line')}${logs?.truncated ? ', cut' : ''})\n${codeBlock(text || '(empty)', OUTPUT_CHARS)}`;
    return { type: 'section', text: mrkdwn(head + tail) };
  });
}

/** Bounded exec output, one code block per container (at most three). */
function outputBlocks(details: Record<string, unknown>): Block[] {
  const outputs = Array.isArray(details.outputs) ? (details.outputs as Record<string, unknown>[]) : [];
  return outputs.slice(0, MAX_OUTPUTS).map((o) => {
    const out = [str(o.stdout), str(o.stderr)].filter((s) => s && s.trim()).join('\n');
    const head = `*Output of* ${escCut(String(o.container ?? '?'), 200)} (exit ${num(o.exitCode) ?? '?'}${o.truncated ? ', tail only' : ''})`;
    return { type: 'section', text: mrkdwn(`${head}\n${codeBlock(out || '(no output)', OUTPUT_CHARS)}`) };
  });
}

/** The lines of one step's reply: outcome, what it did, the verification, its details. */
function stepLines(rec: StepRecord, step: StepRef): string[] {
  const mark = STEP_MARK[rec.outcome] ?? '•';
  const took = rec.durationMs !== undefined ? ` in ${duration(rec.durationMs)}` : '';
  const attempts = rec.attempts > 1 ? ` · ${rec.attempts} attempts` : '';
  const lines = [
    `${mark} *Step ${step.index + 1}/${step.count} \`${esc(rec.name)}\`: ${esc(rec.outcome)}*${took}${attempts}`,
    `*Action:* \`${esc(rec.action)}\`${rec.targets.length ? ` → ${escCut(rec.targets.join(', '), 600)}` : ''}${rec.when !== 'always' ? ` (when ${escCut(rec.when, 200)})` : ''}`,
  ];
  if (rec.summary) lines.push(`*Result:* ${escCut(rec.summary, 800)}`);
  if (rec.verification) {
    const v = rec.verification;
    lines.push(
      `*Verification:* ${v.ok ? ':white_check_mark: passed' : ':x: failed'} — ${escCut(v.detail, 500)} (${duration(v.durationMs)})`,
    );
  }
  lines.push(...detailLines(rec.details ?? {}));
  return lines;
}

function finishedLines(e: LifecycleEventOf<'job.finished'>, data: RemediationJobData): string[] {
  const s = STATE_LABEL[e.outcome];
  const r: RemediationJobResult | undefined = e.result;
  const steps = r?.steps ?? [];
  const attempts = stepsOf(data.remediation, data.phase)[0]?.retry.attempts ?? 1;
  const lines = [
    steps.length > 1
      ? `${s.emoji} *${s.text}*${r ? ` in ${duration(r.durationMs)}` : ''} · ${steps.length} steps: ${steps.map((st) => `${STEP_MARK[st.outcome] ?? '•'} ${esc(st.name)}`).join(' · ')}`
      : `${s.emoji} *${s.text}*${r ? ` in ${duration(r.durationMs)}` : ''} · attempt ${e.attempts || 1}/${attempts}`,
  ];
  if (r) {
    lines.push(
      `*Action:* \`${esc(r.action)}\`${r.targets.length ? ` → ${escCut(r.targets.join(', '), 600)}` : ''}${r.dryRun ? ' (dry run: no Docker call made)' : ''}`,
    );
    if (r.summary) lines.push(`*Result:* ${escCut(r.summary, 800)}`);
    if (r.verification) {
      const v = r.verification;
      lines.push(
        `*Verification:* ${v.ok ? ':white_check_mark: passed' : ':x: failed'} — ${escCut(v.detail, 500)} (${duration(v.durationMs)})`,
      );
    }
    lines.push(...detailLines(r.details));
  }
  if (e.reason) lines.push(`*Reason:* ${escCut(e.reason, 1200)}`);
  return lines;
}

/** The reply for one event, or undefined when the event only changes the parent. */
export function renderReply(e: LifecycleEvent): SlackMessage | undefined {
  const { data, jobId } = e;
  const prefix = data.phase === 'resolve' ? '*On resolve* · ' : '';
  let lines: string[];
  let extra: Block[] = [];
  switch (e.type) {
    case 'step.finished':
      lines = stepLines(e.record, e.step);
      extra = [...outputBlocks(e.record.details ?? {}), ...evidenceBlocks(e.record.details ?? {})];
      break;
    case 'job.retrying':
      lines = [
        `${STATE_LABEL.retrying.emoji} *${e.step && e.step.count > 1 ? `Step ${e.step.index + 1}/${e.step.count} \`${esc(e.step.name)}\`: a` : 'A'}ttempt ${e.attempt}/${e.attempts} failed*, retrying after a backoff`,
        `*Reason:* ${escCut(e.reason, 1500)}`,
      ];
      break;
    case 'job.finished':
      // A job that failed for good and escalates: the escalation message says it all.
      if (!e.result && escalates(e)) return undefined;
      lines = finishedLines(e, data);
      extra = e.result ? [...outputBlocks(e.result.details), ...evidenceBlocks(e.result.details)] : [];
      break;
    case 'job.cancelled':
      lines = [`${STATE_LABEL.cancelled.emoji} *Cancelled* before it ran: ${escCut(e.reason, 1000)}`];
      break;
    case 'approval.answered':
      lines = [
        `${e.step && e.step.count > 1 ? `Step ${e.step.index + 1}/${e.step.count} \`${esc(e.step.name)}\`: ` : ''}${approvalAnswerText(e)}`,
      ];
      break;
    default:
      return undefined;
  }
  const body = cut(prefix + lines.join('\n'), LIMITS.text);
  const blocks: Block[] = [
    { type: 'section', text: mrkdwn(body) },
    ...extra,
    { type: 'context', elements: [mrkdwn(`job \`${escCut(jobId, 300)}\``)] },
  ];
  return { text: cut(`${prefix}${lines[0] ?? ''}`, 500), blocks };
}

/**
 * The escalation: mentions the remediation's on-call handle and says why a human is needed.
 * Posted as a new message (an edit never notifies anyone), and broadcast to the channel.
 */
export function renderEscalation(e: LifecycleEvent, handle?: string): SlackMessage | undefined {
  if (e.type !== 'job.finished' || !escalates(e)) return undefined;
  const { data, jobId } = e;
  const who = mention(handle ?? data.remediation.notify.mention);
  // With link_names on, a bare @word in alert text would ping too: defang every alert string.
  const safe = (s: string) => (who?.linkNames ? defang(s) : s);
  const alertname = safe(escCut(data.alert.labels.alertname ?? 'alert', 200));
  const why = escalationReason(escalationCode(e), e.outcome);
  const last = e.reason ?? e.result?.summary;
  const lines = [
    `${who ? `${who.text} ` : ''}:rotating_light: *A human is needed* for *${alertname}* (${safe(escCut(data.remediation.id, 200))}): ${why}.`,
    ...(last ? [`*Last error:* ${safe(escCut(last, 1500))}`] : []),
    `Remediator will not try again for this alert episode.`,
  ];
  const body = cut(lines.join('\n'), LIMITS.text);
  return {
    text: cut(`${who ? `${who.text} ` : ''}A human is needed for ${alertname}: ${why}`, 500),
    blocks: [
      { type: 'section', text: mrkdwn(body) },
      { type: 'context', elements: [mrkdwn(`job \`${escCut(jobId, 300)}\``)] },
    ],
    linkNames: who?.linkNames ?? false,
    broadcast: true,
  };
}
