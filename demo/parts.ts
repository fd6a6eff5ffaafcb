// The demo's containers, one function per part, created as a Compose project would create
// them (project/service/number labels, `<project>-<service>-<n>` names). Those that serve on
// the host use its network (Prometheus scrapes them on 127.0.0.1); those without a port of
// their own publish their metrics as files for node_exporter's textfile collector (a host
// folder mounted at /metrics). demo/lib.ts starts them; demo/faults.ts breaks them.
import type Docker from 'dockerode';
import { DEMO_IMAGE, DEMO_IMAGE_V2 } from './image.js';

/** Every demo container carries DEMO_LABEL=<project>, so the demo can be removed as a whole. */
export const DEMO_LABEL = 'remediator.demo';
/** The label a container names its rollback image by (remediator's rollback reads it). */
const ROLLBACK_IMAGE_LABEL = 'remediator.rollback.image';

export type DemoPart = 'api' | 'queue' | 'agent' | 'etl' | 'gateway' | 'trainer' | 'deps';

export interface DemoSpec {
  /** Compose project name the containers carry (and prefix their names with), e.g. "demo". */
  project: string;
  /** 127.0.0.1 ports (host network) of the api, of the queue broker's /metrics, of the dependency. */
  apiPort?: number;
  queuePort?: number;
  dbPort?: number;
  /** Host folder holding the queue, bind-mounted into the broker and every consumer replica. */
  queueDir?: string;
  /** Host folder of node_exporter's textfile collector, mounted at /metrics. */
  metricsDir?: string;
  /** The consumer's Compose service: the `service` label of queue_depth. Default "worker". */
  workerService?: string;
  /** Health check interval of the containers that have one (default 2 s). */
  healthIntervalMs?: number;
  /** Opt-in label name (default remediator.enable). */
  optInLabel?: string;
  /** Which parts to run (default: api and queue). */
  parts?: DemoPart[];
}

export interface DemoNames {
  api: string;
  broker: string;
  workerService: string;
  /** The first consumer replica; remediator adds <project>-<service>-2 and so on. */
  worker: string;
  /** The scientific agent (HighErrorRate / SlowExecution). */
  agent: string;
  /** The noisy batch job (cpu_throttling). */
  etl: string;
  /** The service on the project's network (network_failure). */
  gateway: string;
  /** The training job (ContainerOOMKilled). */
  trainer: string;
  /** The dependency and the API that depends on it (ServiceDown). */
  db: string;
  mlapi: string;
  /** Release 2 as a canary, once deployed (HighErrorRate track="canary"). */
  canary: string;
  /** The project's default network, as Compose names it. */
  network: string;
}

export function demoNames(spec: Pick<DemoSpec, 'project' | 'workerService'>): DemoNames {
  const p = spec.project;
  const workerService = spec.workerService ?? 'worker';
  return {
    api: `${p}-api-1`,
    broker: `${p}-queue-1`,
    workerService,
    worker: `${p}-${workerService}-1`,
    agent: `${p}-agent-1`,
    etl: `${p}-etl-1`,
    gateway: `${p}-gateway-1`,
    trainer: `${p}-trainer-1`,
    db: `${p}-db-1`,
    mlapi: `${p}-mlapi-1`,
    canary: `${p}-web-canary-1`,
    network: `${p}_default`,
  };
}

export const compose = (project: string, service: string, n = 1): Record<string, string> => ({
  'com.docker.compose.project': project,
  'com.docker.compose.service': service,
  'com.docker.compose.container-number': String(n),
  [DEMO_LABEL]: project,
});

const need = <T>(v: T | undefined, what: string): T => {
  if (v === undefined) throw new Error(`demo: ${what} is required for this part`);
  return v;
};

/** What every container of a part is made of; `extra` adds to or overrides it. */
function base(spec: DemoSpec, name: string, service: string, cmd: string[], extra: Record<string, unknown> = {}) {
  const optIn = spec.optInLabel ?? 'remediator.enable';
  const { Labels, HostConfig, Env, ...rest } = extra as {
    Labels?: Record<string, string>;
    HostConfig?: Record<string, unknown>;
    Env?: string[];
  };
  return {
    name,
    Image: DEMO_IMAGE,
    Cmd: cmd,
    Env: [`CONTAINER_NAME=${name}`, ...(Env ?? [])],
    Labels: { ...compose(spec.project, service), [optIn]: 'true', ...Labels },
    // Init: SIGTERM reaches the shell at once, so a restart takes milliseconds, not 10 s.
    HostConfig: { Init: true, NetworkMode: 'none', ...HostConfig },
    ...rest,
  };
}

const textfile = (spec: DemoSpec) => `${need(spec.metricsDir, 'metricsDir')}:/metrics`;

const httpCheck = (spec: DemoSpec) => ({
  Test: ['CMD-SHELL', 'wget -q -O /dev/null "http://127.0.0.1:$PORT/healthz"'],
  Interval: (spec.healthIntervalMs ?? 2000) * 1e6,
  Timeout: 2e9,
  Retries: 3,
});

/** The api: on the host network at apiPort, scraped by Prometheus (HighLatency). */
export const createApi = (docker: Docker, spec: DemoSpec, n: DemoNames) =>
  docker.createContainer(
    base(spec, n.api, 'api', ['sh', '/app/api.sh'], {
      Env: [`PORT=${need(spec.apiPort, 'apiPort')}`],
      Healthcheck: httpCheck(spec),
      HostConfig: { NetworkMode: 'host', Tmpfs: { '/run/demo': 'size=1m' } },
    }),
  );

