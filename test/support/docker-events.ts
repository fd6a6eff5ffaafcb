// Docker's event stream, recorded live for a test's duration. `docker events --since` replays
// only the engine's last 256 events, so a test that counts or orders actions over a busy run
// must subscribe before it starts and keep everything itself. Windows and ordering come from
// the engine's own clock (timeNano), so an assertion never depends on when remediator logged.
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { TEST_IMAGE } from './docker.js';

/** One event as the engine reported it (a container's, unless the recorder asked for more types). */
export interface DockerEvent {
  /** `container`, or another type the recorder was asked for (`network`, ...). */
  type: string;
  /** Milliseconds since the epoch, from the engine's timeNano. */
  t: number;
  /** `kill`, `start`, `exec_start`, ... (Action without its `: <command>` tail). */
  verb: string;
  /** The Action's tail: the command for exec events. */
  detail: string;
  /** The container's name (for another type: its object's name, e.g. the network's). */
  name: string;
  /** The container id. */
  id: string;
  /** Attributes: the container's labels, plus `execID`, `exitCode`, `signal` where given. */
  attributes: Record<string, string>;
}

/** When the engine was doing one thing to one container. */
export interface ActionWindow {
  kind: 'restart' | 'exec' | 'create';
  container: string;
  start: number;
  end: number;
  /** exec: its id, command and exit code. */
  execId?: string;
  command?: string;
  exitCode?: string;
}

