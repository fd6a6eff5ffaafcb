// The effectiveness scenarios run through the real pipeline (harness: real Redis, real Docker
// Engine): a restart that holds, a restart that needs a second step, a fix that does not hold
// (three successes, each followed by the same alert again, then an open circuit), and a
// cooldown skip; every episode resolved with a payload derived from Alertmanager's resolved
// fixture. Docker's event stream is recorded live while they run (`docker events --since`
// keeps only 256 events), so a test can check the stats against what the engine itself saw.
import { pollUntil } from '../../scripts/lib/procs.js';
import type Docker from 'dockerode';
import { expect } from 'vitest';
import { createTestContainer } from './docker.js';
import { fixture, type Harness } from './harness.js';

export const SCENARIO_FILES: Record<string, string> = {
  'holds.yaml': [
    'match: alertname="EffHolds"',
    'target: { container: "{{ labels.container }}" }',
    'action: { type: restart, stopTimeoutSeconds: 1 }',
    'verify: { running: true, within: 10s }',
    'retry: { attempts: 1 }',
  ].join('\n'),
  'ladder.yaml': [
    'match: alertname="EffLadder"',
    'target: { container: "{{ labels.container }}" }',
    'steps:',
    '  - name: restart',
    '    action: { type: restart, stopTimeoutSeconds: 1 }',
    // vector(0) is one series valued 0: never "empty or all true", so this verification fails.
    '    verify: { running: true, within: 10s, query: "vector(0)", queryWithin: 2s }',
    '    retry: { attempts: 1 }',
    '    onFailure: next',
    '  - name: cleanup',
    '    action: { type: exec, command: ["sh", "-c", "echo cleaned 3 files; echo done >&2"] }',
    '    verify: { running: true, within: 10s }',
    '    retry: { attempts: 1 }',
  ].join('\n'),
  'flaky.yaml': [
    'match: alertname="EffFlaky"',
    'target: { container: "{{ labels.container }}" }',
    'action: { type: restart, stopTimeoutSeconds: 1 }',
    'verify: { running: true, within: 10s }',
    'retry: { attempts: 1 }',
    'guards:',
    '  recurrence: { within: 1h, maxRate: 0.5, minRuns: 3 }',
  ].join('\n'),
  'cool.yaml': [
    'match: alertname="EffCool"',
    'target: { container: "{{ labels.container }}" }',
    'action: { type: restart, stopTimeoutSeconds: 1 }',
    'verify: { running: true, within: 10s }',
    'retry: { attempts: 1 }',
    'guards: { cooldown: 10m }',
  ].join('\n'),
};

/** One episode as the test sent it: the payload's times and what the job became. */
export interface SentEpisode {
  remediation: string;
  container: string;
  fingerprint: string;
  jobId: string;
  startsAt: string;
  endsAt: string;
  /** Before the firing POST was sent, and once its job had finished: Docker events between are its. */
  sentAt: number;
  doneAt: number;
  outcome: string;
  failedReason: string | undefined;
}

export interface DockerEvent {
  name: string;
  action: string;
  at: number;
}

/** `docker events` for containers named with `prefix`, recorded live until stop(). */
export async function recordDockerEvents(docker: Docker, prefix: string) {
  const events: DockerEvent[] = [];
  const stream = (await docker.getEvents({ filters: { type: ['container'] } })) as unknown as NodeJS.ReadableStream & {
    destroy(): void;
  };
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      const e = JSON.parse(line) as { Action: string; timeNano: number; Actor: { Attributes: { name?: string } } };
      const name = e.Actor.Attributes.name ?? '';
      if (name.startsWith(prefix)) events.push({ name, action: e.Action.split(':')[0]!, at: e.timeNano / 1e6 });
    }
  });
  return {
    events,
    stop: () => stream.destroy(),
  };
}

/** Alertmanager's way of writing a time: nanoseconds (the fixtures have them). */
const amTime = (ms: number) => new Date(ms).toISOString().replace('Z', '123456Z');

export async function runScenarios(h: Harness, docker: Docker, p: string): Promise<SentEpisode[]> {
  for (const c of ['holds', 'ladder', 'flaky', 'cool'])
    await createTestContainer(docker, { name: `${p}${c}`, labels: { 'remediator.enable': 'true' } });
  const sent: SentEpisode[] = [];
  // A new episode of an alert starts after the last one ended, as Alertmanager's do.
  const lastEnd = new Map<string, number>();

  /** `heldThenResolved`: the job meets a cooldown and waits; the alert resolves meanwhile. */
  async function episode(
    remediation: string,
    alertname: string,
    fingerprint: string,
    container: string,
    heldThenResolved = false,
  ) {
    const body = await fixture('firing-high-latency.json');
    const startsAt = amTime(Math.max(Date.now() - 1_500, (lastEnd.get(fingerprint) ?? 0) + 10));
    Object.assign(body.alerts[0], { fingerprint, startsAt });
    Object.assign(body.alerts[0].labels, { alertname, container, instance: fingerprint });
    const sentAt = Date.now();
    const res = await h.post(body);
    expect(res.status).toBe(202);
    const jobId: string = res.body.jobs[0].jobId;
    const resolve = async () => {
      const resolved = await fixture('resolved-high-latency.json');
      const endsAt = new Date().toISOString();
      Object.assign(resolved.alerts[0], { fingerprint, startsAt, endsAt });
      Object.assign(resolved.alerts[0].labels, { alertname, container, instance: fingerprint });
      expect((await h.post(resolved)).status).toBe(202);
      return endsAt;
    };
    let endsAt = '';
    if (heldThenResolved) {
      await pollUntil('the job waits out the cooldown', 20_000, async () => {
        const j = await h.runtime.queue.getJob(jobId);
        return (j?.progress as { outcome?: string } | undefined)?.outcome === 'waiting (cooldown)';
      });
      endsAt = await resolve();
    }
    // A waiting job its resolve cancels is removed from the queue: its end is in history.
    let job: { failedReason?: string | undefined };
    if (heldThenResolved) {
      await pollUntil(
        'the cancelled job in history',
        20_000,
        async () => (await h.runtime.history.get(jobId))?.outcome === 'cancelled',
      );
      job = { failedReason: undefined };
    } else job = await h.waitForJob(jobId);
    const doneAt = Date.now();
    if (!heldThenResolved) endsAt = await resolve();
    lastEnd.set(fingerprint, Date.parse(endsAt));
    // The outcome is in history before the job is marked done (a durable subscriber).
    const outcome = (await h.runtime.history.get(jobId))?.outcome ?? '';
    sent.push({
      remediation,
      container,
      fingerprint,
      jobId,
      startsAt,
      endsAt,
      sentAt,
      doneAt,
      outcome,
      failedReason: job.failedReason,
    });
  }

  await episode('holds', 'EffHolds', 'e0000000000000a1', `${p}holds`);
  await episode('ladder', 'EffLadder', 'e0000000000000b1', `${p}ladder`);
  // The same alert (fingerprint) four times: each new episode re-fires after a success.
  for (let i = 0; i < 4; i++) await episode('flaky', 'EffFlaky', 'e0000000000000c1', `${p}flaky`);
  // Two alerts for one container: the second meets the first's cooldown, waits it out, and its
  // alert resolves meanwhile: cancelled, nothing done.
  await episode('cool', 'EffCool', 'e0000000000000d1', `${p}cool`);
  await episode('cool', 'EffCool', 'e0000000000000d2', `${p}cool`, true);
  return sent;
}
