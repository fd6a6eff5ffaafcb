import type { ActionScope, ServiceRef } from '../actions/types.js';
import type { TargetSpec } from '../catalog/schema.js';
import { renderName, type TemplateSource } from '../catalog/template.js';
import { RefusedError, TemplateError } from '../errors.js';
import { DEFAULT_HOST } from '../keys.js';

/**
 * Stage 1, render: the target a step names, from the alert's labels. Pure: no Docker call, so an
 * unsafe label value (`api;rm -rf /`, `../x`, a newline) is refused before anything touches an
 * engine. The result says how to find the target; what it resolves to (and so what is locked)
 * is decided by resolve.ts from the engine's answer, never from this spelling.
 */

export const COMPOSE_SERVICE = 'com.docker.compose.service';
export const COMPOSE_PROJECT = 'com.docker.compose.project';

/** A target rendered from an alert, before Docker is asked anything. */
export interface RenderedTarget {
  /** The Docker host to act on. */
  host: string;
  /** Exactly one of these says what to look for. */
  container?: string;
  selector?: Record<string, string>;
  /** Containers carrying this label, any value. */
  withLabel?: string;
  swarmService?: string;
  /** For a service-scope action: the Compose service (from `service:` or the container's labels). */
  service?: ServiceRef;
  /** For messages: `container api`, `service worker (project shop)`, `the Docker host local`. */
  description: string;
}

function refused(err: unknown): never {
  if (err instanceof TemplateError) throw new RefusedError(`target refused: ${err.message}`);
  throw err;
}

/** The host a target names (default when it names none); refused when the label is unsafe. */
export function renderHost(spec: TargetSpec | undefined, source: TemplateSource, defaultHost = DEFAULT_HOST): string {
  if (spec?.host === undefined) return defaultHost;
  try {
    return renderName(spec.host, source);
  } catch (err) {
    return refused(err);
  }
}

/** Render the target of a step whose action has `scope`. */
export function renderTarget(
  spec: TargetSpec | undefined,
  scope: ActionScope,
  source: TemplateSource,
  defaultHost = DEFAULT_HOST,
): RenderedTarget {
  const host = renderHost(spec, source, defaultHost);
  if (scope === 'host') return { host, description: `the Docker host ${host}` };
  if (!spec) throw new RefusedError('the remediation has no target');
  try {
    if (spec.swarmService !== undefined) {
      const name = renderName(spec.swarmService, source);
      return { host, swarmService: name, description: `Swarm service ${name}` };
    }
    if (spec.container !== undefined) {
      const container = renderName(spec.container, source);
      // A service-scope action on a named container acts on that container's Compose service.
      return { host, container, description: `container ${container}` };
    }
    if (spec.withLabel !== undefined) {
      return { host, withLabel: spec.withLabel, description: `containers labelled ${spec.withLabel}` };
    }
    const selector: Record<string, string> = {};
    for (const [k, v] of Object.entries(spec.labels ?? {})) selector[k] = renderName(v, source);
    const project = spec.project !== undefined ? renderName(spec.project, source) : undefined;
    if (project !== undefined) selector[COMPOSE_PROJECT] = project;
    const name = spec.service !== undefined ? renderName(spec.service, source) : undefined;
    if (name !== undefined) selector[COMPOSE_SERVICE] = name;
    if (Object.keys(selector).length === 0) throw new RefusedError('the target selects nothing');
    const label = name ?? Object.values(selector).join(',');
    return {
      host,
      selector,
      service: { name: label, project, selector },
      description: name
        ? `service ${name}${project ? ` (project ${project})` : ''}`
        : `containers labelled ${JSON.stringify(selector)}`,
    };
  } catch (err) {
    return refused(err);
  }
}

/** The name an operator filters history by: container, service or Swarm service name, or `host`. */
export function targetName(rendered: RenderedTarget): string {
  return rendered.container ?? rendered.service?.name ?? rendered.swarmService ?? rendered.withLabel ?? 'host';
}
