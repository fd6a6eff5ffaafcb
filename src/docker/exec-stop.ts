import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { ExecStillRunningError } from '../errors.js';

/**
 * Stopping a `docker exec` that timed out or was aborted, and proving it stopped, before the
 * step ends (and its lock is released). Killing the exec's own process is not enough: a
 * script's children (a `sleep`, a cleanup tool it runs) keep running in the container, and
 * Docker reports the exec finished as soon as its first process is gone. An exec is its own
 * session and process group leader, so the whole group is signalled and watched:
 * - with a shell in the container (the wrapper of exec.ts proved there is one and gave the
 *   pid), one short exec of STOPPER sends SIGTERM to the group, waits up to the grace for
 *   every live member to go, then sends SIGKILL and waits again;
 * - without one, the exec's host pid is signalled (SIGKILL to its group) when this process can
 *   see it and it is the exec's command (a worker beside its engine, not in another pid
 *   namespace);
 * - otherwise ExecStillRunningError: the target stays locked and the job escalates.
 */

/** Tenths of a second: SIGTERM's grace, then how long SIGKILL may take to be seen. */
const GRACE_TENTHS = 20;
const KILL_TENTHS = 30;
/** How long the stopper itself may take before this side gives up on it. */
const STOPPER_BOUND_MS = (GRACE_TENTHS + KILL_TENTHS) * 100 + 5_000;
const HOST_CONFIRM_MS = 3_000;

/**
 * Run by the container's own `sh` as `sh -c STOPPER remediator-stop <pid> <grace> <limit>`.
 * A member is any process whose pid or process group is <pid>, unless it is a zombie (dead,
 * waiting for the container's init to reap it). Exit 0 when none is left, 1 otherwise. The
 * pid is an argument, never part of the script. Where `sleep 0.1` is refused (no fractions),
 * each wait is a second and counts as ten tenths.
 */
const STOPPER = `p=$1; grace=$2; limit=$3; i=0
alive() {
  for f in /proc/[0-9]*/stat; do
    read -r s < "$f" 2>/dev/null || continue
    pid=\${s%% *}
    s=\${s##*')'}
    set -- $s
    [ "$1" != Z ] && { [ "$pid" = "$p" ] || [ "$3" = "$p" ]; } && return 0
  done
  return 1
}
nap() { sleep 0.1 2>/dev/null || { sleep 1; i=$((i + 9)); }; i=$((i + 1)); }
kill -TERM -"$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
while alive; do
  [ "$i" -ge "$grace" ] && { kill -KILL -"$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null; }
  [ "$i" -ge "$limit" ] && exit 1
  nap
done
exit 0`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function running(exec: Docker.Exec): Promise<boolean> {
  try {
    return (await exec.inspect()).Running;
  } catch {
    return false; // the exec (or its container) is gone
  }
}

async function waitStopped(exec: Docker.Exec, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (!(await running(exec))) return true;
    if (Date.now() > until) return false;
    await sleep(100);
  }
}

/** Run STOPPER in the container; true when it says nothing of the group is left. */
async function stopInContainer(container: Docker.Container, pid: number, user: string | undefined): Promise<boolean> {
  const stopper = await container.exec({
    Cmd: [
      'sh',
      '-c',
      STOPPER,
      'remediator-stop',
      String(pid),
      String(GRACE_TENTHS),
      String(GRACE_TENTHS + KILL_TENTHS),
    ],
    // As the command's user: a user may always signal its own processes.
    User: user,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await stopper.start({ hijack: true, stdin: false });
  stream.resume();
  await Promise.race([new Promise((r) => stream.on('end', r).on('error', r)), sleep(STOPPER_BOUND_MS)]);
  stream.destroy();
  // The stream can end a moment before the engine records the exit code.
  for (let i = 0; i < 50; i++) {
    const info = await stopper.inspect();
    if (!info.Running) return info.ExitCode === 0;
    await sleep(20);
  }
  return false;
}

/** The exec's process as this process sees it, if it is there and runs the exec's command. */
function hostProcess(hostPid: number | undefined, argv: string[]): number | undefined {
  if (!hostPid) return undefined;
  try {
    // Another pid namespace may reuse the number for something else: match the command too.
    const cmdline = readFileSync(`/proc/${hostPid}/cmdline`, 'utf8').split('\0').slice(0, -1);
    return cmdline.length === argv.length && cmdline.every((a, i) => a === argv[i]) ? hostPid : undefined;
  } catch {
    return undefined;
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
}

/**
 * Stop a running exec and everything it started, and confirm it; throws ExecStillRunningError
 * when it cannot. `pid`: the command's pid in the container (from the wrapper), when known.
 */
export async function stopExec(
  container: Docker.Container,
  exec: Docker.Exec,
  pid: number | undefined,
  o: { user?: string | undefined; argv: string[] },
): Promise<void> {
  if (pid !== undefined && pid > 0) {
    const gone = await stopInContainer(container, pid, o.user).catch(() => false);
    if (gone && !(await running(exec))) return;
    // No exec could be made: a container that stopped took every process of it along.
    if (!gone && (await container.inspect().catch(() => undefined))?.State.Running === false) return;
  } else {
    const hostPid = hostProcess((await exec.inspect().catch(() => undefined))?.Pid, o.argv);
    if (hostPid !== undefined) {
      killGroup(hostPid);
      if (await waitStopped(exec, HOST_CONFIRM_MS)) return;
    }
  }
  throw new ExecStillRunningError(
    `exec ${exec.id.slice(0, 12)} could not be confirmed stopped; its target stays locked until the lock expires`,
  );
}
