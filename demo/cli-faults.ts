// The faults `npm run demo -- <fault>` injects into the stack `npm run up` started, one entry
// each: its usage, how its argument is checked, and what it says it did and what comes next
// (the alert, how long it takes in this stack's timings, what remediator does). demo/cli.ts
// runs them; demo/lib.ts and demo/faults.ts do the breaking.
import type Docker from 'dockerode';
import {
  crashWorker,
  deployCanary,
  disconnectNetwork,
  fillDisk,
  growDataset,
  killDependency,
  setCpuBurst,
  setErrorFault,
  setLatencyFault,
  setQueueSurge,
  type DemoNames,
} from './lib.js';

/** What demo/cli.ts keeps in $REMEDIATOR_RUN_DIR/demo.json for the faults. */
export interface FaultState {
  names: DemoNames;
  project: string;
  /** node_exporter's textfile folder (the canary publishes its metrics there). */
  metricsDir: string;
  /** The demo disk (tmpfs) when it is the engine's data root; the disk fault needs it. */
  diskDir: string | undefined;
  fast: boolean;
}

/** A fault that cannot be injected because what it needs is not there: exit 69. */
export class Unavailable extends Error {}
/** Wrong arguments: exit 2. */
export class Usage extends Error {}

interface Fault {
  usage: string;
  /** Undefined when the argument is fine; else what is wrong with it. */
  badArg(arg: string | undefined): string | undefined;
  run(docker: Docker, s: FaultState, arg: string | undefined): Promise<string>;
}

const none = (arg: string | undefined) => (arg === undefined ? undefined : 'takes no argument');
const offOrNone = (arg: string | undefined) =>
  arg === undefined || arg === 'off' ? undefined : 'expected "off" or nothing';
const seconds = (arg: string | undefined) =>
  arg === undefined || arg === 'off' || (/^[1-9][0-9]{0,3}$/.test(arg) && Number(arg) <= 3600)
    ? undefined
    : `expected a length in seconds (1-3600) or "off", got ${arg}`;
const wait = (s: FaultState, fast: string, slow: string) => (s.fast ? fast : slow);

