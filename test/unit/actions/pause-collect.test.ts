import { describe, expect, it } from 'vitest';
import { collect } from '../../../src/actions/collect.js';
import { pause } from '../../../src/actions/pause.js';
import { unpause } from '../../../src/actions/unpause.js';
import { TransientError } from '../../../src/errors.js';
import { FakeDocker, actionContext, container } from './fake-docker.js';

describe('pause and unpause actions', () => {
  it('pauses running containers only, once, and unpause thaws them', async () => {
    const api = container('api');
    const off = container('off', { running: false });
    const docker = new FakeDocker([api, off]);
    const r = await pause.run({ type: 'pause' }, actionContext(docker, { targets: [api, off] }));
    expect(docker.mutatingCalls()).toEqual([{ method: 'pause', args: ['id-api'] }]);
    expect(r).toMatchObject({ summary: 'paused api', changed: true, after: { api: 'paused', off: 'exited' } });

    const again = await pause.run(
      { type: 'pause' },
      actionContext(docker, { targets: await docker.findContainers({}) }),
    );
    expect(again).toMatchObject({ changed: false, summary: 'already paused: api' });
    expect(docker.callsTo('pause')).toHaveLength(1);

    const thawed = await unpause.run(
      { type: 'unpause' },
      actionContext(docker, { targets: await docker.findContainers({}) }),
    );
    expect(thawed).toMatchObject({ summary: 'unpaused api', changed: true });
    expect(docker.containers.get('id-api')).toMatchObject({ paused: false, state: 'running' });
  });

  it('unpause of a container that is not paused does nothing', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    const r = await unpause.run({ type: 'unpause' }, actionContext(docker, { targets: [api] }));
    expect(docker.mutatingCalls()).toEqual([]);
    expect(r.summary).toBe('not paused, nothing to unpause');
  });

  it('in dry run makes no mutating call and says what it would do', async () => {
    const api = container('api');
    const frozen = container('frozen', { paused: true, state: 'paused' });
    const docker = new FakeDocker([api, frozen]);
    const p = await pause.run({ type: 'pause' }, actionContext(docker, { targets: [api], dryRun: true }));
    const u = await unpause.run({ type: 'unpause' }, actionContext(docker, { targets: [frozen], dryRun: true }));
    expect(docker.mutatingCalls()).toEqual([]);
    expect([p.summary, u.summary]).toEqual(['would pause api', 'would unpause frozen']);
    expect([pause.describe({ type: 'pause' }, 'api'), unpause.describe({ type: 'unpause' }, 'api')]).toEqual([
      'pause api',
      'unpause api if paused',
    ]);
  });

  it('refuse a container without the opt-in label', async () => {
    const api = container('api', { labels: { 'remediator.enable': 'false' } });
    const docker = new FakeDocker([api]);
    await expect(pause.run({ type: 'pause' }, actionContext(docker, { targets: [api] }))).rejects.toThrow(
      /not opted in/,
    );
    expect(docker.mutatingCalls()).toEqual([]);
  });
});

describe('collect action', () => {
  it('gathers logs, an inspect summary, stats and top per container, bounded, and changes nothing', async () => {
    const api = container('api', { oomKilled: true, exitCode: 137, restartCount: 3 });
    const docker = new FakeDocker([api]);
    docker.logResults.set('id-api', { text: 'boom', lines: 1, truncated: false });
    const r = await collect.run(
      { type: 'collect', logLines: 50, logBytes: 2048 },
      actionContext(docker, { targets: [api] }),
    );

    expect(docker.mutatingCalls()).toEqual([]);
    expect(docker.callsTo('logs')).toEqual([['id-api', { tailLines: 50, maxBytes: 2048 }]]);
    expect(r.details).toMatchObject({
      failed: [],
      containers: [
        {
          container: 'api',
          logs: { text: 'boom' },
          inspect: { oomKilled: true, exitCode: 137, restartCount: 3, image: 'example/app:1' },
          stats: { cpuPercent: 42.5 },
          top: { titles: ['PID', 'CMD'], truncated: false },
        },
      ],
    });
    expect(r.summary).toBe('collected logs (last 50 lines, at most 2 KiB), inspect, stats, top of api');
  });

  it('a part that fails is named and does not fail the step', async () => {
    const api = container('api', { running: false });
    const docker = new FakeDocker([api]);
    docker.failures.set('top', new TransientError('top of id-api: Container id-api is not running'));
    const r = await collect.run({ type: 'collect' }, actionContext(docker, { targets: [api] }));
    expect(r.details).toMatchObject({
      failed: ['api: top (top of id-api: Container id-api is not running)'],
      containers: [
        { top: { error: 'top of id-api: Container id-api is not running' }, logs: { text: 'line 1\nline 2' } },
      ],
    });
    expect(r.summary).toMatch(/; could not read api: top$/);
  });

  it('keeps at most 50 processes of top', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    docker.top = async () => ({ titles: ['PID'], processes: Array.from({ length: 80 }, (_, i) => [String(i)]) });
    const r = await collect.run({ type: 'collect', stats: false }, actionContext(docker, { targets: [api] }));
    const [c] = (r.details as { containers: { top: { processes: unknown[]; truncated: boolean }; stats?: unknown }[] })
      .containers;
    expect(c!.top.processes).toHaveLength(50);
    expect(c!.top.truncated).toBe(true);
    expect(c!.stats).toBeUndefined();
  });

  it('refuses a container without the opt-in label', async () => {
    const api = container('api', { labels: { 'remediator.enable': 'false' } });
    const docker = new FakeDocker([api]);
    await expect(collect.run({ type: 'collect' }, actionContext(docker, { targets: [api] }))).rejects.toThrow(
      /not opted in/,
    );
    expect(docker.calls).toEqual([]);
  });

  it('in dry run reads nothing and says what it would collect', async () => {
    const api = container('api');
    const docker = new FakeDocker([api]);
    const r = await collect.run(
      { type: 'collect', top: false },
      actionContext(docker, { targets: [api], dryRun: true }),
    );
    expect(docker.calls).toEqual([]);
    expect(r.summary).toBe('would collect logs (last 200 lines, at most 16 KiB), inspect, stats of api');
    expect(collect.describe({ type: 'collect' }, 'api')).toBe(
      'collect logs (last 200 lines, at most 16 KiB), inspect, stats, top of api',
    );
  });
});
