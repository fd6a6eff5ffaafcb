import type { GuardRequest } from '../guards/index.js';
import type { ActionScope, ServiceRef, SwarmServiceRef } from '../actions/types.js';
import type { ContainerInfo, ContainerSummary, DockerPort } from '../docker/port.js';
import { originalName } from '../actions/recreate-core.js';
import { BlastRadiusError, RefusedError, TargetNotFoundError } from '../errors.js';
import { COMPOSE_PROJECT, COMPOSE_SERVICE, type RenderedTarget } from './render.js';

/**
 * Stage 2, resolve: what a rendered target is on its Docker host, from the engine's own answer
 * (one list call). The guards are keyed by what it resolves to, never by how the file spelt
 * it: a container named in one remediation and selected by a label in another is the same
 * `container/<name>` lock. Names, not ids: a recreate or rollback replaces the id under the
 * same name, and the lock must hold across it. After the lock is taken, `inspectTargets`
 * reads each target's fresh state for the action.
 */

export interface ResolvedTargets {
  host: string;
  scope: ActionScope;
  description: string;
  /** Opted-in containers the step acts on, from the list (inspected after the lock). */
  containers: ContainerSummary[];
  service: ServiceRef | undefined;
  swarm: SwarmServiceRef | undefined;
  /** Matched containers left alone because they lack the opt-in label. */
  notOptedIn: string[];
  /** Identities the step locks: `container/<name>`, `service/<project>/<name>`, `swarm/<name>`, `host`. */
  locks: string[];
  /** Identities its cooldown and budget are kept per. */
  subjects: string[];
  /** Disruptive container actions on a Compose service's replicas: group and running replicas. */
  replicaGroup: { group: string; running: number } | undefined;
  /** With `target.minHealthy` on such a step: the service's healthy replicas (names) and the minimum. */
  health?: { service: string; healthy: string[]; min: number } | undefined;
}

export interface ResolveOptions {
  /** The step's action type: a Swarm task's container takes only the ones in SWARM_TASK_ACTIONS. */
  action?: string | undefined;
  optInLabel: string;
  maxContainers: number | undefined;
  /** Fewer opted-in containers than this are refused (default 1; 0 for withLabel). */
  minContainers?: number | undefined;
  /** Replicas of a Compose service that must stay healthy while a disruptive step acts: a count or "50%". */
  minHealthy?: number | string | undefined;
  /** The step's action is disruptive: count the Compose service's running replicas (share cap). */
  disruptive: boolean;
  /** Sees what the engine listed, before the opt-in and count rules (simulate shows it). */
  onFound?: ((found: ContainerSummary[]) => void) | undefined;
}

export const containerIdentity = (name: string): string => `container/${name}`;
export const serviceIdentity = (project: string | undefined, name: string): string =>
  `service/${project ?? ''}/${name}`;

/** Docker labels every container of a Swarm task carries. */
export const SWARM_TASK_LABEL = 'com.docker.swarm.task.id';
const SWARM_SERVICE_LABEL = 'com.docker.swarm.service.name';
/**
 * What may act on a Swarm task's container itself: reading it (collect) and running a command
 * in it (exec). Anything that stops, restarts, replaces or reconfigures it would fight the
 * orchestrator, which reschedules the task its own way: act on the service (swarmService:).
 */
export const SWARM_TASK_ACTIONS: ReadonlySet<string> = new Set(['exec', 'collect']);

function refuseSwarmTasks(found: ContainerSummary[], action: string | undefined): void {
  if (action === undefined || SWARM_TASK_ACTIONS.has(action)) return;
  const task = found.find((c) => c.labels[SWARM_TASK_LABEL] !== undefined);
  if (!task) return;
  const service = task.labels[SWARM_SERVICE_LABEL] ?? 'its service';
  throw new RefusedError(
    `container ${task.name} is a task of Swarm service ${service}: ${action} is refused on a Swarm task's ` +
      `container (Swarm reschedules its tasks its own way); target the service instead (swarmService: ${service})`,
  );
}

function optedIn(found: ContainerSummary[], label: string) {
  return {
    yes: found.filter((c) => c.labels[label] === 'true'),
    no: found.filter((c) => c.labels[label] !== 'true').map((c) => c.name),
  };
}

