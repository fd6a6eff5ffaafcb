// Docker's event stream, recorded live for the length of a test. `docker events --since`
// replays only the last 256 events of an engine, so a long test asking afterwards can miss
// what it is about; a stream opened before the test acts misses nothing.
import type Docker from 'dockerode';

export interface DockerEvent {
  /** e.g. "kill", "die", "start", "restart", "exec_start", "destroy", "pause", "connect". */
  action: string;
  /** For execs: the command line Docker reports ("exec_start: sh /app/cleanup.sh" -> "sh /app/cleanup.sh"). */
  detail: string;
  /** Container (or network) name. */
  name: string;
  id: string;
  type: string;
  timeMs: number;
}

export interface EventRecorder {
  readonly events: DockerEvent[];
  /** Events of one container, optionally only some actions, in order. */
  of(name: string, actions?: string[]): DockerEvent[];
  stop(): Promise<void>;
}

/** Start recording; resolves once the stream is open (so nothing after it is missed). */
export async function recordEvents(docker: Docker, filters: Record<string, string[]> = {}): Promise<EventRecorder> {
  const stream = (await docker.getEvents({ filters })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  const events: DockerEvent[] = [];
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      const e = JSON.parse(line) as {
        Type: string;
        Action: string;
        Actor: { ID: string; Attributes: Record<string, string> };
        timeNano: number;
      };
      const [action, ...rest] = e.Action.split(':');
      events.push({
        action: action!.trim(),
        detail: rest.join(':').trim(),
        name: e.Actor.Attributes.name ?? e.Actor.ID,
        id: e.Actor.ID,
        type: e.Type,
        timeMs: e.timeNano / 1e6,
      });
    }
  });
  stream.on('error', () => undefined);
  return {
    events,
    of: (name, actions) => events.filter((e) => e.name === name && (!actions || actions.includes(e.action))),
    async stop() {
      stream.destroy();
    },
  };
}