/** The queue broker (host network, queuePort) and one consumer replica (no network). */
export async function createQueue(docker: Docker, spec: DemoSpec, n: DemoNames): Promise<Docker.Container[]> {
  const queueDir = need(spec.queueDir, 'queueDir');
  const queueEnv = [`QUEUE_DIR=/queue`, `CONSUMER_SERVICE=${n.workerService}`];
  const optIn = spec.optInLabel ?? 'remediator.enable';
  // Consumers first: their heartbeat is there when the broker first counts replicas.
  const worker = await docker.createContainer(
    base(spec, n.worker, n.workerService, ['sh', '/app/consumer.sh'], {
      Env: queueEnv,
      HostConfig: { Binds: [`${queueDir}:/queue`] },
    }),
  );
  const broker = await docker.createContainer(
    base(spec, n.broker, 'queue', ['sh', '/app/queue.sh'], {
      Env: [...queueEnv, `PORT=${need(spec.queuePort, 'queuePort')}`, 'DESIRED_REPLICAS=1'],
      // The broker holds the queue: never remediated (and never pruned when stopped).
      Labels: { [optIn]: 'false' },
      HostConfig: { NetworkMode: 'host', Binds: [`${queueDir}:/queue`] },
    }),
  );
  return [worker, broker];
}

/** The scientific agent: api.sh in its own network namespace, metrics as a textfile. */
export const createAgent = (docker: Docker, spec: DemoSpec, n: DemoNames) =>
  docker.createContainer(
    base(spec, n.agent, 'agent', ['sh', '/app/api.sh'], {
      Env: ['PORT=8080', 'METRICS_DIR=/metrics', 'HISTOGRAM=agent_task_duration_seconds', 'REQUEST_INTERVAL=0.5'],
      Healthcheck: httpCheck(spec),
      HostConfig: { Tmpfs: { '/run/demo': 'size=1m' }, Binds: [textfile(spec)] },
    }),
  );

/** Release 2 as a canary of the web service; it names release 1 as where to roll back to. */
export const createCanary = (docker: Docker, spec: DemoSpec, n: DemoNames) =>
  docker.createContainer({
    ...base(spec, n.canary, 'web-canary', ['sh', '/app/api.sh'], {
      Env: ['PORT=8080', 'METRICS_DIR=/metrics', 'TRACK=canary', 'REQUEST_INTERVAL=0.5'],
      Labels: { [ROLLBACK_IMAGE_LABEL]: DEMO_IMAGE, 'remediator.demo.track': 'canary' },
      Healthcheck: httpCheck(spec),
      HostConfig: { Tmpfs: { '/run/demo': 'size=1m' }, Binds: [textfile(spec)] },
    }),
    Image: DEMO_IMAGE_V2,
  });

/** The noisy batch job: 0.1 CPU of quota, 1024 shares, bursts on demand. */
export const createEtl = (docker: Docker, spec: DemoSpec, n: DemoNames) =>
  docker.createContainer(
    base(spec, n.etl, 'etl', ['sh', '/app/etl.sh'], {
      Env: ['METRICS_DIR=/metrics', 'WORKLOAD=batch'],
      HostConfig: {
        CpuQuota: 10_000,
        CpuPeriod: 100_000,
        CpuShares: 1024,
        Tmpfs: { '/run/demo': 'size=1m' },
        Binds: [textfile(spec)],
      },
    }),
  );

/** The gateway, on the project's own user network (created by startDemo). */
export const createGateway = (docker: Docker, spec: DemoSpec, n: DemoNames) =>
  docker.createContainer(
    base(spec, n.gateway, 'gateway', ['sh', '/app/gateway.sh'], {
      Env: ['METRICS_DIR=/metrics'],
      HostConfig: { NetworkMode: n.network, Binds: [textfile(spec)] },
      NetworkingConfig: { EndpointsConfig: { [n.network]: { Aliases: ['gateway'] } } },
    }),
  );

/** The training job: a 32 MiB memory limit (no swap) for an 8 MiB dataset. */
export const createTrainer = (docker: Docker, spec: DemoSpec, n: DemoNames) =>
  docker.createContainer(
    base(spec, n.trainer, 'trainer', ['sh', '/app/trainer.sh'], {
      Env: ['METRICS_DIR=/metrics'],
      HostConfig: { Memory: 32 * 1024 ** 2, MemorySwap: 32 * 1024 ** 2, Binds: [textfile(spec)] },
    }),
  );

/** The dependency (host network, dbPort: Prometheus' `up`) and the API that depends on it. */
export async function createDeps(docker: Docker, spec: DemoSpec, n: DemoNames): Promise<Docker.Container[]> {
  const port = need(spec.dbPort, 'dbPort');
  const interval = (spec.healthIntervalMs ?? 2000) * 1e6;
  const db = await docker.createContainer(
    base(spec, n.db, 'db', ['sh', '/app/db.sh'], {
      Env: [`PORT=${port}`],
      Healthcheck: { ...httpCheck(spec), Interval: interval },
      HostConfig: { NetworkMode: 'host', Tmpfs: { '/run/demo': 'size=1m' } },
    }),
  );
  const mlapi = await docker.createContainer(
    base(spec, n.mlapi, 'mlapi', ['sh', '/app/mlapi.sh'], {
      Env: [`DEPENDENCY_URL=http://127.0.0.1:${port}/healthz`],
      Healthcheck: { Test: ['CMD-SHELL', 'test ! -f /run/demo/pool-broken'], Interval: interval, Retries: 1 },
      HostConfig: { NetworkMode: 'host', Tmpfs: { '/run/demo': 'size=1m' } },
    }),
  );
  return [db, mlapi];
}
