// CPU time of a whole process tree, for the two-host row: a Docker engine's work is done by
// dockerd, containerd and, per container start, a fresh containerd-shim and runc that exit
// (re-parented, so no /proc figure of a live process keeps their time). A cgroup-v1 cpuacct
// group of our own counts all of it: processes moved in take their future children with them.
// Without a writable cpuacct hierarchy it falls back to the live processes only (said in `exact`).
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cpuMsOf } from './service.js';

const CPUACCT = '/sys/fs/cgroup/cpuacct';

/** CPU accounting of every process whose command line names `marker` (and their descendants). */
export interface CpuGroup {
  /** true: a cpuacct group counts exited children too; false: live processes only (a lower bound). */
  exact: boolean;
  /** CPU ms used so far (user + system). */
  cpuMs(): number;
  /** Remove the group (it must be empty: call after its processes exited). Never throws. */
  remove(): void;
}

function pidsNaming(marker: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) out.push(Number(pid));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

const liveCpuMs = (marker: string) => pidsNaming(marker).reduce((sum, pid) => sum + safeCpu(pid), 0);
const safeCpu = (pid: number) => {
  try {
    return cpuMsOf(pid);
  } catch {
    return 0;
  }
};

/** Move the processes naming `marker` (e.g. a dockerd's root folder) into a new group `name`. */
export function cpuGroup(name: string, marker: string): CpuGroup {
  const dir = path.join(CPUACCT, name);
  try {
    mkdirSync(dir);
    for (const pid of pidsNaming(marker)) writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
  } catch {
    try {
      rmdirSync(dir);
    } catch {
      /* never made */
    }
    return { exact: false, cpuMs: () => liveCpuMs(marker), remove: () => undefined };
  }
  return {
    exact: true,
    cpuMs: () => Number(readFileSync(path.join(dir, 'cpuacct.usage'), 'utf8')) / 1e6,
    remove() {
      try {
        // Anything left (it should not be) goes back to the root group, so the group can go.
        for (const pid of readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean))
          writeFileSync(path.join(CPUACCT, 'cgroup.procs'), pid);
        rmdirSync(dir);
      } catch {
        /* already gone */
      }
    },
  };
}

/** Busy and total CPU ms of the whole machine (every core), from /proc/stat. */
export function machineCpuMs(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0) * 10;
  return { busy: total - (f[3]! + f[4]!) * 10, total }; // minus idle and iowait
}

/**
 * CPU ms of a container's own cgroup (cgroupfs driver: `<cpuacct>/docker/<id>`): runc's init
 * work inside the new namespaces, then the container's processes. The group is made anew at
 * each start, so read after one start it is that start's cost. 0 when it cannot be read.
 */
export function containerCpuMs(id: string): number {
  try {
    return Number(readFileSync(path.join(CPUACCT, 'docker', id, 'cpuacct.usage'), 'utf8')) / 1e6;
  } catch {
    return 0;
  }
}
