import { describe, expect, it } from 'vitest';
import { kill } from '../../../src/actions/kill.js';
import { start } from '../../../src/actions/start.js';
import { stop } from '../../../src/actions/stop.js';
import { FakeDocker, actionContext, container } from './fake-docker.js';

const up = container('up');
const down = container('down', { running: false });

describe('start action', () => {
  it('starts only the stopped targets', async () => {
    const docker = new FakeDocker([up, down]);
    const result = await start.run({ type: 'start' }, actionContext(docker, { targets: [up, down] }));
    expect(docker.mutatingCalls()).toEqual([{ method: 'start', args: ['id-down'] }]);
    expect(result).toMatchObject({ changed: true, details: { started: ['down'] } });
  });

  it('does nothing when every target already runs', async () => {
    const docker = new FakeDocker([up]);
    const result = await start.run({ type: 'start' }, actionContext(docker, { targets: [up] }));
    expect(docker.mutatingCalls()).toEqual([]);
    expect(result.changed).toBe(false);
  });

  it('in dry run starts nothing and says "would start"', async () => {
    const docker = new FakeDocker([down]);
    const result = await start.run({ type: 'start' }, actionContext(docker, { targets: [down], dryRun: true }));
    expect(docker.mutatingCalls()).toEqual([]);
    expect(result).toMatchObject({ changed: false, summary: 'would start down' });
  });
});

describe('stop action', () => {
  it('stops only the running targets, with the configured timeout', async () => {
    const docker = new FakeDocker([up, down]);
    const result = await stop.run(
      { type: 'stop', stopTimeoutSeconds: 3 },
      actionContext(docker, { targets: [up, down] }),
    );
    expect(docker.mutatingCalls()).toEqual([{ method: 'stop', args: ['id-up', 3] }]);
    expect(result).toMatchObject({ changed: true, details: { stopped: ['up'] } });
  });

  it('does nothing when every target is already stopped', async () => {
    const docker = new FakeDocker([down]);
    const result = await stop.run({ type: 'stop' }, actionContext(docker, { targets: [down] }));
    expect(docker.mutatingCalls()).toEqual([]);
    expect(result.changed).toBe(false);
  });

  it('in dry run stops nothing and says "would stop"', async () => {
    const docker = new FakeDocker([up]);
    const result = await stop.run({ type: 'stop' }, actionContext(docker, { targets: [up], dryRun: true }));
    expect(docker.mutatingCalls()).toEqual([]);
    expect(result).toMatchObject({ changed: false, summary: 'would stop up' });
  });
});

describe('kill action', () => {
  it('sends SIGKILL by default', async () => {
    const docker = new FakeDocker([up]);
    const result = await kill.run({ type: 'kill' }, actionContext(docker, { targets: [up] }));
    expect(docker.mutatingCalls()).toEqual([{ method: 'kill', args: ['id-up', 'SIGKILL'] }]);
    expect(result).toMatchObject({ changed: true, details: { signal: 'SIGKILL' } });
  });

  it('sends the configured signal, only to running targets', async () => {
    const docker = new FakeDocker([up, down]);
    await kill.run({ type: 'kill', signal: 'SIGHUP' }, actionContext(docker, { targets: [up, down] }));
    expect(docker.mutatingCalls()).toEqual([{ method: 'kill', args: ['id-up', 'SIGHUP'] }]);
  });

  it('does nothing when no target runs', async () => {
    const docker = new FakeDocker([down]);
    const result = await kill.run({ type: 'kill' }, actionContext(docker, { targets: [down] }));
    expect(docker.mutatingCalls()).toEqual([]);
    expect(result.changed).toBe(false);
  });

  it('in dry run signals nothing and says "would send"', async () => {
    const docker = new FakeDocker([up]);
    const result = await kill.run({ type: 'kill' }, actionContext(docker, { targets: [up], dryRun: true }));
    expect(docker.mutatingCalls()).toEqual([]);
    expect(result).toMatchObject({ changed: false, summary: 'would send SIGKILL to up' });
  });
});
