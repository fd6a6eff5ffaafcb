import { beforeAll, describe, expect, it } from 'vitest';
import { createCatalog, type Catalog } from '../../../src/catalog/catalog.js';
import { loadRemediations } from '../../../src/catalog/load.js';
import { REMEDIATIONS_DIR, alertOf, fixture, type FixtureName } from '../fixtures.js';

let catalog: Catalog;
beforeAll(async () => {
  catalog = createCatalog(REMEDIATIONS_DIR, await loadRemediations(REMEDIATIONS_DIR));
});

const idsFor = (labels: Record<string, string>) => catalog.match({ labels }).map((r) => r.id);

describe('createCatalog().match against the captured payloads', () => {
  it.each<[FixtureName, string]>([
    ['firing-queue-depth-high', 'queue-depth-high'],
    ['repeat-queue-depth-high', 'queue-depth-high'],
    ['firing-disk-full', 'disk-full'],
    ['firing-high-latency', 'high-latency'],
    ['resolved-high-latency', 'high-latency'],
  ])('%s matches exactly %s', (name, id) => {
    const alerts = fixture(name).alerts;
    expect(alerts).toHaveLength(1);
    expect(catalog.match(alerts[0]!).map((r) => r.id)).toEqual([id]);
  });

  it('every alert of the grouped, truncated disk_full payload matches disk-full', () => {
    const alerts = fixture('grouped-truncated-disk-full').alerts;
    expect(alerts).toHaveLength(2);
    for (const a of alerts) expect(catalog.match(a).map((r) => r.id)).toEqual(['disk-full']);
  });
});

describe('createCatalog().match on variants', () => {
  it('HighLatency without a container label matches nothing (container=~".+")', () => {
    const alert = structuredClone(alertOf('firing-high-latency'));
    delete alert.labels.container;
    expect(catalog.match(alert)).toEqual([]);
  });

  it('QueueDepthHigh with an empty service label matches nothing', () => {
    const alert = structuredClone(alertOf('firing-queue-depth-high'));
    alert.labels.service = '';
    expect(catalog.match(alert)).toEqual([]);
  });

  it('alert names are compared exactly: disk_full_soon, Disk_full and highlatency match nothing', () => {
    expect(idsFor({ alertname: 'disk_full_soon' })).toEqual([]);
    expect(idsFor({ alertname: 'Disk_full' })).toEqual([]);
    expect(idsFor({ alertname: 'highlatency', container: 'api' })).toEqual([]);
  });

  it('an unrelated alert matches nothing', () => {
    expect(idsFor({ alertname: 'Watchdog', severity: 'none' })).toEqual([]);
  });
});

describe('createCatalog()', () => {
  it('gets a remediation by id', () => {
    expect(catalog.get('disk-full')?.steps.at(-1)?.action.type).toBe('prune');
    expect(catalog.get('nope')).toBeUndefined();
  });

  it('is frozen, and so is its list', () => {
    expect(Object.isFrozen(catalog)).toBe(true);
    expect(Object.isFrozen(catalog.remediations)).toBe(true);
    expect(catalog.dir).toBe(REMEDIATIONS_DIR);
  });
});
