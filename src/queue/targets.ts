import type { ActionScope, ServiceRef } from '../actions/types.js';
import type { TargetSpec } from '../catalog/schema.js';
import { renderName, type TemplateSource } from '../catalog/template.js';
import type { ContainerInfo, DockerPort } from '../docker/port.js';
import { RefusedError, TargetNotFoundError, TemplateError } from '../errors.js';

export const COMPOSE_SERVICE = 'com.docker.compose.service';
export const COMPOSE_PROJECT = 'com.docker.compose.project';

/** A target rendered from an alert, before Docker is asked anything. */
export interface RenderedTarget {
  container?: string;
  service?: ServiceRef;
  /** For messages: `container api`, `service worker (project shop)`. */
  description: string;
}

/**
 * Render the target from the alert's labels. Pure: no Docker call, so an unsafe label value
 * (`api;rm -rf /`, `../x`, a newline) is refused before anything touches the engine.
 */
export function renderTarget(spec: TargetSpec | undefined, scope: ActionScope, source: TemplateSource): RenderedTarget {
  if (scope === 'host') return { description: 'the Docker host' };
  if (!spec) throw new RefusedError('the remediation has no target');
  try {
    const selector: Record<string, string> = {};
    for (const [k, v] of Object.entries(spec.labels ?? {})) selector[k] = renderName(v, source);
    const project = spec.project !== undefined ? renderName(spec.project, source) : undefined;
    if (project !== undefined) selector[COMPOSE_PROJECT] = project;
    if (spec.container !== undefined && scope === 'container') {
      const container = renderName(spec.container, source);
      return { container, description: `container ${container}` };
    }
    const name = spec.service !== undefined ? renderName(spec.service, source) : undefined;
    if (name !== undefined) selector[COMPOSE_SERVICE] = name;
    if (Object.keys(selector).length === 0) throw new RefusedError('the target selects nothing');
    const label = name ?? Object.values(selector).join(',');
    return {
      service: { name: label, project, selector },
      description: name
        ? `service ${name}${project ? ` (project ${project})` : ''}`
        : `containers labelled ${JSON.stringify(selector)}`,
    };
  } catch (err) {
    if (err instanceof TemplateError) throw new RefusedError(`target refused: ${err.message}`);
    throw err;
  }
}

/** The guard key of a target: what the lock, cooldown and budget are kept per. */
export function targetKey(rendered: RenderedTarget): string {
  if (rendered.container !== undefined) return `container/${rendered.container}`;
  if (rendered.service) {
    const sel = Object.entries(rendered.service.selector)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    return `selector/${sel}`;
  }
  return 'host';
}

export interface ResolvedTargets {
  targets: ContainerInfo[];
  service: ServiceRef | undefined;
  description: string;
  /** Matched containers left alone because they lack the opt-in label. */
  notOptedIn: string[];
}

/** Find the rendered target in Docker and keep only containers that opted in. */
export async function resolveTargets(
  rendered: RenderedTarget,
  scope: ActionScope,
  docker: DockerPort,
  optInLabel: string,
  maxContainers: number | undefined,
): Promise<ResolvedTargets> {
  if (scope === 'host') return { targets: [], service: undefined, description: rendered.description, notOptedIn: [] };
  const found =
    rendered.container !== undefined
      ? await docker.findContainers({ name: rendered.container })
      : await docker.findContainers({ labels: rendered.service!.selector });
  if (found.length === 0) throw new TargetNotFoundError(`${rendered.description} not found on this Docker host`);
  const optedIn = found.filter((c) => c.labels[optInLabel] === 'true');
  const notOptedIn = found.filter((c) => c.labels[optInLabel] !== 'true').map((c) => c.name);
  if (optedIn.length === 0) {
    throw new RefusedError(
      `${rendered.description} does not carry the label ${optInLabel}=true; remediator only touches containers that opt in`,
    );
  }
  const limit = maxContainers ?? (scope === 'container' ? 1 : 100);
  if (scope === 'container' && optedIn.length > limit) {
    throw new RefusedError(
      `${rendered.description} matches ${optedIn.length} containers, more than target.maxContainers (${limit})`,
    );
  }
  return { targets: optedIn, service: rendered.service, description: rendered.description, notOptedIn };
}