async function resolveService(
  rendered: RenderedTarget,
  docker: DockerPort,
  o: ResolveOptions,
): Promise<ResolvedTargets> {
  let service = rendered.service;
  if (!service && rendered.container !== undefined) {
    // A service-scope step naming a container acts on that container's Compose service.
    const [c] = await docker.listContainers({ name: rendered.container });
    if (!c) throw new TargetNotFoundError(`${rendered.description} not found on Docker host ${rendered.host}`);
    refuseSwarmTasks([c], o.action);
    const name = c.labels[COMPOSE_SERVICE];
    if (!name) throw new RefusedError(`${rendered.description} is not part of a Compose service: nothing to scale`);
    const project = c.labels[COMPOSE_PROJECT];
    service = {
      name,
      project,
      selector: { [COMPOSE_SERVICE]: name, ...(project ? { [COMPOSE_PROJECT]: project } : {}) },
    };
  }
  if (!service) throw new RefusedError(`${rendered.description}: a service-scope action needs a service or labels`);
  const found = await docker.listContainers({ labels: service.selector });
  o.onFound?.(found);
  const description = `service ${service.name}${service.project ? ` (project ${service.project})` : ''}`;
  if (found.length === 0) throw new TargetNotFoundError(`${description} not found on Docker host ${rendered.host}`);
  const { yes, no } = optedIn(found, o.optInLabel);
  if (yes.length === 0) {
    throw new RefusedError(
      `${description} has no container with the label ${o.optInLabel}=true; remediator only touches containers that opt in`,
    );
  }
  if (o.maxContainers !== undefined && yes.length > o.maxContainers) {
    throw new BlastRadiusError(
      'too_many',
      `${description} has ${yes.length} opted-in containers, more than target.maxContainers (${o.maxContainers})`,
    );
  }
  const id = serviceIdentity(service.project ?? yes[0]!.labels[COMPOSE_PROJECT], service.name);
  return {
    host: rendered.host,
    scope: 'service',
    description,
    containers: yes,
    service,
    swarm: undefined,
    notOptedIn: no,
    // The service and every replica: no restart of a replica while the service is scaled.
    locks: [id, ...yes.map((c) => containerIdentity(c.name))],
    subjects: [id],
    replicaGroup: undefined,
  };
}

async function resolveSwarm(rendered: RenderedTarget, docker: DockerPort, o: ResolveOptions): Promise<ResolvedTargets> {
  const name = rendered.swarmService!;
  const svc = await docker.findService(name);
  if (!svc) throw new TargetNotFoundError(`Swarm service ${name} not found on Docker host ${rendered.host}`);
  if (svc.labels[o.optInLabel] !== 'true') {
    throw new RefusedError(`Swarm service ${name} does not carry the label ${o.optInLabel}=true`);
  }
  return {
    host: rendered.host,
    scope: 'service',
    description: rendered.description,
    containers: [],
    service: undefined,
    swarm: svc,
    notOptedIn: [],
    locks: [`swarm/${name}`],
    subjects: [`swarm/${name}`],
    replicaGroup: undefined,
  };
}

/**
 * A container by name; when there is none, the one a recreate put aside under that name (a
 * worker died between the rename and the new container's create: its rerun must find it).
 */
async function byName(docker: DockerPort, name: string): Promise<ContainerSummary[]> {
  const found = await docker.listContainers({ name });
  if (found.length > 0) return found;
  const aside = await docker.listContainers({ namePrefix: `${name}-remediator-old-` });
  return aside.filter((c) => originalName(c) === name);
}

