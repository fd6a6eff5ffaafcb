import { describe, expect, it } from 'vitest';
import type { StepSpec } from '../../../src/catalog/remediation.js';
import { approvalNeed } from '../../../src/engine/control.js';
import { parseIdentity } from '../../../src/guards/operator.js';
import { step } from '../notify/job-data.js';

// The approval policy each action declares for itself, and a step's `approve:` over it.

const withAction = (action: StepSpec['action'], approve?: StepSpec['approve']): StepSpec =>
  step({ action, ...(approve && { approve }) });

describe('approvalNeed', () => {
  it('by policy: every recreate and rollback, prune with volumes, a disruptive step on more than N containers', () => {
    expect(approvalNeed(withAction({ type: 'recreate' }), 1, 5)).toMatch(/^policy: recreate replaces/);
    expect(approvalNeed(withAction({ type: 'rollback' }), 1, 5)).toMatch(/^policy: rollback/);
    expect(approvalNeed(withAction({ type: 'prune', volumes: true }), 0, 5)).toMatch(/deletes data/);
    expect(approvalNeed(withAction({ type: 'prune' }), 0, 5)).toBeUndefined();
    expect(approvalNeed(withAction({ type: 'restart' }), 5, 5)).toBeUndefined();
    expect(approvalNeed(withAction({ type: 'restart' }), 6, 5)).toMatch(
      /^policy: restart on 6 containers, more than APPROVAL_ABOVE_CONTAINERS \(5\)/,
    );
    // Not disruptive: an exec cleanup on many containers needs no one.
    expect(approvalNeed(withAction({ type: 'exec', command: ['true'] }), 20, 5)).toBeUndefined();
    expect(approvalNeed(withAction({ type: 'restart' }), 50, 0)).toBeUndefined();
  });

  it("a step's approve: true asks always; approve: false never, whatever the policy", () => {
    expect(approvalNeed(withAction({ type: 'restart' }, { mode: 'always', timeoutMs: undefined }), 1, 5)).toBe(
      'the remediation says approve: true',
    );
    expect(
      approvalNeed(withAction({ type: 'recreate' }, { mode: 'never', timeoutMs: undefined }), 1, 5),
    ).toBeUndefined();
  });
});

describe('parseIdentity (reset TARGET)', () => {
  it('takes the resolved identity, with or without a host; a bare name is a container', () => {
    expect(parseIdentity('api')).toEqual({ host: 'local', identity: 'container/api' });
    expect(parseIdentity('container/api')).toEqual({ host: 'local', identity: 'container/api' });
    expect(parseIdentity('edge-1/container/api')).toEqual({ host: 'edge-1', identity: 'container/api' });
    expect(parseIdentity('service/shop/worker')).toEqual({ host: 'local', identity: 'service/shop/worker' });
    expect(parseIdentity('service//worker')).toEqual({ host: 'local', identity: 'service//worker' });
    expect(parseIdentity('edge-1/swarm/web')).toEqual({ host: 'edge-1', identity: 'swarm/web' });
    expect(parseIdentity('host')).toEqual({ host: 'local', identity: 'host' });
    expect(parseIdentity('edge-1/host')).toEqual({ host: 'edge-1', identity: 'host' });
    expect(parseIdentity('edge-1/api')).toEqual({ host: 'edge-1', identity: 'container/api' });
  });

  it('refuses anything else, naming the forms', () => {
    for (const bad of ['a/b/c/d', 'container/a;b', '', 'service/x']) {
      expect(() => parseIdentity(bad), bad).toThrow(/is not a target: use \[HOST\/\]NAME/);
    }
  });
});
