import { beforeAll, describe, expect, it } from 'vitest';
import { createCatalog, type Catalog } from '../../../src/catalog/catalog.js';
import { loadRemediations, parseRemediation } from '../../../src/catalog/load.js';
import type { GuardView } from '../../../src/guards/index.js';
import { simulate, type SimulateDeps } from '../../../src/simulate/index.js';
import { FakeDocker, container } from '../actions/fake-docker.js';
import { REMEDIATIONS_DIR, fixture } from '../fixtures.js';

// The planner against the shipped remediations and the captured payloads, with an in-memory
// Docker and guard/episode reads whose answers each test sets: every decision it can reach.

const FIRE_ID = 'high-latency.3e03c1ad0d5013c4.1795780469137';

function freeGuards(over: Partial<GuardView> = {}): GuardView {
  return {
    blocker: undefined,
    lock: { holder: undefined, identity: undefined, ttlMs: 0 },
    cooldown: { holder: undefined, subject: undefined, remainingMs: 0, configuredMs: 0 },
    budget: { runsInWindow: 0, limit: undefined, windowMs: undefined, reopensInMs: 0 },
    inFlight: { used: 0, max: 10 },
    share: undefined,
    ...over,
  };
}

interface World {
  docker: FakeDocker;
  episodes: Map<string, string>;
  resolved: Set<string>;
  states: Map<string, string>;
  guards: GuardView;
  peeks: { locks: string[]; host: string }[];
}

let shipped: Catalog;
beforeAll(async () => {
  shipped = createCatalog(REMEDIATIONS_DIR, await loadRemediations(REMEDIATIONS_DIR));
});

function world(containers = [container('api')]): World {
  return {
    docker: new FakeDocker(containers),
    episodes: new Map(),
    resolved: new Set(),
    states: new Map(),
    guards: freeGuards(),
    peeks: [],
  };
}

function deps(w: World, over: Partial<SimulateDeps> = {}): SimulateDeps {
  return {
    catalog: () => shipped,
    docker: w.docker,
    guards: { peek: async (r) => (w.peeks.push({ locks: r.locks, host: r.host }), w.guards) },
    reads: {
      episode: async (_host, id) => w.episodes.get(id),
      resolved: async (_host, id) => w.resolved.has(id),
      jobState: async (_host, id) => w.states.get(id) ?? 'unknown',
    },
    config: { dryRun: false, optInLabel: 'remediator.enable', maxInFlight: 10 },
    ...over,
  };
}

const jobOf = (r: Awaited<ReturnType<typeof simulate>>, remediation = 'high-latency') =>
  r.alerts[0]!.remediations.find((x) => x.remediation === remediation)!.jobs;

describe('simulate: matching', () => {
  it("shows every remediation with each matcher's result and the label value it saw", async () => {
    const w = world();
    const r = await simulate(fixture('firing-high-latency'), deps(w));
    const byId = Object.fromEntries(r.alerts[0]!.remediations.map((x) => [x.remediation, x]));
    expect(byId['high-latency']!.matched).toBe(true);
    expect(byId['high-latency']!.matchers).toEqual([
      { text: 'alertname="HighLatency"', label: 'alertname', value: 'HighLatency', ok: true },
      { text: 'container=~".+"', label: 'container', value: 'api', ok: true },
    ]);
    expect(byId['disk-full']!.matched).toBe(false);
    expect(byId['disk-full']!.matchers[0]).toMatchObject({ label: 'alertname', value: 'HighLatency', ok: false });
    expect(byId['disk-full']!.jobs).toEqual([]);
    expect(r.summary).toMatchObject({ alerts: 1, unmatched: 0, enqueue: 1, duplicate: 0, act: 1 });
  });

  it('an alert without the label a matcher needs shows the label as absent and matches nothing', async () => {
    const body = fixture('firing-high-latency');
    delete body.alerts[0]!.labels.container;
    const r = await simulate(body, deps(world()));
    const hl = r.alerts[0]!.remediations.find((x) => x.remediation === 'high-latency')!;
    expect(hl.matchers[1]).toEqual({ text: 'container=~".+"', label: 'container', value: null, ok: false });
    expect(r.summary.unmatched).toBe(1);
  });

  it('every alert of a grouped payload is planned (two disk_full alerts, host-wide prune)', async () => {
    const w = world();
    const r = await simulate(fixture('grouped-truncated-disk-full'), deps(w));
    expect(r.truncatedAlerts).toBe(1);
    expect(
      r.alerts.map((a) =>
        a.remediations.find((x) => x.remediation === 'disk-full')!.jobs.map((j) => j.webhook.decision),
      ),
    ).toEqual([['enqueue'], ['enqueue']]);
    const job = r.alerts[1]!.remediations.find((x) => x.remediation === 'disk-full')!.jobs[0]!;
    // Step 1 looks up the containers that declare a cleanup command (none here: nothing to do);
    // step 2 prunes host-wide: no lookup.
    expect(job.steps.map((st) => [st.name, st.decision.decision])).toEqual([
      ['cleanup', 'act'],
      ['prune', 'act'],
    ]);
    expect(job.steps[1]!.target).toMatchObject({
      scope: 'host',
      description: 'the Docker host local',
      locks: ['host'],
    });
    expect(w.docker.calls.map((c) => c.method)).toEqual(['listContainers', 'listContainers']); // one per alert
  });
});