/** Find the rendered target on its host and keep only containers that opted in. */
export async function resolveTargets(
  rendered: RenderedTarget,
  scope: ActionScope,
  docker: DockerPort,
  o: ResolveOptions,
): Promise<ResolvedTargets> {
  const base = { host: rendered.host, scope, swarm: undefined, replicaGroup: undefined };
  if (scope === 'host') {
    return {
      ...base,
      description: rendered.description,
      containers: [],
      service: undefined,
      notOptedIn: [],
      locks: ['host'],
      subjects: ['host'],
    };
  }
  if (rendered.swarmService !== undefined) return resolveSwarm(rendered, docker, o);
  if (scope === 'service') return resolveService(rendered, docker, o);
  const found =
    rendered.container !== undefined
      ? await byName(docker, rendered.container)
      : rendered.withLabel !== undefined
        ? await docker.listContainers({ labelKeys: [rendered.withLabel] })
        : await docker.listContainers({ labels: rendered.selector! });
  o.onFound?.(found);
  // "Every container that declares X" may be none: nothing to do there, not a failure.
  const optional = rendered.withLabel !== undefined;
  if (found.length === 0 && !optional) {
    throw new TargetNotFoundError(`${rendered.description} not found on Docker host ${rendered.host}`);
  }
  const { yes, no } = optedIn(found, o.optInLabel);
  refuseSwarmTasks(yes, o.action);
  if (yes.length === 0 && !optional) {
    throw new RefusedError(
      `${rendered.description} does not carry the label ${o.optInLabel}=true; remediator only touches containers that opt in`,
    );
  }
  const atLeast = o.minContainers ?? (optional ? 0 : 1);
  if (yes.length < atLeast) {
    throw new BlastRadiusError(
      'empty',
      `${rendered.description} matches ${yes.length} opted-in containers, fewer than target.minContainers (${atLeast}): nothing to act on where targets are expected`,
    );
  }
  const limit = o.maxContainers ?? 1;
  if (yes.length > limit) {
    throw new BlastRadiusError(
      'too_many',
      `${rendered.description} matches ${yes.length} containers, more than target.maxContainers (${limit})`,
    );
  }
  let replicaGroup: ResolvedTargets['replicaGroup'];
  let health: ResolvedTargets['health'];
  const first = yes[0];
  const service = first?.labels[COMPOSE_SERVICE];
  if (first && o.disruptive && service) {
    const project = first.labels[COMPOSE_PROJECT];
    const selector = { [COMPOSE_SERVICE]: service, ...(project ? { [COMPOSE_PROJECT]: project } : {}) };
    const running = (await docker.listContainers({ labels: selector, all: false })).length;
    replicaGroup = { group: serviceIdentity(project, service), running };
    if (o.minHealthy !== undefined) health = await healthOf(docker, selector, service, o.minHealthy);
  }
  const ids = yes.map((c) => containerIdentity(c.name));
  if (ids.length === 0) ids.push(`none/${rendered.withLabel ?? ''}`);
  return {
    ...base,
    description: rendered.description,
    containers: yes,
    service: rendered.service,
    notOptedIn: no,
    locks: ids,
    subjects: ids,
    replicaGroup,
    health,
  };
}

/** A service's healthy replicas (running, not paused, healthy or without a health check) and its minHealthy. */
async function healthOf(
  docker: DockerPort,
  selector: Record<string, string>,
  service: string,
  minHealthy: number | string,
): Promise<NonNullable<ResolvedTargets['health']>> {
  const replicas = await docker.findContainers({ labels: selector });
  const healthy = replicas
    .filter((c) => c.running && !c.paused && (c.health === 'healthy' || c.health === 'none'))
    .map((c) => c.name);
  const min =
    typeof minHealthy === 'number' ? minHealthy : Math.ceil((Number(minHealthy.slice(0, -1)) / 100) * replicas.length);
  return { service: `service ${service}`, healthy, min };
}

/** Stage 2b, once the lock is held: each target's fresh state (health, start time) for the action. */
export async function inspectTargets(resolved: ResolvedTargets, docker: DockerPort): Promise<ContainerInfo[]> {
  const infos = await Promise.all(
    resolved.containers.map((c) =>
      docker.inspect(c.id).catch((err) => (err instanceof TargetNotFoundError ? undefined : Promise.reject(err))),
    ),
  );
  const alive = infos.filter((c): c is ContainerInfo => c !== undefined);
  if (alive.length === 0 && resolved.containers.length > 0) {
    throw new TargetNotFoundError(`${resolved.description} disappeared before remediator could act`);
  }
  return alive;
}

/** The guards one step of one job asks for, from what its targets resolved to. Pure. */
export function guardRequest(input: {
  resolved: ResolvedTargets;
  jobId: string;
  fireJobId: string;
  remediation: GuardRequest['remediation'];
  phase: 'fire' | 'resolve';
  maxInFlight: number;
  /** Share of a Compose service's running replicas a disruptive action may take at once. */
  serviceShare?: number | undefined;
}): GuardRequest {
  const { resolved } = input;
  const group = resolved.replicaGroup;
  return {
    host: resolved.host,
    jobId: input.jobId,
    fireJobId: input.fireJobId,
    remediation: input.remediation,
    locks: resolved.locks,
    subjects: resolved.subjects,
    // onResolved undoes or tidies up (scale back): cooldown and budget limit the fix, not that.
    admit: input.phase === 'fire',
    checkResolved: input.phase === 'fire',
    maxInFlight: input.maxInFlight,
    share: group && { group: group.group, limit: Math.max(1, Math.floor(group.running * (input.serviceShare ?? 0.5))) },
  };
}
