// Seed runbooks end to end, every program real, one stack for three scenarios (fault ->
// Prometheus fires -> Alertmanager delivers -> remediator acts -> verified -> resolved):
// - cpu_throttling (MINIMINIMOON): the noisy batch job bursts against its CPU quota; its own
//   cgroup's CFS counters (a textfile for node_exporter) show it throttled -> evidence, then
//   its CPU shares and quota halved in place; once the burst is over and the alert resolves,
//   the values it had are put back;
// - network_failure (MINIMINIMOON): the gateway is disconnected from its Compose network while
//   it runs; its probe fails -> reconnected to that network (no restart), the probe passes;
// - ContainerOOMKilled: the training job's dataset outgrows its memory limit; the kernel kills
//   it (exit 137, OOMKilled) -> its memory limit doubled, then started, and it stays up.
// Each scenario asserts from Prometheus' and Alertmanager's APIs and Docker's own state, with
// `docker events` recorded live.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { disconnectNetwork, growDataset, setCpuBurst } from '../../demo/lib.js';
import { queryValue, timeline, waitFor } from './support/stack.js';
import { alertGoesRound, alertResolves, startSeeds, type SeedStack } from './support/seeds.js';
import { recordEvents, type EventRecorder } from '../support/docker-events.js';

let s: SeedStack;
let rec: EventRecorder;

beforeAll(async () => {
  s = await startSeeds({
    tag: 'e2e-res',
    parts: ['etl', 'gateway', 'trainer'],
    dockerHost: inject('dockerHost'),
    redisUrl: inject('redisUrl'),
  });
  rec = await recordEvents(s.docker, ['container', 'network']);
});

afterAll(async () => {
  await rec?.stop();
  if (s) await setCpuBurst(s.docker, s.names.etl, false).catch(() => undefined);
  await s?.stop();
});

const inspect = (name: string) => s.docker.getContainer(name).inspect();

