// Seed runbooks end to end, every program real, one stack for four scenarios (fault ->
// Prometheus fires -> Alertmanager delivers -> remediator acts -> verified -> resolved):
// - WorkerDown (AI-agents platform): a consumer replica crashes leaving a corrupt checkpoint in
//   its container layer -> `start` brings it back but it exits again (verification fails) ->
//   `recreate` replaces it with a clean container from the same configuration;
// - ServiceDown (self-healing MLOps): the dependency's server dies inside its container; the
//   API that uses it is left with a broken pool -> the dependency restarted, then the API, in
//   that order, each verified healthy;
// - HighErrorRate (scientific agents): the agent answers 500s -> restarted, the errors stop;
// - HighErrorRate track="canary" (Seraphim): release 2 deployed as a canary fails every
//   request -> evidence collected, then rolled back to release 1, verified healthy.
// Each scenario asserts from Prometheus' and Alertmanager's APIs and Docker's own state, with
// `docker events` recorded live.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_IMAGE, DEMO_IMAGE_V2, crashWorker, deployCanary, killDependency, setErrorFault } from '../../demo/lib.js';
import { RECREATED_FROM_LABEL } from '../../src/actions/recreate-core.js';
import { queryValue, timeline, waitFor } from './support/stack.js';
import { alertGoesRound, alertResolves, startSeeds, type SeedStack } from './support/seeds.js';
import { recordEvents, type EventRecorder } from '../support/docker-events.js';

let s: SeedStack;
let rec: EventRecorder;

beforeAll(async () => {
  s = await startSeeds({
    tag: 'e2e-svc',
    parts: ['queue', 'deps', 'agent'],
    dockerHost: inject('dockerHost'),
    redisUrl: inject('redisUrl'),
  });
  rec = await recordEvents(s.docker);
});

afterAll(async () => {
  await rec?.stop();
  await s?.stop();
});

const inspect = (name: string) => s.docker.getContainer(name).inspect();
const health = async (name: string) => (await inspect(name)).State.Health?.Status;