export const FAULTS: Record<string, Fault> = {
  latency: {
    usage: 'latency [off]',
    badArg: offOrNone,
    async run(docker, s, arg) {
      if (arg === 'off') return (await setLatencyFault(docker, s.names.api, false), 'latency fault off');
      await setLatencyFault(docker, s.names.api, true);
      return `latency fault on: every request to ${s.names.api} now takes 1.5 s.
HighLatency fires in ${wait(s, '~10 s', '~1.5 min (2m window, for: 1m)')}; remediator restarts ${s.names.api}, which clears the fault.`;
    },
  },
  queue: {
    usage: 'queue [SECONDS|off]',
    badArg: seconds,
    async run(docker, s, arg) {
      if (arg === 'off') return (await setQueueSurge(docker, s.names.broker, false), 'traffic surge off');
      // Long enough for the alert to fire and the scale-out to drain it; a surge that outlasts
      // the scale-back makes the alert fire again (and the remediation's cooldown show).
      const n = Number(arg ?? (s.fast ? 25 : 240));
      await setQueueSurge(docker, s.names.broker, true, n);
      return `traffic surge on for ${n} s: 600 msg/s into "emails", one ${s.names.workerService} replica takes 400/s.
QueueDepthHigh fires in ${wait(s, '~10 s', '~2.5 min (for: 2m)')}; remediator scales ${s.names.workerService} out, and back in once it resolves.`;
    },
  },
  disk: {
    usage: 'disk',
    badArg: none,
    async run(docker, s) {
      if (!s.diskDir)
        throw new Unavailable(
          'the disk fault needs the demo Docker Engine (data root on a small tmpfs) that npm run up starts when no engine is reachable; it never fills a real disk',
        );
      const r = await fillDisk(docker, s.project);
      return `${r.output.trim()}\ndisk_full fires for ${s.diskDir} in ${wait(s, '~5 s', '~1.5 min (for: 1m)')}; remediator prunes the stopped batch container.`;
    },
  },
  worker: {
    usage: 'worker [corrupt]',
    badArg: (arg) => (arg === undefined || arg === 'corrupt' ? undefined : 'expected "corrupt" or nothing'),
    async run(docker, s, arg) {
      const corrupt = arg === 'corrupt';
      await crashWorker(docker, s.names.worker, { corrupt });
      return `${s.names.worker} crashed${corrupt ? ', leaving a corrupt checkpoint in its container layer' : ''}.
WorkerDown fires in ${wait(s, '~8 s', '~1.5 min (for: 1m)')}; remediator starts it${corrupt ? ' (it exits again at once), then recreates it from the same configuration' : ''}.`;
    },
  },
  errors: {
    usage: 'errors [off]',
    badArg: offOrNone,
    async run(docker, s, arg) {
      const on = arg !== 'off';
      await setErrorFault(docker, s.names.agent, on);
      if (!on) return 'errors fault off';
      return `every task of ${s.names.agent} now fails with a 500.
HighErrorRate fires in ${wait(s, '~5 s', '~2.5 min (for: 2m)')}; remediator restarts ${s.names.agent} (and scales its service out if that is not enough).`;
    },
  },
  slow: {
    usage: 'slow [off]',
    badArg: offOrNone,
    async run(docker, s, arg) {
      const on = arg !== 'off';
      await setLatencyFault(docker, s.names.agent, on, 3);
      if (!on) return 'slow fault off';
      return `every task of ${s.names.agent} now takes 3 s.
SlowExecution fires in ${wait(s, '~10 s', '~2.5 min (for: 2m)')}; remediator restarts ${s.names.agent} (and scales its service out if that is not enough).`;
    },
  },
  canary: {
    usage: 'canary',
    badArg: none,
    async run(docker, s) {
      const canary = await deployCanary(docker, {
        project: s.project,
        metricsDir: s.metricsDir,
        healthIntervalMs: s.fast ? 1000 : undefined,
      });
      return `release 2 deployed as ${canary}; every request to it fails.
HighErrorRate (track="canary") fires in ${wait(s, '~6 s', '~2.5 min (for: 2m)')}; remediator collects evidence, then rolls ${canary} back to release 1.`;
    },
  },
  cpu: {
    usage: 'cpu [SECONDS|off]',
    badArg: seconds,
    async run(docker, s, arg) {
      if (arg === 'off') return (await setCpuBurst(docker, s.names.etl, false), 'CPU burst off');
      const n = Number(arg ?? (s.fast ? 30 : 420));
      await setCpuBurst(docker, s.names.etl, true, n);
      return `${s.names.etl} bursts for ${n} s against its 0.1 CPU quota.
cpu_throttling fires in ${wait(s, '~6 s', '~2.5 min (5m window, for: 2m)')}; remediator collects evidence and halves its CPU shares and quota; once the burst is over and the alert resolves, it puts them back.`;
    },
  },
  network: {
    usage: 'network',
    badArg: none,
    async run(docker, s) {
      await disconnectNetwork(docker, s.names.gateway, s.names.network);
      return `${s.names.gateway} disconnected from ${s.names.network}; its probe fails.
network_failure fires in ${wait(s, '~5 s', '~1.5 min (for: 1m)')}; remediator reconnects it (and restarts it if that is not enough).`;
    },
  },
  db: {
    usage: 'db',
    badArg: none,
    async run(docker, s) {
      await killDependency(docker, s.names.db);
      return `the server in ${s.names.db} died (its container still runs); ${s.names.mlapi}'s connection pool breaks.
ServiceDown fires in ${wait(s, '~4 s', '~1.5 min (for: 1m)')}; remediator restarts ${s.names.db}, then ${s.names.mlapi}.`;
    },
  },
  oom: {
    usage: 'oom',
    badArg: none,
    async run(docker, s) {
      const r = await growDataset(docker, s.names.trainer, 48);
      return `${s.names.trainer}'s dataset grew to 48 MiB past its 32 MiB limit: OOM-killed (exit ${r.State.ExitCode}, OOMKilled ${r.State.OOMKilled}).
ContainerOOMKilled fires in ${wait(s, '~2 s', '~10 s')}; remediator doubles its memory limit and starts it.`;
    },
  },
};

export const FAULT_USAGE = `usage: npm run demo -- ${[...Object.values(FAULTS).map((f) => f.usage), 'status'].join(' | ')}`;
