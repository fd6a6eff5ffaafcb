// Docker's event stream read live from a test's start: `docker events --since` keeps only the
// engine's last 256 events, so a test proving "no Docker action happened" (or "exactly one")
// over a busy run records the stream itself, from before the first alert to its last check.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { TEST_IMAGE } from './docker.js';

const run = promisify(execFile);

export interface DockerEvent {
  /** create, start, kill, die, stop, restart, destroy, rename, exec_start, ... (the part before ':'). */
  action: string;
  name: string;
  id: string;
  at: number;
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

export interface EventRecorder {
  events: DockerEvent[];
  /** Events of containers whose name starts with `prefix`, actions only. */
  actionsOn(prefix: string): DockerEvent[];
  /** Wait until every event the engine emitted before this call has arrived. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** Start `docker events` against `dockerHost`; resolves once the stream is connected. */
export async function recordDockerEvents(dockerHost: string): Promise<EventRecorder> {
  const child = spawn('docker', ['events', '--format', '{{json .}}', '--filter', 'type=container'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DOCKER_HOST: dockerHost },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: DockerEvent[] = [];
  let buf = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      const e = JSON.parse(line) as {
        Action: string;
        id: string;
        timeNano: number;
        Actor: { Attributes: { name?: string } };
      };
      events.push({
        action: e.Action.split(':')[0]!,
        name: e.Actor.Attributes.name ?? '',
        id: e.id,
        at: e.timeNano / 1e6,
      });
    }
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  // Live once it shows an event made after it started: create and remove a probe container.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DOCKER_HOST: dockerHost };
  // A probe container's events mark a point in the stream: everything the engine did before
  // them has arrived once they have (the stream is ordered).
  const probe = async (): Promise<void> => {
    const tag = `events-probe-${randomBytes(4).toString('hex')}-`;
    const deadline = Date.now() + 15_000;
    // The client may subscribe after the first probe: probe again each second until one shows.
    for (let n = 0; !events.some((e) => e.name.startsWith(tag)); n++) {
      if (child.exitCode !== null) throw new Error(`docker events exited: ${stderr.trim()}`);
      if (Date.now() > deadline) throw new Error('docker events showed no event within 15 s');
      if (n % 20 === 0) {
        const name = `${tag}${n}`;
        await run('docker', ['create', '--name', name, '--network', 'none', TEST_IMAGE, 'true'], { env });
        await run('docker', ['rm', name], { env });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await probe();
  return {
    events,
    actionsOn: (prefix) => events.filter((e) => e.name.startsWith(prefix) && ACTIONS.has(e.action)),
    flush: probe,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
