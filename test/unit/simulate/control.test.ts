import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../../src/catalog/catalog.js';
import { parseRemediation } from '../../../src/catalog/load.js';
import type { EngineControl } from '../../../src/engine/control.js';
import type { Approval } from '../../../src/guards/approvals.js';
import type { RateView } from '../../../src/guards/fleet-rate.js';
import { unaskedGuardView, type GuardView } from '../../../src/guards/index.js';
import type { Pause } from '../../../src/guards/pauses.js';
import { simulate, type SimulateDeps } from '../../../src/simulate/index.js';
import { FakeDocker, container } from '../actions/fake-docker.js';
import { fixture } from '../fixtures.js';

// The planner with the operator's controls: a pause, an approval and the blast-radius limits
// show as the decisions a worker would take (paused, awaiting_approval, denied, deferred), read
// from in-memory pauses, approvals and rate window, never written.

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);

function file(name: string, text: string) {
  const { remediation, problems } = parseRemediation(`x/${name}.yaml`, text);
  expect(problems).toEqual([]);
  return remediation!;
}

const restart = (extra = '') =>
  file(
    'restart',
    `match: alertname="HighLatency"\ntarget:\n  container: "{{ labels.container }}"\n${extra}action:\n  type: restart\nguards:\n  cooldown: 5m\n`,
  );
const recreate = file(
  'recreate',
  'match: alertname="HighLatency"\ntarget:\n  container: "{{ labels.container }}"\naction:\n  type: recreate\n',
);

interface World {
  pauses: Pause[];
  approvals: Map<string, Approval>;
  rate: RateView;
  guards: GuardView;
  writes: string[];
}

function control(w: World): EngineControl {
  const write = (what: string) => async () => {
    w.writes.push(what);
    throw new Error(`simulate wrote: ${what}`);
  };
  return {
    pauses: {
      current: async () => ({ version: '1', pauses: w.pauses }),
      changedSince: async () => false,
      hold: write('hold'),
    },
    approvals: {
      get: async (id) => w.approvals.get(id),
      request: write('request'),
      expire: write('expire'),
      cancel: write('cancel'),
    },
    fleetRate: { peek: async () => w.rate, take: write('take'), giveBack: write('giveBack') },
    approvalTimeoutMs: 900_000,
    approvalAboveContainers: 5,
  };
}

function deps(w: World, remediations = [restart()], docker = new FakeDocker([container('api')])): SimulateDeps {
  return {
    catalog: () => createCatalog('x', remediations),
    docker,
    guards: { peek: async () => w.guards },
    reads: { episode: async () => undefined, resolved: async () => false, jobState: async () => 'unknown' },
    config: { dryRun: false, optInLabel: 'remediator.enable', maxInFlight: 10 },
    control: control(w),
    now: () => new Date(NOW),
  };
}

function world(over: Partial<World> = {}): World {
  return {
    pauses: [],
    approvals: new Map(),
    rate: { used: 0, limit: 30, blocked: false, retryInMs: 0 },
    guards: unaskedGuardView(restart(), 10),
    writes: [],
    ...over,
  };
}

const worker = async (w: World, d = deps(w)) => {
  const r = await simulate(fixture('firing-high-latency'), d);
  const job = r.alerts[0]!.remediations.find((x) => x.matched)!.jobs[0]!;
  expect(w.writes).toEqual([]);
  return job;
};