describe('seed runbooks on resources, real Prometheus -> Alertmanager -> remediator -> Docker', () => {
  it('cpu_throttling: evidence, the noisy batch job turned down in place, its limits back once resolved', async () => {
    const t = timeline('cpu_throttling');
    const etl = s.names.etl;
    const isEtl = (l: Record<string, string>) => l.container === etl;
    await waitFor(
      'the batch job to publish its CFS counters',
      async () =>
        (await queryValue(s.stack.prometheus, `container_cpu_cfs_periods_total{container="${etl}"}`)) !== undefined,
      30_000,
    );
    const before = await inspect(etl);
    expect([before.HostConfig.CpuShares, before.HostConfig.CpuQuota, before.HostConfig.CpuPeriod]).toEqual([
      1024, 10_000, 100_000,
    ]);

    // Bounded: the burst ends by itself, which is what resolves the alert.
    await setCpuBurst(s.docker, etl, true, 25);
    t.mark('fault injected');
    const fire = await alertGoesRound(s, 'cpu_throttling', isEtl, 'cpu-throttling');
    t.mark('firing');
    expect(fire.firing.labels).toMatchObject({ workload: 'batch', severity: 'warning', job: 'node' });
    expect(Number(fire.firing.value)).toBeGreaterThan(0.25);

    const job = await s.h.waitForJob(fire.jobId, 60_000);
    t.mark('turned down');
    expect(job.returnvalue).toMatchObject({ outcome: 'succeeded', action: 'update', targets: [etl] });
    const [collect, update] = job.returnvalue.steps;
    expect(collect).toMatchObject({ name: 'collect', outcome: 'noop' });
    const evidence = (collect!.details as { containers: { container: string; inspect: { limits: unknown } }[] })
      .containers[0]!;
    expect(evidence).toMatchObject({ container: etl, inspect: { limits: { cpuShares: 1024, cpuQuota: 10_000 } } });
    expect(update).toMatchObject({
      name: 'cpu-down',
      outcome: 'succeeded',
      after: { [etl]: { cpuShares: 512, cpuQuota: 5_000 } },
    });
    // Docker's own state, while the burst still runs and the alert still fires.
    const during = await inspect(etl);
    expect([during.HostConfig.CpuShares, during.HostConfig.CpuQuota, during.State.Running]).toEqual([512, 5_000, true]);
    expect(during.State.StartedAt).toBe(before.State.StartedAt);

    await alertResolves(s, 'cpu_throttling', isEtl, fire, 60_000);
    t.mark('resolved');
    // The resolved notification runs onResolved: the values recorded before the change come back.
    const restore = await waitFor(
      'the restore job',
      async () =>
        s.seen['job.queued'].find((e) => e.data.alert.fingerprint === fire.fingerprint && e.data.phase === 'resolve'),
      20_000,
    );
    const restored = await s.h.waitForJob(restore.jobId, 30_000);
    t.mark('restored');
    expect(restored.returnvalue).toMatchObject({ outcome: 'succeeded', action: 'update' });
    const after = await inspect(etl);
    expect([after.HostConfig.CpuShares, after.HostConfig.CpuQuota, after.HostConfig.CpuPeriod]).toEqual([
      1024, 10_000, 100_000,
    ]);
    // Two live updates, no restart.
    expect(rec.of(etl, ['update', 'restart', 'start', 'die']).map((e) => e.verb)).toEqual(['update', 'update']);
    t.print('firing', 'restored');
  }, 150_000);

  it('network_failure: the gateway reconnected to its Compose network, without a restart, and its probe passes', async () => {
    const t = timeline('network_failure');
    const gw = s.names.gateway;
    const isGw = (l: Record<string, string>) => l.container === gw;
    await waitFor(
      'the gateway probe passing',
      async () => (await queryValue(s.stack.prometheus, `probe_success{container="${gw}"}`)) === 1,
      30_000,
    );
    const before = await inspect(gw);
    expect(Object.keys(before.NetworkSettings.Networks)).toEqual([s.names.network]);

    await disconnectNetwork(s.docker, gw, s.names.network);
    t.mark('fault injected');
    expect(Object.keys((await inspect(gw)).NetworkSettings.Networks)).toEqual([]);
    const fire = await alertGoesRound(s, 'network_failure', isGw, 'network-failure');
    t.mark('firing');
    expect(fire.firing.labels).toMatchObject({ probe: 'network', severity: 'critical' });

    const job = await s.h.waitForJob(fire.jobId, 60_000);
    t.mark('reconnected');
    expect(job.returnvalue).toMatchObject({ outcome: 'succeeded', action: 'network', targets: [gw] });
    // Reconnect was enough: the restart step never ran.
    expect(job.returnvalue.steps.map((st) => [st.name, st.outcome])).toEqual([['reconnect', 'succeeded']]);
    expect(job.returnvalue.steps[0]!.summary).toContain(`reconnected ${gw} to ${s.names.network} (from Compose)`);
    expect(job.returnvalue.verification?.detail).toMatch(/probe_success\{container="[^"]+"\} == 0: empty result$/);
    const after = await inspect(gw);
    expect(Object.keys(after.NetworkSettings.Networks)).toEqual([s.names.network]);
    expect(after.NetworkSettings.Networks[s.names.network]!.Aliases).toEqual(expect.arrayContaining(['gateway']));
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    const netEvents = rec.events
      .filter((e) => e.type === 'network' && e.attributes.container === before.Id)
      .map((e) => e.verb);
    // Docker 20.10 reports one disconnect twice (endpoint and sandbox): what counts is the order.
    expect([...new Set(netEvents)]).toEqual(['disconnect', 'connect']);
    expect(netEvents.filter((a) => a === 'connect')).toHaveLength(1);
    expect(rec.of(gw, ['restart', 'start', 'die'])).toEqual([]);

    await alertResolves(s, 'network_failure', isGw, fire);
    t.mark('resolved handled');
    expect(await queryValue(s.stack.prometheus, `probe_success{container="${gw}"}`)).toBe(1);
    t.print('firing', 'resolved handled');
  }, 120_000);

  it('ContainerOOMKilled: memory limit doubled within its cap, started again, and it stays up', async () => {
    const t = timeline('ContainerOOMKilled');
    const trainer = s.names.trainer;
    const isTrainer = (l: Record<string, string>) => l.container === trainer;
    await waitFor(
      'the training job to report itself',
      async () => (await queryValue(s.stack.prometheus, `container_oom_killed{container="${trainer}"}`)) === 0,
      30_000,
    );
    const mib = 1024 ** 2;
    expect((await inspect(trainer)).HostConfig.Memory).toBe(32 * mib);

    const killed = await growDataset(s.docker, trainer, 48);
    t.mark('fault injected');
    expect([killed.State.Status, killed.State.OOMKilled, killed.State.ExitCode]).toEqual(['exited', true, 137]);
    const fire = await alertGoesRound(s, 'ContainerOOMKilled', isTrainer, 'oom-killed');
    t.mark('firing');

    const job = await s.h.waitForJob(fire.jobId, 60_000);
    t.mark('started');
    expect(job.returnvalue).toMatchObject({ outcome: 'succeeded', action: 'start', targets: [trainer] });
    expect(job.returnvalue.steps.map((st) => [st.name, st.outcome])).toEqual([
      ['more-memory', 'succeeded'],
      ['start', 'succeeded'],
    ]);
    expect(job.returnvalue.verification?.detail).toMatch(/alertname="ContainerOOMKilled".*: empty result$/);
    expect(job.returnvalue.steps[0]).toMatchObject({
      before: { [trainer]: { memory: 32 * mib, memorySwap: 32 * mib } },
      after: { [trainer]: { memory: 64 * mib, memorySwap: 64 * mib } },
    });
    const after = await inspect(trainer);
    expect([after.HostConfig.Memory, after.HostConfig.MemorySwap]).toEqual([64 * mib, 64 * mib]);
    expect(after.State.Running).toBe(true);
    expect(Date.parse(after.State.StartedAt)).toBeGreaterThan(Date.parse(killed.State.StartedAt));
    expect(rec.of(trainer, ['oom', 'die', 'update', 'start']).map((e) => e.verb)).toEqual([
      'oom',
      'die',
      'update',
      'start',
    ]);

    await alertResolves(s, 'ContainerOOMKilled', isTrainer, fire);
    t.mark('resolved handled');
    // The 48 MiB dataset fits now: a few scrapes later it still runs, and was not killed again.
    await new Promise((r) => setTimeout(r, 4_000));
    const later = await inspect(trainer);
    expect([later.State.Running, later.State.StartedAt]).toEqual([true, after.State.StartedAt]);
    expect(await queryValue(s.stack.prometheus, `container_oom_events_total{container="${trainer}"}`)).toBe(0);
    t.print('firing', 'resolved handled');
  }, 120_000);
});