export interface EventRecorder {
  /** Every container event since the recorder started, in the engine's order. */
  events: DockerEvent[];
  /** The first event (already recorded or still to come) satisfying `pred`. */
  next(pred: (e: DockerEvent) => boolean, timeoutMs?: number): Promise<DockerEvent>;
  /**
   * Action windows of the recorded events `which` accepts (for exec: its exec_start):
   * restart [first kill, restart], exec [exec_start, exec_die] of one exec id,
   * create [create, start] (a container remediator made, e.g. a scaled-out replica).
   */
  windows(kind: ActionWindow['kind'], which?: (e: DockerEvent) => boolean): ActionWindow[];
  /**
   * Wait until every event the engine emitted before this call has been recorded: the engine
   * delivers in order, so seeing a marker (an exec created, never started, in a running
   * `container`) proves everything before it arrived.
   */
  sync(container: string): Promise<void>;
  /** Events of one container (by name, whatever its id), optionally only some verbs, in the engine's order. */
  of(name: string, verbs?: string[]): DockerEvent[];
  /** Container actions (not reads) on containers whose name starts with `prefix`. */
  actionsOn(prefix: string): DockerEvent[];
  /**
   * Like sync(), without a running container: a probe container is created and removed, and
   * once its destroy is recorded every earlier event is too.
   */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

interface RawEvent {
  Type?: string;
  Action: string;
  id?: string;
  timeNano: number;
  Actor: { ID: string; Attributes: Record<string, string> };
}

/** Container actions remediator's actions cause (reads such as inspect emit no event). */
export const ACTIONS = new Set([
  'create',
  'start',
  'restart',
  'kill',
  'stop',
  'die',
  'destroy',
  'rename',
  'pause',
  'unpause',
  'update',
  'exec_start',
]);

/**
 * Subscribe to the engine's events now; nothing before this moment is kept. Container events
 * only, unless `types` asks for more (e.g. `network`, for connects and disconnects).
 */
export async function recordEvents(docker: Docker, types: string[] = ['container']): Promise<EventRecorder> {
  const t0 = Date.now();
  // The engine sends its response head before it subscribes; `since` replays the moment in
  // between from its buffer, so no event after t0 is missed. Events before t0 are dropped.
  const stream = (await docker.getEvents({
    since: Math.floor(t0 / 1000) - 1,
    filters: { type: types },
  } as Docker.GetEventsOptions)) as unknown as NodeJS.ReadableStream & { destroy(): void };
  const events: DockerEvent[] = [];
  const waiters = new Set<() => void>();
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    rest += chunk.toString();
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      const raw = JSON.parse(line) as RawEvent;
      const t = raw.timeNano / 1e6;
      if (t < t0) continue;
      const [verb = '', ...tail] = raw.Action.split(': ');
      events.push({
        type: raw.Type ?? 'container',
        t,
        verb,
        detail: tail.join(': '),
        name: raw.Actor.Attributes.name ?? '',
        id: raw.Actor.ID,
        attributes: raw.Actor.Attributes,
      });
    }
    for (const w of waiters) w();
  });
  stream.on('error', () => undefined);

  const recorder: EventRecorder = {
    events,
    of: (name, verbs) =>
      events.filter((e) => e.type === 'container' && e.name === name && (!verbs || verbs.includes(e.verb))),
    actionsOn: (prefix) =>
      events.filter((e) => e.type === 'container' && e.name.startsWith(prefix) && ACTIONS.has(e.verb)),
    async flush() {
      const name = `events-probe-${randomBytes(4).toString('hex')}`;
      const probe = await docker.createContainer({
        name,
        Image: TEST_IMAGE,
        Cmd: ['true'],
        HostConfig: { NetworkMode: 'none' },
      });
      await probe.remove();
      await recorder.next((e) => e.name === name && e.verb === 'destroy', 15_000);
    },
    next(pred, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.find(pred);
          if (!hit) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const seen = events.map((e) => `${e.name} ${e.verb}`).slice(-20);
          reject(new Error(`no matching Docker event within ${timeoutMs} ms; last seen: ${seen.join(', ')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    windows(kind, which = () => true) {
      const mine = events.filter(which);
      const out: ActionWindow[] = [];
      if (kind === 'exec') {
        // `which` picks the starts (exec_die carries no command); a die closes its exec's start.
        const open = new Map<string, DockerEvent>();
        for (const e of events) {
          const execId = e.attributes.execID;
          if (!execId) continue;
          if (e.verb === 'exec_start' && which(e)) open.set(execId, e);
          else if (e.verb === 'exec_die' && open.has(execId)) {
            const s = open.get(execId)!;
            open.delete(execId);
            out.push({
              kind,
              container: e.name,
              start: s.t,
              end: e.t,
              execId,
              command: s.detail,
              exitCode: e.attributes.exitCode,
            });
          }
        }
        // Still running when the windows were read: open until now.
        for (const [execId, s] of open) {
          out.push({ kind, container: s.name, start: s.t, end: Infinity, execId, command: s.detail });
        }
        return out.sort((a, b) => a.start - b.start);
      }
      if (kind === 'create') {
        const created = new Map<string, number>();
        for (const e of mine) {
          if (e.verb === 'create') created.set(e.id, e.t);
          else if (e.verb === 'start' && created.has(e.id)) {
            out.push({ kind, container: e.name, start: created.get(e.id)!, end: e.t });
            created.delete(e.id);
          }
        }
        return out.sort((a, b) => a.start - b.start);
      }
      // A restart is kill (SIGTERM) ... die, stop, start, restart. The first kill since the
      // container last started opens it; its own start arms it and `restart` closes it (a plain
      // stop and start, without `restart`, makes no window).
      const killed = new Map<string, number>();
      const armed = new Map<string, number>();
      for (const e of mine) {
        if (e.verb === 'kill' && !killed.has(e.id)) killed.set(e.id, e.t);
        else if (e.verb === 'start') {
          const k = killed.get(e.id);
          killed.delete(e.id);
          if (k === undefined) armed.delete(e.id);
          else armed.set(e.id, k);
        } else if (e.verb === 'restart' && armed.has(e.id)) {
          out.push({ kind, container: e.name, start: armed.get(e.id)!, end: e.t });
          armed.delete(e.id);
        }
      }
      return out.sort((a, b) => a.start - b.start);
    },
    async sync(container) {
      const marker = await docker.getContainer(container).exec({ Cmd: ['true'] });
      await recorder.next((e) => e.verb === 'exec_create' && e.attributes.execID === marker.id);
    },
    async stop() {
      for (const w of waiters) w();
      stream.destroy();
    },
  };
  return recorder;
}

/** True when any two windows overlap in time. */
export function anyOverlap(windows: { start: number; end: number }[]): boolean {
  return windows.some((a, i) => windows.some((b, j) => i < j && a.start < b.end && b.start < a.end));
}