describe('simulate: the operator in control', () => {
  it('shows a job held by a pause of its target as paused, with who, until when and why', async () => {
    const w = world({
      pauses: [
        {
          id: 'target:local/api',
          scope: { kind: 'target', host: 'local', name: 'api' },
          by: 'alice',
          reason: 'debugging the leak',
          createdAt: NOW - 60_000,
          until: NOW + 3_600_000,
        },
      ],
    });
    const job = await worker(w);
    expect(job.worker).toEqual({
      decision: 'paused',
      detail:
        'paused by alice until 2030-01-01T13:00:00Z (target local/api): debugging the leak; held, not dropped: it acts once resumed',
    });
    expect(job.steps[0]!.control?.pause).toMatchObject({ id: 'target:local/api', by: 'alice' });
  });

  it('a pause of another target, or one that ended, holds nothing', async () => {
    const other: Pause = {
      id: 'target:local/web',
      scope: { kind: 'target', host: 'local', name: 'web' },
      by: 'a',
      reason: 'r',
      createdAt: NOW - 10,
      until: NOW + 10_000,
    };
    const ended: Pause = { ...other, id: 'all', scope: { kind: 'all' }, until: NOW - 1 };
    expect((await worker(world({ pauses: [other, ended] }))).worker?.decision).toBe('act');
  });

  it('a recreate (policy) shows as awaiting an approval not asked yet, then as the answer says', async () => {
    const w = world();
    const job = await worker(w, deps(w, [recreate]));
    expect(job.worker?.decision).toBe('awaiting_approval');
    expect(job.worker?.detail).toMatch(
      /^needs an approval \(policy: recreate replaces the container with a new one\) to recreate api.*approve or deny [0-9a-f]{12} by 2030-01-01T12:15:00Z, else it escalates/,
    );
    const id = job.steps[0]!.control!.approval.required ? job.steps[0]!.control!.approval.id : '';
    const base: Approval = {
      id,
      jobId: job.jobId,
      host: 'local',
      remediation: 'recreate',
      alertname: 'HighLatency',
      step: { index: 0, name: 'recreate', action: 'recreate' },
      describe: 'recreate api',
      why: 'policy',
      requestedAt: NOW - 1_000,
      deadline: NOW + 60_000,
      state: 'pending',
    };
    w.approvals.set(id, { ...base, state: 'denied', answer: { by: 'bob', at: NOW, reason: 'no', via: 'slack' } });
    expect((await worker(w, deps(w, [recreate]))).worker?.decision).toBe('denied');
    w.approvals.set(id, { ...base, state: 'approved', answer: { by: 'bob', at: NOW, reason: 'ok', via: 'cli' } });
    expect((await worker(w, deps(w, [recreate]))).worker?.decision).toBe('act');
    w.approvals.set(id, { ...base, deadline: NOW - 1 });
    expect((await worker(w, deps(w, [recreate]))).worker?.decision).toBe('approval_expired');
  });

  it('a cooldown, the fleet rate and minHealthy show as deferred', async () => {
    const cooling = world({
      guards: {
        ...unaskedGuardView(restart(), 10),
        blocker: 'cooldown',
        cooldown: { holder: 'j0', subject: 'container/api', remainingMs: 90_000, configuredMs: 300_000 },
      },
    });
    expect((await worker(cooling)).worker).toMatchObject({
      decision: 'deferred',
      detail: expect.stringMatching(/cooldown, 90s left; it waits it out, then acts if the alert still fires/),
    });
    const busy = world({ rate: { used: 30, limit: 30, blocked: true, retryInMs: 20_000 } });
    expect((await worker(busy)).worker).toMatchObject({
      decision: 'deferred',
      detail: expect.stringMatching(/MAX_DISRUPTIVE_PER_MINUTE 30\): it waits 20s/),
    });
    const replica = (n: number) =>
      container(n === 1 ? 'api' : `api-${n}`, {
        labels: {
          'remediator.enable': 'true',
          'com.docker.compose.service': 'api',
          'com.docker.compose.project': 'shop',
        },
      });
    const thin = world();
    const job = await worker(
      thin,
      deps(thin, [restart('  minHealthy: "100%"\n')], new FakeDocker([replica(1), replica(2)])),
    );
    expect(job.worker).toMatchObject({
      decision: 'deferred',
      detail: 'service api has 2 healthy replicas: acting on 1 more would leave fewer than minHealthy 2; it waits',
    });
  });
});
