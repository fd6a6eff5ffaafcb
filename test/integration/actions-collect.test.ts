// collect against the real engine: the evidence comes from Docker's logs, inspect, stats and top
// endpoints, bounded, and a part that fails (top of a stopped container) is named, not fatal.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { collect } from '../../src/actions/collect.js';
import { realContext, realDocker } from '../support/actions.js';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';

const { port, raw } = realDocker(inject('dockerHost'));
const prefix = uniquePrefix('act-collect');
const OPT_IN = { 'remediator.enable': 'true' };

beforeAll(async () => removeContainers(raw, prefix));
afterAll(async () => removeContainers(raw, prefix));

async function logged(id: string, line: string) {
  for (let i = 0; i < 100; i++) {
    if ((await port.logs(id, { tailLines: 1, maxBytes: 256 })).text.includes(line)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${id} never logged ${line}`);
}

describe('collect on the real engine', () => {
  it('returns the log tail (stdout and stderr, bounded), an inspect summary, one stats sample and top', async () => {
    const id = await createTestContainer(raw, {
      name: `${prefix}busy`,
      labels: OPT_IN,
      // Docker copies stdout and stderr separately: only a pause orders the last line after the rest.
      cmd: [
        'sh',
        '-c',
        'for i in $(seq 1 300); do echo "out $i"; echo "err $i" >&2; done; sleep 1; echo last >&2; exec sleep 3600',
      ],
    });
    await logged(id, 'last');
    const r = await collect.run(
      { type: 'collect', logLines: 10, logBytes: 48 },
      realContext(port, { targets: [await port.inspect(id)] }),
    );
    const [c] = (r.details as { containers: any[] }).containers;

    expect(c.logs.text).toMatch(/\nlast$/);
    expect(Buffer.byteLength(c.logs.text)).toBeLessThanOrEqual(48);
    expect(c.logs.truncated).toBe(true);
    expect(c.logs.lines).toBeLessThanOrEqual(10);
    expect(c.inspect).toMatchObject({
      state: 'running',
      running: true,
      restartCount: 0,
      image: 'remediator-test/busybox:1',
    });
    expect(c.stats.memoryBytes).toBeGreaterThan(0);
    expect(c.stats.onlineCpus).toBeGreaterThan(0);
    expect(c.stats.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(c.top.titles).toContain('CMD');
    expect(c.top.processes.some((p: string[]) => p.join(' ').includes('sleep 3600'))).toBe(true);
    expect((r.details as { failed: string[] }).failed).toEqual([]);
    expect(r.changed).toBe(false);

    // Both streams are there when the bounds allow the whole log.
    const all = await collect.run(
      { type: 'collect', logLines: 2000, logBytes: 65_536, stats: false, top: false },
      realContext(port, { targets: [await port.inspect(id)] }),
    );
    const text: string = (all.details as { containers: any[] }).containers[0].logs.text;
    expect(text.split('\n')).toHaveLength(601);
    expect(text).toContain('out 300\n');
    expect(text).toContain('err 300\n');
  });

  it('names the part it could not read (top of a stopped container) and still returns the rest', async () => {
    const id = await createTestContainer(raw, {
      name: `${prefix}done`,
      labels: OPT_IN,
      cmd: ['sh', '-c', 'echo bye; exit 3'],
    });
    for (let i = 0; i < 100 && (await port.inspect(id)).running; i++) await new Promise((r) => setTimeout(r, 50));
    const r = await collect.run({ type: 'collect' }, realContext(port, { targets: [await port.inspect(id)] }));
    const [c] = (r.details as { containers: any[] }).containers;
    expect(c.logs.text).toBe('bye');
    expect(c.inspect).toMatchObject({ running: false, exitCode: 3 });
    expect((r.details as { failed: string[] }).failed).toEqual([
      expect.stringMatching(new RegExp(`^${prefix}done: top \\(.*is not running`)),
    ]);
    expect(r.summary).toBe(
      `collected logs (last 200 lines, at most 16 KiB), inspect, stats, top of ${prefix}done; could not read ${prefix}done: top`,
    );
  });

  it('refuses a container without the opt-in label', async () => {
    const id = await createTestContainer(raw, { name: `${prefix}other` });
    await expect(
      collect.run({ type: 'collect' }, realContext(port, { targets: [await port.inspect(id)] })),
    ).rejects.toThrow(/not opted in/);
  });
});