describe('simulate: the webhook side', () => {
  it('a new episode would be queued; an episode on record is a duplicate and says its state', async () => {
    const w = world();
    expect(jobOf(await simulate(fixture('firing-high-latency'), deps(w)))[0]!.webhook).toMatchObject({
      decision: 'enqueue',
      episode: undefined,
    });
    w.episodes.set(FIRE_ID, 'succeeded');
    const [job] = jobOf(await simulate(fixture('firing-high-latency'), deps(w)));
    expect(job!.jobId).toBe(FIRE_ID);
    expect(job!.webhook).toMatchObject({ decision: 'duplicate', episode: 'succeeded' });
    expect(job!.webhook.detail).toMatch(/already handled \(succeeded\)/);
  });

  it('a resolved alert cancels a job that still waits, and leaves a running one alone', async () => {
    const w = world();
    w.states.set(FIRE_ID, 'delayed');
    let [fire] = jobOf(await simulate(fixture('resolved-high-latency'), deps(w)));
    expect(fire!.webhook.decision).toBe('cancel');
    expect(fire!.worker).toBeUndefined();
    w.states.set(FIRE_ID, 'active');
    [fire] = jobOf(await simulate(fixture('resolved-high-latency'), deps(w)));
    expect(fire!.webhook).toMatchObject({
      decision: 'leave',
      detail: 'the job is running: it stops before its next step',
    });
  });

  it('a resolved alert of a remediation with onResolved also plans the onResolved job', async () => {
    const w = world([container('w-1', { labels: { 'com.docker.compose.service': 'worker' } })]);
    const body = fixture('firing-queue-depth-high');
    body.alerts[0]!.status = 'resolved';
    const jobs = jobOf(await simulate(body, deps(w)), 'queue-depth-high');
    expect(jobs.map((j) => [j.phase, j.action, j.webhook.decision])).toEqual([
      ['fire', 'scale', 'leave'],
      ['resolve', 'scale', 'enqueue'],
    ]);
    expect(jobs[1]!.jobId).toMatch(/\.resolved$/);
    expect(jobs[1]!.target).toMatchObject({
      description: 'service worker',
      exists: true,
      containers: [{ name: 'w-1', running: true, optedIn: true }],
    });
  });
});

