// Redis Cluster runs a Lua script or a MULTI only when all its keys hash to one slot, and
// ioredis sends a pipeline only to one node. keys.ts promises one hash tag per group of keys
// used together; this computes the slots with the CRC16 the Cluster uses (cluster-key-slot,
// ioredis' own) and checks each group, with hostile values where values come from outside.
import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HOST,
  globalKeys,
  HOST_NAME_RULE,
  hostKeys,
  hostNameProblem,
  historyKeys,
  notifyKeys,
  RESERVED_HOST_NAMES,
} from '../../src/keys.js';

const slotOf = (keys: string[]): number => calculateSlot.generateMulti(keys);
const PREFIX = 'remediator';
/** Values alerts and files can put in keys: braces, colons, spaces, unicode, empty. */
const HOSTILE = ['api', '{global}', '}{', 'a:b:{c}', 'x}y{z', 'ünï cödé', '', '%7B', '{}', 'a'.repeat(300)];
// The queue's own keys, as BullMQ 5 names them under its prefix (`<prefix>:<queue>:<suffix>`).
const BULLMQ_SUFFIXES = [
  'wait',
  'active',
  'delayed',
  'completed',
  'failed',
  'prioritized',
  'paused',
  'meta',
  'id',
  'events',
  'marker',
  'stalled',
  'stalled-check',
  'limiter',
  'pc',
  'de:episode-1',
  'episode-1',
  'episode-1:lock',
];

/** Every key a host's group can produce, for the given outside values. */
function hostGroup(host: string, v: string): string[] {
  const k = hostKeys(PREFIX, host);
  return [
    k.episode(v),
    k.resolved(v),
    k.memo(v),
    k.episodeMemo(v),
    k.lock(v),
    k.lockWaiters(v),
    k.cooldown(v, v),
    k.runs(v, v),
    k.circuit(v, v),
    k.inFlight,
    k.share(v),
    k.state(v),
    k.silence(v),
    k.recurrenceOpen(v),
    ...BULLMQ_SUFFIXES.map((s) => `${k.queuePrefix}:remediations:${s}`),
  ];
}

describe('each key group hashes to one slot', () => {
  it.each([DEFAULT_HOST, 'web-1', 'db.example.com', '10.0.0.5', 'A_b-9.c', 'x'.repeat(128)])(
    'host %s: queue, episodes, memos, locks, cooldowns, budgets, slots (one acquire script)',
    (host) => {
      expect(HOST_NAME_RULE.test(host)).toBe(true);
      const slot = calculateSlot(`{${host}}`);
      for (const v of HOSTILE) expect(slotOf(hostGroup(host, v))).toBe(slot);
      // One scoped acquire: several identities' locks with the host's caps and budgets at once.
      const k = hostKeys(PREFIX, host);
      const acquire = HOSTILE.flatMap((id) => [k.lock(id), k.cooldown('restart-api', id), k.runs('restart-api', id)]);
      expect(slotOf([...acquire, k.inFlight, k.share('proj/api'), k.recurrenceOpen('restart-api')])).toBe(slot);
    },
  );

  it('global: in-flight cap, circuits, pauses, disruptive window, approvals, heartbeats', () => {
    const g = globalKeys(PREFIX);
    const keys = [g.inFlight, g.circuits, g.pauses, g.pausesVersion, g.disruptive, g.approvals, g.heartbeats];
    expect(slotOf(keys)).toBe(calculateSlot('{global}'));
  });

  it('history: a record, its timeline, every index and the rollups (one write script)', () => {
    const h = historyKeys(PREFIX);
    for (const v of HOSTILE) {
      const keys = [
        h.rec(v),
        h.time,
        h.idx('target', v),
        h.idx('alertname', v),
        h.stats(v),
        `${h.recPrefix}${v}`,
        `${h.statsPrefix}${v}`,
        h.lastSuccess(v, v),
      ];
      expect(slotOf(keys)).toBe(calculateSlot('{history}'));
    }
  });

  it("notify: sequence counters, delivery state and every sink's queue", () => {
    const n = notifyKeys(PREFIX);
    for (const v of HOSTILE) {
      const keys = [
        n.seq('slack', v),
        n.delivery('pagerduty', v),
        ...BULLMQ_SUFFIXES.map((s) => `${n.queuePrefix}:${n.queue('slack')}:${s}`),
      ];
      expect(slotOf(keys)).toBe(calculateSlot('{notify}'));
    }
  });

  it('an outside value can never move a key to another slot: braces in it are encoded', () => {
    const k = hostKeys(PREFIX, 'web-1');
    expect(k.lock('{global}')).toBe(`${PREFIX}:{web-1}:lock:%7Bglobal%7D`);
    expect(historyKeys(PREFIX).idx('target', '}{x}')).not.toMatch(/\{history\}.*[{}]/);
  });

  it('keys of two hosts, or of a host and the global group, never go together (CROSSSLOT)', () => {
    // This is what the engine must not do in one script or pipeline: it would fail on a Cluster.
    expect(slotOf([hostKeys(PREFIX, 'web-1').lock('api'), hostKeys(PREFIX, 'web-2').lock('api')])).toBe(-1);
    expect(slotOf([hostKeys(PREFIX, 'web-1').inFlight, globalKeys(PREFIX).inFlight])).toBe(-1);
  });
});

describe('host names cannot collide with the other groups', () => {
  it.each(RESERVED_HOST_NAMES)('%s is reserved: its keys would be that group’s', (name) => {
    expect(hostNameProblem(name)).toMatch(/reserved/);
    // Why: the host's in-flight key would be the fleet-wide one.
    if (name === 'global') expect(hostKeys(PREFIX, name).inFlight).toBe(globalKeys(PREFIX).inFlight);
  });

  it('no valid host name gives a key of the global, history or notify groups', () => {
    const others = new Set([
      ...Object.values(globalKeys(PREFIX)),
      historyKeys(PREFIX).time,
      notifyKeys(PREFIX).queuePrefix,
    ]);
    for (const host of ['local', 'Global', 'global1', 'web-1']) {
      expect(hostNameProblem(host)).toBeUndefined();
      for (const key of hostGroup(host, 'x')) expect(others.has(key)).toBe(false);
    }
  });

  it.each(['', '-web', 'web 1', 'web:1', '{web}', 'a'.repeat(129), 'wéb'])('%j breaks the name rule', (name) => {
    expect(hostNameProblem(name)).toMatch(/host name is/);
  });
});
