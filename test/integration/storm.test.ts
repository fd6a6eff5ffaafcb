// An alert storm across an HA pair: 1,000 alerts in 50 groups, each group delivered three
// times, some to a second remediator instance sharing the Redis. One job per episode, never
// two actions on one target at once, and the circuit opens exactly at the budget.
import Docker from 'dockerode';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { anyOverlap, recordEvents, type EventRecorder } from '../support/docker-events.js';
import { fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('storm');
const TARGETS = 10;
const BUDGET = 3;
const hs: Harness[] = [];
let events: EventRecorder | undefined;
afterAll(async () => {
  await events?.stop();
  await Promise.all(hs.map((h) => h.stop().catch(() => undefined)));
  await removeContainers(docker, p);
});

describe('storm through an HA pair', () => {
  it('1,000 alerts x 3 deliveries: exactly 1,000 jobs, serialised per target, circuit at the budget', async () => {
    const names = Array.from({ length: TARGETS }, (_, i) => `${p}c${i}`);
    await Promise.all(
      names.map((name) => createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } })),
    );
    const dir = await remediationsDir({
      'cheap.yaml': [
        'match: alertname="HighLatency"',
        'target:',
        '  container: "{{ labels.container }}"',
        'action:',
        '  type: exec',
        '  command: ["true"]',
        'guards:',
        `  budget: { runs: ${BUDGET}, window: 1h }`,
      ].join('\n'),
    });
    const env = { WORKER_CONCURRENCY: '8', MAX_IN_FLIGHT: '20' };
    const a = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: dir,
      env,
    });
    hs.push(a);
    const b = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: dir,
      env,
      prefix: a.prefix,
    });
    hs.push(b);

    const template = (await fixture('firing-high-latency.json')).alerts[0];
    const bodies = await Promise.all(
      Array.from({ length: 50 }, async (_, g) => {
        const body = await fixture('firing-high-latency.json');
        body.alerts = Array.from({ length: 20 }, (_, i) => {
          const n = g * 20 + i;
          const alert = structuredClone(template);
          alert.labels = { ...alert.labels, container: names[n % TARGETS], instance: `i${n}` };
          alert.fingerprint = n.toString(16).padStart(16, '0');
          return alert;
        });
        return body;
      }),
    );

    // Docker's events, live: --since would replay only the engine's last 256, far fewer than this run makes.
    events = await recordEvents(docker);
    // Each group three times; the second delivery goes to the other instance (HA pair).
    const t0 = Date.now();
    const statuses: number[] = [];
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(bodies.map((body, g) => ((g + round) % 2 === 0 ? a : b).post(body)));
      statuses.push(...results.map((r) => r.status));
    }
    const acceptMs = Date.now() - t0;
    expect(statuses.every((s) => s === 202)).toBe(true);
    const counts = await a.runtime.queue.getJobCounts(
      'waiting',
      'delayed',
      'active',
      'completed',
      'failed',
      'prioritized',
    );
    expect(Object.values(counts).reduce((x, y) => x + y, 0)).toBe(1000);

    // Drain.
    const deadline = Date.now() + 120_000;
    let finished = 0;
    while (Date.now() < deadline) {
      const c = await a.runtime.queue.getJobCounts('completed', 'failed');
      finished = c.completed! + c.failed!;
      if (finished === 1000) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(finished).toBe(1000);
    const drainMs = Date.now() - t0;

    const seen = [...a.seen, ...b.seen];
    const outcomes = new Map<string, number>();
    for (const e of seen.filter((x) => x.name === 'job.finished'))
      outcomes.set(e.outcome!, (outcomes.get(e.outcome!) ?? 0) + 1);
    expect(Object.fromEntries(outcomes)).toEqual({
      succeeded: TARGETS * BUDGET,
      circuit_open: 1000 - TARGETS * BUDGET,
    });

    // Per target: exactly BUDGET actions, never two at once (across both instances), as the
    // engine saw them.
    await events.sync(names[0]!);
    const windows = events.windows('exec', (e) => names.includes(e.name));
    for (const name of names) {
      const mine = windows.filter((w) => w.container === name);
      expect(mine).toHaveLength(BUDGET);
      expect(anyOverlap(mine)).toBe(false);
    }
    console.log(
      `[storm] 3,000 deliveries of 1,000 alerts accepted in ${acceptMs} ms; all 1,000 jobs finished after ${drainMs} ms`,
    );
  }, 180_000);
});