describe('simulate: target and guards, as a worker would decide now', () => {
  it('a label that is not a Docker name is refused before Docker is asked', async () => {
    const w = world();
    const body = fixture('firing-high-latency');
    body.alerts[0]!.labels.container = 'api;rm -rf /';
    const [job] = jobOf(await simulate(body, deps(w)));
    expect(job!.target?.refused).toMatch(/target refused: labels\.container/);
    expect(job!.worker?.decision).toBe('refused');
    expect(w.docker.calls).toEqual([]);
    expect(w.peeks).toEqual([]);
  });

  it('a missing container is not_found; one without the opt-in label is refused, and both are listed as they are', async () => {
    let [job] = jobOf(await simulate(fixture('firing-high-latency'), deps(world([]))));
    expect(job!.target).toMatchObject({ exists: false, containers: [] });
    expect(job!.worker).toMatchObject({ decision: 'not_found' });
    const w = world([container('api', { labels: { 'remediator.enable': 'false' } })]);
    [job] = jobOf(await simulate(fixture('firing-high-latency'), deps(w)));
    expect(job!.target).toMatchObject({ exists: true, containers: [{ name: 'api', running: true, optedIn: false }] });
    expect(job!.worker?.decision).toBe('refused');
    expect(job!.worker?.detail).toMatch(/remediator\.enable=true/);
  });

  it.each<[string, Partial<GuardView>, string]>([
    [
      'a lock held by another job',
      { blocker: 'lock', lock: { holder: 'other-job', identity: 'container/api', ttlMs: 30_000 } },
      'wait',
    ],
    [
      'an active cooldown',
      {
        blocker: 'cooldown',
        cooldown: { holder: 'earlier-job', subject: 'container/api', remainingMs: 60_000, configuredMs: 300_000 },
      },
      // Deferred, never skipped: the worker would wait the cooldown out and check again.
      'deferred',
    ],
    [
      'a spent budget',
      { blocker: 'circuit_open', budget: { runsInWindow: 3, limit: 3, windowMs: 3_600_000, reopensInMs: 60_000 } },
      'circuit_open',
    ],
    ['every in-flight slot taken', { blocker: 'in_flight', inFlight: { used: 10, max: 10 } }, 'wait'],
  ])('%s stops it: %s', async (_name, guards, decision) => {
    const w = world();
    w.guards = freeGuards(guards);
    const [job] = jobOf(await simulate(fixture('firing-high-latency'), deps(w)));
    expect(job!.worker?.decision).toBe(decision);
    // The guards asked are those of what the target resolved to, on its host.
    expect(w.peeks[0]).toEqual({ locks: ['container/api'], host: 'local' });
  });

  it('global dry-run says what it would do and what the guards would say', async () => {
    const w = world();
    w.guards = freeGuards({
      blocker: 'cooldown',
      cooldown: { holder: 'x', subject: 'container/api', remainingMs: 5_000, configuredMs: 60_000 },
    });
    const [job] = jobOf(
      await simulate(
        fixture('firing-high-latency'),
        deps(w, { config: { dryRun: true, optInLabel: 'remediator.enable', maxInFlight: 10 } }),
      ),
    );
    expect(job!.dryRun).toEqual({ global: true, remediation: false });
    expect(job!.worker?.decision).toBe('dry_run');
    expect(job!.worker?.detail).toMatch(/DRY_RUN=true.*would restart api.*guards would stop it: deferred \(.*cooldown/);
  });

  it('a remediation with dryRun: true and a delay says both', async () => {
    const { remediation } = parseRemediation(
      'x/slow.yaml',
      'match: alertname="HighLatency"\ntarget:\n  container: "{{ labels.container }}"\naction:\n  type: restart\ndelay: 30s\ndryRun: true\n',
    );
    const w = world();
    const r = await simulate(
      fixture('firing-high-latency'),
      deps(w, { catalog: () => createCatalog('x', [remediation!]) }),
    );
    const [job] = jobOf(r, 'slow');
    expect(job!.delayMs).toBe(30_000);
    expect(job!.worker?.detail).toMatch(/slow has dryRun: true.*after the 30s delay/);
  });

  it('Alertmanager already said the episode resolved: the job would do nothing', async () => {
    const w = world();
    w.resolved.add(FIRE_ID);
    expect(jobOf(await simulate(fixture('firing-high-latency'), deps(w)))[0]!.worker?.decision).toBe('cancelled');
  });

  it('without Docker in this process the target is not looked up, and the plan says so', async () => {
    const w = world();
    const [job] = jobOf(await simulate(fixture('firing-high-latency'), deps(w, { docker: undefined })));
    expect(job!.target?.exists).toBeUndefined();
    expect(job!.worker?.detail).toMatch(/not looked up/);
  });

  it('never calls a Docker method that changes anything', async () => {
    const w = world([container('api'), container('w-1', { labels: { 'com.docker.compose.service': 'worker' } })]);
    for (const name of [
      'firing-high-latency',
      'firing-queue-depth-high',
      'firing-disk-full',
      'resolved-high-latency',
    ] as const) {
      await simulate(fixture(name), deps(w));
    }
    expect(w.docker.mutatingCalls()).toEqual([]);
    expect(new Set(w.docker.calls.map((c) => c.method))).toEqual(new Set(['listContainers']));
  });
});
