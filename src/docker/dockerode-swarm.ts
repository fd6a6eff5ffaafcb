/**
 * The Swarm half of the Docker port: services found, read and updated through the Swarm API
 * (scale, `update --force`, rollback), each update sent with the spec version it was read at.
 */
import type Docker from 'dockerode';
import { call } from './dockerode-errors.js';
import type { DockerPort, ServiceChange, SwarmServiceInfo } from './port.js';

interface RawService {
  ID: string;
  Version?: { Index?: number };
  Spec: RawSpec;
  PreviousSpec?: RawSpec;
  UpdateStatus?: { State?: string };
}
interface RawSpec {
  Name?: string;
  Labels?: Record<string, string>;
  Mode?: { Replicated?: { Replicas?: number }; Global?: object };
  TaskTemplate?: { ContainerSpec?: { Image?: string }; ForceUpdate?: number };
  [k: string]: unknown;
}

export function serviceInfo(s: RawService): SwarmServiceInfo {
  return {
    id: s.ID,
    name: s.Spec.Name ?? s.ID,
    version: s.Version?.Index ?? 0,
    labels: s.Spec.Labels ?? {},
    image: s.Spec.TaskTemplate?.ContainerSpec?.Image ?? '',
    replicas: s.Spec.Mode?.Replicated ? (s.Spec.Mode.Replicated.Replicas ?? 1) : undefined,
    forceUpdate: s.Spec.TaskTemplate?.ForceUpdate ?? 0,
    previousImage: s.PreviousSpec?.TaskTemplate?.ContainerSpec?.Image,
    updateState: s.UpdateStatus?.State,
  };
}

/** The spec to send for a change: the spec as read, with only the changed field touched. */
export function specFor(spec: RawSpec, change: ServiceChange): RawSpec {
  const next = structuredClone(spec);
  if ('replicas' in change) next.Mode = { Replicated: { Replicas: change.replicas } };
  if ('forceUpdate' in change) next.TaskTemplate = { ...next.TaskTemplate, ForceUpdate: change.forceUpdate };
  // rollback=previous: Docker swaps in PreviousSpec itself; the body is the current spec (as the CLI sends).
  return next;
}

export function swarmMethods(docker: Docker): Pick<DockerPort, 'findService' | 'inspectService' | 'updateService'> {
  const raw = (id: string) =>
    call(`inspect service ${id}`, async () => (await docker.getService(id).inspect()) as RawService);
  return {
    async findService(name) {
      const list = (await call('list services', () =>
        docker.listServices({ filters: { name: [name] } }),
      )) as unknown as RawService[];
      // The name filter matches prefixes; keep the exact one.
      const found = list.find((s) => s.Spec.Name === name);
      return found ? serviceInfo(found) : undefined;
    },
    inspectService: async (id) => serviceInfo(await raw(id)),
    async updateService(id, version, change) {
      const current = await raw(id);
      const query: Record<string, string | number> = { version };
      if ('rollback' in change) query.rollback = change.rollback;
      // `_query`/`_body`: docker-modem would otherwise send the whole spec in the query string too.
      await call(`update service ${id}`, () =>
        docker.getService(id).update({ _query: query, _body: specFor(current.Spec, change) }),
      );
    },
  };
}