describe('seed runbooks on services, real Prometheus -> Alertmanager -> remediator -> Docker', () => {
  it('WorkerDown: start brings back a replica that will not stay up, then recreate replaces it with a clean one', async () => {
    const t = timeline('WorkerDown');
    const { worker, workerService: service } = s.names;
    const isService = (l: Record<string, string>) => l.service === service;
    await waitFor(
      'the broker to count one running replica',
      async () => (await queryValue(s.stack.prometheus, `service_replicas_running{service="${service}"}`)) === 1,
      30_000,
    );
    const old = await crashWorker(s.docker, worker, { corrupt: true });
    t.mark('fault injected');
    expect([old.State.Status, old.State.ExitCode]).toEqual(['exited', 137]);

    const fire = await alertGoesRound(s, 'WorkerDown', isService, 'worker-down');
    t.mark('firing');
    expect(fire.firing.labels).toMatchObject({ severity: 'critical', job: 'demo-queue' });
    expect(Number(fire.firing.value)).toBe(1);

    const job = await s.h.waitForJob(fire.jobId, 120_000);
    t.mark('recreated');
    expect(job.returnvalue).toMatchObject({ outcome: 'succeeded', action: 'recreate' });
    const [start, recreate] = job.returnvalue.steps;
    // The start happened and did not hold: the replica refused its corrupt checkpoint (seen
    // exited, or, caught in its first milliseconds, by the alert that kept firing).
    expect(start).toMatchObject({ name: 'start', outcome: 'failed', errorKind: 'verification' });
    expect(start!.error).toMatch(new RegExp(`${worker} is exited|query not satisfied within 30s: count\\(ALERTS`));
    expect(recreate).toMatchObject({ name: 'recreate', outcome: 'succeeded', targets: [worker] });
    // Verified by the alert itself: its count went from 1 (false) to nothing.
    expect(recreate!.verification?.detail).toMatch(
      /count\(ALERTS\{alertname="WorkerDown".*\}\) == bool 0: empty result/,
    );

    // Docker: a new container under the same name, from the old one's configuration, running;
    // the old one is gone.
    const now = await inspect(worker);
    expect(now.Id).not.toBe(old.Id);
    expect(now.State.Running).toBe(true);
    expect(now.Config.Labels).toMatchObject({
      [RECREATED_FROM_LABEL]: old.Id,
      'com.docker.compose.service': service,
      'remediator.enable': 'true',
    });
    expect(now.HostConfig.Binds).toEqual(old.HostConfig.Binds);
    await expect(s.docker.getContainer(old.Id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    // The engine's own account, in order: remediator's start of the old one (it died again),
    // then the new one created and started, the old one removed.
    const byId = rec.events.filter((e) => e.type === 'container' && [old.Id, now.Id].includes(e.id));
    const story = byId
      .filter((e) => ['start', 'die', 'create', 'rename', 'destroy'].includes(e.verb))
      .map((e) => `${e.id === old.Id ? 'old' : 'new'} ${e.verb}`);
    expect(story.slice(story.indexOf('old start'))).toEqual([
      'old start',
      'old die',
      'old rename',
      'new create',
      'new start',
      'old destroy',
    ]);

    await alertResolves(s, 'WorkerDown', isService, fire);
    t.mark('resolved handled');
    expect(await queryValue(s.stack.prometheus, `service_replicas_running{service="${service}"}`)).toBe(1);
    t.print('firing', 'resolved handled');
  }, 180_000);

  it('ServiceDown: the dependency restarted first, then the API that depends on it, both healthy', async () => {
    const t = timeline('ServiceDown');
    const { db, mlapi } = s.names;
    const isDb = (l: Record<string, string>) => l.container === db;
    await waitFor(
      'the dependency and the API healthy',
      async () => (await health(db)) === 'healthy' && (await health(mlapi)) === 'healthy',
      30_000,
    );
    await waitFor(
      'Prometheus to scrape the dependency',
      async () => (await queryValue(s.stack.prometheus, `up{container="${db}"}`)) === 1,
      30_000,
    );
    const [dbBefore, apiBefore] = [await inspect(db), await inspect(mlapi)];

    await killDependency(s.docker, db);
    t.mark('fault injected');
    // The API's pool breaks with it, and stays broken.
    await waitFor('the API to turn unhealthy', async () => (await health(mlapi)) === 'unhealthy', 20_000);

    const fire = await alertGoesRound(s, 'ServiceDown', isDb, 'dependency-down');
    t.mark('firing');
    expect(fire.firing.labels).toMatchObject({ dependent: mlapi, job: 'demo-db', severity: 'critical' });

    const job = await s.h.waitForJob(fire.jobId, 120_000);
    t.mark('both restarted');
    expect(job.returnvalue).toMatchObject({ outcome: 'succeeded', action: 'restart', targets: [db, mlapi] });
    expect(job.returnvalue.steps.map((st) => [st.name, st.outcome, st.targets])).toEqual([
      ['restart-dependency', 'succeeded', [db]],
      ['restart-dependent', 'succeeded', [mlapi]],
    ]);
    expect(job.returnvalue.steps[0]!.verification?.detail).toContain(`up{container="${db}"} == 0`);
    const [dbAfter, apiAfter] = [await inspect(db), await inspect(mlapi)];
    expect(Date.parse(dbAfter.State.StartedAt)).toBeGreaterThan(Date.parse(dbBefore.State.StartedAt));
    expect(Date.parse(apiAfter.State.StartedAt)).toBeGreaterThan(Date.parse(apiBefore.State.StartedAt));
    expect([dbAfter.State.Health?.Status, apiAfter.State.Health?.Status]).toEqual(['healthy', 'healthy']);
    // Ordered: the API's restart began only after the dependency's had finished.
    const restarts = rec.events
      .filter((e) => e.type === 'container' && e.verb === 'restart' && [db, mlapi].includes(e.name))
      .map((e) => e.name);
    expect(restarts).toEqual([db, mlapi]);
    const dbStarted = rec.of(db, ['start']).length;
    expect(dbStarted).toBe(1);

    await alertResolves(s, 'ServiceDown', isDb, fire);
    t.mark('resolved handled');
    t.print('firing', 'resolved handled');
  }, 150_000);

  it('HighErrorRate: the failing agent restarted, its errors gone, no scale-out needed', async () => {
    const t = timeline('HighErrorRate');
    const { agent } = s.names;
    const isAgent = (l: Record<string, string>) => l.container === agent;
    await waitFor(
      'the agent to publish its requests',
      async () =>
        (await queryValue(s.stack.prometheus, `http_requests_total{container="${agent}",code="200"}`)) !== undefined,
      30_000,
    );
    const before = await inspect(agent);

    await setErrorFault(s.docker, agent, true);
    t.mark('fault injected');
    const fire = await alertGoesRound(s, 'HighErrorRate', isAgent, 'agent-errors');
    t.mark('firing');
    expect(fire.firing.labels.track).toBeUndefined();
    expect(Number(fire.firing.value)).toBeGreaterThan(0.05);

    const job = await s.h.waitForJob(fire.jobId, 240_000);
    t.mark('restarted');
    expect(job.returnvalue).toMatchObject({ outcome: 'succeeded', action: 'restart', targets: [agent] });
    expect(job.returnvalue.steps.map((st) => [st.name, st.outcome])).toEqual([['restart', 'succeeded']]);
    expect(job.returnvalue.verification?.detail).toMatch(/alertname="HighErrorRate".*: empty result$/);
    const after = await inspect(agent);
    expect(Date.parse(after.State.StartedAt)).toBeGreaterThan(Date.parse(before.State.StartedAt));
    expect(after.State.Health?.Status).toBe('healthy');
    // No replica was added: the agent's service still has one container.
    const replicas = await s.docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${s.spec.project}`, 'com.docker.compose.service=agent'] },
    });
    expect(replicas.map((c) => c.Id)).toEqual([before.Id]);
    expect(await queryValue(s.stack.prometheus, `demo_fault_active{container="${agent}",fault="errors"}`)).toBe(0);

    await alertResolves(s, 'HighErrorRate', isAgent, fire);
    t.mark('resolved handled');
    t.print('firing', 'resolved handled');
  }, 300_000);

  it('HighErrorRate on a canary: evidence collected, then rolled back to the release before it, verified healthy', async () => {
    const t = timeline('canary');
    const canary = await deployCanary(s.docker, s.spec);
    t.mark('fault injected');
    const isCanary = (l: Record<string, string>) => l.container === canary;
    const deployed = await inspect(canary);
    expect(deployed.Config.Image).toBe(DEMO_IMAGE_V2);
    const [v1, v2] = [await s.docker.getImage(DEMO_IMAGE).inspect(), await s.docker.getImage(DEMO_IMAGE_V2).inspect()];
    expect(deployed.Image).toBe(v2.Id);

    const fire = await alertGoesRound(s, 'HighErrorRate', isCanary, 'canary-rollback');
    t.mark('firing');
    expect(fire.firing.labels).toMatchObject({ track: 'canary', severity: 'critical' });
    // Only the rollback runbook took it: the agents' restart runbook leaves canaries alone.
    expect(
      s.seen['job.queued']
        .filter((e) => e.data.alert.fingerprint === fire.fingerprint)
        .map((e) => e.data.remediation.id),
    ).toEqual(['canary-rollback']);

    const job = await s.h.waitForJob(fire.jobId, 240_000);
    t.mark('rolled back');
    expect(job.returnvalue).toMatchObject({ outcome: 'succeeded', action: 'rollback', targets: [canary] });
    const [collect, rollback] = job.returnvalue.steps;
    const evidence = (collect!.details as { containers: { inspect: { image: string }; logs: unknown }[] })
      .containers[0]!;
    expect(collect).toMatchObject({ name: 'collect', outcome: 'noop' });
    expect(evidence.inspect.image).toBe(DEMO_IMAGE_V2);
    expect(rollback).toMatchObject({
      name: 'rollback',
      outcome: 'succeeded',
      before: { [canary]: { id: deployed.Id, image: DEMO_IMAGE_V2 } },
      after: { [canary]: { image: DEMO_IMAGE } },
    });
    expect(rollback!.verification?.detail).toMatch(/alertname="HighErrorRate".*: empty result$/);
    expect((rollback!.details as { choices: Record<string, { source: string }> }).choices[canary]!.source).toBe(
      'label remediator.rollback.image',
    );

    // Docker: the same name now runs release 1 in a new container, healthy; release 2's is gone.
    const now = await inspect(canary);
    expect([now.Config.Image, now.Image, now.State.Health?.Status]).toEqual([DEMO_IMAGE, v1.Id, 'healthy']);
    expect(now.Id).not.toBe(deployed.Id);
    expect(now.Config.Env).not.toContain('DEMO_RELEASE=2');
    await expect(s.docker.getContainer(deployed.Id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    // By id: the old container is renamed aside before it goes.
    const story = rec.events
      .filter((e) => e.type === 'container' && [deployed.Id, now.Id].includes(e.id))
      .filter((e) => ['create', 'start', 'destroy'].includes(e.verb))
      .map((e) => `release ${e.id === deployed.Id ? 2 : 1} ${e.verb}`);
    expect(story).toEqual([
      'release 2 create',
      'release 2 start',
      'release 1 create',
      'release 1 start',
      'release 2 destroy',
    ]);

    await alertResolves(s, 'HighErrorRate', isCanary, fire, 60_000);
    t.mark('resolved handled');
    t.print('firing', 'resolved handled');
  }, 300_000);
});
