// The seven shipped remediations of the seed runbooks (README "Runbook -> remediation"), as the
// loader reads them: each step's action, target, verification and what follows it, and which
// alerts each one matches (the two HighErrorRate runbooks never both).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../../src/catalog/catalog.js';
import { loadRemediations, parseRemediation } from '../../../src/catalog/load.js';
import type { Remediation } from '../../../src/catalog/remediation.js';
import { REMEDIATIONS_DIR } from '../fixtures.js';

function shipped(id: string): Remediation {
  const { remediation, problems } = parseRemediation(
    `remediations/${id}.yaml`,
    readFileSync(join(REMEDIATIONS_DIR, `${id}.yaml`), 'utf8'),
  );
  expect(problems).toEqual([]);
  return remediation!;
}

describe('the seed runbooks as shipped', () => {
  it('worker-down: start the service replicas, then recreate only those not running', () => {
    const r = shipped('worker-down');
    expect(r.target).toEqual({ service: '{{ labels.service }}', maxContainers: 20 });
    expect(r.steps).toMatchObject([
      {
        name: 'start',
        action: { type: 'start' },
        verify: { running: true, withinMs: 10_000, query: expect.stringContaining('"WorkerDown"'), own: true },
        retry: { attempts: 1 },
        onFailure: 'next',
        onSuccess: 'stop',
      },
      {
        name: 'recreate',
        action: { type: 'recreate', stoppedOnly: true },
        verify: { running: true, healthy: true, withinMs: 60_000, queryWithinMs: 120_000 },
        onFailure: 'abort',
      },
    ]);
  });

  it('cpu-throttling: evidence (best effort), halve shares and quota within bounds, restore on resolve', () => {
    const r = shipped('cpu-throttling');
    expect(r.match).toEqual(['alertname="cpu_throttling"', 'workload="batch"', 'container=~".+"']);
    expect(r.steps).toMatchObject([
      { name: 'collect', action: { type: 'collect', logLines: 100 }, onFailure: 'continue', onSuccess: 'next' },
      {
        name: 'cpu-down',
        action: {
          type: 'update',
          cpuShares: { factor: 0.5, min: 64, max: 512 },
          cpuQuota: { factor: 0.5, min: 5000, max: 100000 },
        },
        verify: { running: true, withinMs: 10_000 },
      },
    ]);
    expect(r.onResolved).toMatchObject({ action: { type: 'update', restore: true }, verify: undefined });
  });

  it('network-failure: reconnect verified by the probe, then restart while it still fires', () => {
    const r = shipped('network-failure');
    expect(r.steps).toMatchObject([
      {
        name: 'reconnect',
        action: { type: 'network', mode: 'reconnect' },
        verify: { query: 'probe_success{container="{{ labels.container }}"} == 0' },
        onFailure: 'next',
      },
      { name: 'restart', action: { type: 'restart' }, when: { kind: 'still_firing' } },
    ]);
  });

  it('canary-rollback: evidence, then rollback verified healthy and no longer failing', () => {
    const r = shipped('canary-rollback');
    expect(r.steps).toMatchObject([
      { name: 'collect', action: { type: 'collect' }, onFailure: 'continue' },
      {
        name: 'rollback',
        action: { type: 'rollback' },
        verify: { running: true, healthy: true, query: expect.stringContaining('"HighErrorRate"') },
      },
    ]);
  });

  it('dependency-down: the dependency, then (whatever its verification) the API that depends on it', () => {
    const r = shipped('dependency-down');
    expect(r.steps).toMatchObject([
      {
        name: 'restart-dependency',
        target: { container: '{{ labels.container }}' },
        action: { type: 'restart' },
        verify: { query: 'up{container="{{ labels.container }}"} == 0', own: true },
        onSuccess: 'next',
      },
      {
        name: 'restart-dependent',
        target: { container: '{{ labels.dependent }}' },
        action: { type: 'restart' },
        verify: { running: true, healthy: true },
        onSuccess: 'stop',
      },
    ]);
  });

  it('agent-errors: restart, then scale out while the alert still fires', () => {
    const r = shipped('agent-errors');
    expect(r.steps).toMatchObject([
      { name: 'restart', action: { type: 'restart' }, onFailure: 'next' },
      { name: 'scale-out', action: { type: 'scale', by: 1, max: 4 }, when: { kind: 'still_firing' } },
    ]);
  });

  it('oom-killed: memory doubled within 64 MiB..1 GiB (unverified on its own), then start verified', () => {
    const r = shipped('oom-killed');
    expect(r.steps).toMatchObject([
      {
        name: 'more-memory',
        action: { type: 'update', memory: { factor: 2, min: '64m', max: '1g' } },
        verify: undefined,
        onSuccess: 'next',
      },
      { name: 'start', action: { type: 'start' }, verify: { running: true, query: expect.stringContaining('OOM') } },
    ]);
    // It keeps the memory it got: putting back the limit it died of would kill it again.
    expect(r.onResolved).toBeUndefined();
  });
});

describe('which seed runbook an alert gets', () => {
  const alert = (labels: Record<string, string>) => ({ labels });

  it('each seed alert matches exactly one shipped remediation; a canary error rate only the rollback', async () => {
    const catalog = createCatalog(REMEDIATIONS_DIR, await loadRemediations(REMEDIATIONS_DIR));
    const ids = (labels: Record<string, string>) => catalog.match(alert(labels)).map((r) => r.id);
    expect(ids({ alertname: 'WorkerDown', service: 'worker' })).toEqual(['worker-down']);
    expect(ids({ alertname: 'cpu_throttling', container: 'etl', workload: 'batch' })).toEqual(['cpu-throttling']);
    expect(ids({ alertname: 'network_failure', container: 'gw', probe: 'network' })).toEqual(['network-failure']);
    expect(ids({ alertname: 'HighErrorRate', container: 'web', track: 'canary' })).toEqual(['canary-rollback']);
    expect(ids({ alertname: 'HighErrorRate', container: 'agent' })).toEqual(['agent-errors']);
    expect(ids({ alertname: 'HighErrorRate', container: 'web', track: 'stable' })).toEqual(['agent-errors']);
    expect(ids({ alertname: 'SlowExecution', container: 'agent' })).toEqual(['agent-errors']);
    expect(ids({ alertname: 'ServiceDown', container: 'db', dependent: 'mlapi' })).toEqual(['dependency-down']);
    expect(ids({ alertname: 'ContainerOOMKilled', container: 'trainer' })).toEqual(['oom-killed']);
  });

  it('leaves alone what a runbook must not touch: a throttled service, a dependency with no dependent', async () => {
    const catalog = createCatalog(REMEDIATIONS_DIR, await loadRemediations(REMEDIATIONS_DIR));
    expect(catalog.match(alert({ alertname: 'cpu_throttling', container: 'api', workload: 'service' }))).toEqual([]);
    expect(catalog.match(alert({ alertname: 'ServiceDown', container: 'db' }))).toEqual([]);
  });
});
