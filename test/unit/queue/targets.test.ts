import { describe, expect, it } from 'vitest';
import type { TargetSpec } from '../../../src/catalog/schema.js';
import { PermanentError, RefusedError } from '../../../src/errors.js';
import { COMPOSE_PROJECT, COMPOSE_SERVICE, renderTarget } from '../../../src/queue/targets.js';
import { alertOf } from '../fixtures.js';

const latency = alertOf('firing-high-latency');
const queue = alertOf('firing-queue-depth-high');

function refusal(
  spec: TargetSpec | undefined,
  scope: 'container' | 'service',
  labels: Record<string, string>,
): RefusedError {
  try {
    renderTarget(spec, scope, { labels });
  } catch (err) {
    expect(err).toBeInstanceOf(RefusedError);
    return err as RefusedError;
  }
  return expect.unreachable('expected a RefusedError');
}

describe('renderTarget', () => {
  it('renders a container target from the alert labels', () => {
    expect(renderTarget({ container: '{{ labels.container }}' }, 'container', latency)).toEqual({
      container: 'api',
      description: 'container api',
    });
  });

  it('renders a Compose service target as a com.docker.compose.service selector', () => {
    const t = renderTarget({ service: '{{ labels.service }}' }, 'service', queue);
    expect(t.container).toBeUndefined();
    expect(t.service).toEqual({ name: 'worker', project: undefined, selector: { [COMPOSE_SERVICE]: 'worker' } });
    expect(t.description).toBe('service worker');
  });

  it('adds com.docker.compose.project when the target names the project', () => {
    const t = renderTarget({ service: '{{ labels.service }}', project: 'shop' }, 'service', queue);
    expect(t.service).toEqual({
      name: 'worker',
      project: 'shop',
      selector: { [COMPOSE_SERVICE]: 'worker', [COMPOSE_PROJECT]: 'shop' },
    });
    expect(t.description).toBe('service worker (project shop)');
  });

  it('renders a label selector, literal and templated values', () => {
    const t = renderTarget({ labels: { app: '{{ labels.job }}', tier: 'backend' } }, 'service', queue);
    expect(t.service?.selector).toEqual({ app: 'app', tier: 'backend' });
    expect(t.description).toContain('containers labelled');
  });

  it('a service target for a container-scoped action selects by label', () => {
    const t = renderTarget({ service: '{{ labels.service }}' }, 'container', queue);
    expect(t.container).toBeUndefined();
    expect(t.service?.selector).toEqual({ [COMPOSE_SERVICE]: 'worker' });
  });

  it('the host scope needs no target and renders nothing', () => {
    expect(renderTarget(undefined, 'host', latency)).toEqual({ description: 'the Docker host' });
    expect(renderTarget({ container: '{{ labels.missing }}' }, 'host', latency)).toEqual({
      description: 'the Docker host',
    });
  });

  it('refuses a container-scoped action without target', () => {
    expect(refusal(undefined, 'container', latency.labels).message).toContain('no target');
  });

  it('refuses a target that selects nothing', () => {
    expect(refusal({}, 'service', queue.labels).message).toContain('selects nothing');
  });

  it.each(['api;rm -rf /', '../x', 'a?b=1', 'a\nb', '$(id)', 'x'.repeat(300)])(
    'refuses the container label %j with a permanent RefusedError naming the label',
    (value) => {
      const err = refusal({ container: '{{ labels.container }}' }, 'container', {
        ...latency.labels,
        container: value,
      });
      expect(err).toBeInstanceOf(PermanentError);
      expect(err.kind).toBe('refused');
      expect(err.message).toContain('labels.container');
    },
  );

  it('refuses a missing label, naming it', () => {
    const labels = { ...latency.labels };
    delete labels.container;
    expect(refusal({ container: '{{ labels.container }}' }, 'container', labels).message).toMatch(
      /labels\.container is missing/,
    );
  });

  it('refuses an unsafe service label, naming it', () => {
    expect(
      refusal({ service: '{{ labels.service }}' }, 'service', { ...queue.labels, service: 'w;reboot' }).message,
    ).toContain('labels.service');
  });

  it('refuses an unsafe value in a label selector, naming the alert label', () => {
    const err = refusal({ labels: { app: '{{ labels.job }}' } }, 'service', { ...queue.labels, job: 'a b' });
    expect(err.message).toContain('labels.job');
  });

  it('refuses an unsafe project label, naming it', () => {
    const err = refusal({ service: 'worker', project: '{{ labels.project }}' }, 'service', { project: '../etc' });
    expect(err.message).toContain('labels.project');
  });
});
