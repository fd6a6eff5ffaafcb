// `npm run demo -- latency|queue|disk|status` injects the demo's faults into what `npm run up`
// started; `start` and `stop` are what up.sh and down.sh call. State lives in
// $REMEDIATOR_RUN_DIR/demo.json (default .run/), written by `start`.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { ensureBusyboxImage } from '../scripts/lib/daemons.js';
import { alertmanagerConfig, prometheusConfig, shortenRules } from '../scripts/lib/monitoring.js';
import {
  buildDemoImage,
  fillDisk,
  removeDemo,
  setLatencyFault,
  setQueueSurge,
  startDemo,
  type DemoNames,
} from './lib.js';

const ROOT = path.join(import.meta.dirname, '..');
const RUN = path.resolve(process.env.REMEDIATOR_RUN_DIR ?? path.join(ROOT, '.run'));
const STATE = path.join(RUN, 'demo.json');
const PROJECT = 'demo';

interface DemoState {
  dockerHost: string;
  names: DemoNames;
  apiPort: number;
  queuePort: number;
  queueDir: string;
  /** The demo disk (tmpfs) when it is the engine's data root; the disk fault needs it. */
  diskDir: string | undefined;
  prometheusUrl: string;
  alertmanagerUrl: string;
  fast: boolean;
}

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') throw new Error(`${name} is not set (up.sh sets it)`);
  return v;
};
const port = (name: string, fallback: number): number => {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new Error(`${name}: expected a TCP port, got ${process.env[name]}`);
  return n;
};
const dockerOf = (host: string): Docker => {
  if (!host.startsWith('unix://')) throw new Error(`DOCKER_HOST: the demo needs a unix:// socket, got ${host}`);
  return new Docker({ socketPath: host.slice('unix://'.length) });
};
function loadState(): DemoState {
  if (!existsSync(STATE)) throw new Error(`no demo running (${STATE} missing): run npm run up first`);
  return JSON.parse(readFileSync(STATE, 'utf8')) as DemoState;
}

/** Prometheus and Alertmanager configuration for the demo, in $RUN/prometheus and $RUN/alertmanager. */
function writeMonitoringConfig(
  s: DemoState,
  o: { remediatorPort: number; nodeExporterPort: number; alertmanagerPort: number },
): void {
  const promDir = path.join(RUN, 'prometheus');
  const rulesDir = path.join(promDir, 'rules');
  mkdirSync(rulesDir, { recursive: true });
  const ruleFiles: string[] = [];
  for (const f of readdirSync(path.join(ROOT, 'alert-rules')).filter((n) => /\.ya?ml$/.test(n))) {
    const text = readFileSync(path.join(ROOT, 'alert-rules', f), 'utf8');
    // Fast mode: the demo's three alerts get the test timings (for: 2s, 10 s windows); the rules
    // that watch remediator itself, and everything in normal mode, stay exactly as shipped.
    const fast = s.fast && f === 'remediation-targets.yml';
    writeFileSync(path.join(rulesDir, f), fast ? shortenRules(text, { forDuration: '2s', range: '10s' }) : text);
    ruleFiles.push(path.join(rulesDir, f));
  }
  writeFileSync(
    path.join(promDir, 'prometheus.yml'),
    prometheusConfig({
      interval: s.fast ? '1s' : '5s',
      ruleFiles,
      alertmanager: `127.0.0.1:${o.alertmanagerPort}`,
      jobs: [
        { job: 'remediator', targets: [`127.0.0.1:${o.remediatorPort}`] },
        { job: 'demo-api', targets: [`127.0.0.1:${s.apiPort}`] },
        { job: 'demo-queue', targets: [`127.0.0.1:${s.queuePort}`] },
        { job: 'node', targets: [`127.0.0.1:${o.nodeExporterPort}`] },
      ],
    }),
  );
  const amDir = path.join(RUN, 'alertmanager');
  mkdirSync(amDir, { recursive: true });
  writeFileSync(
    path.join(amDir, 'alertmanager.yml'),
    alertmanagerConfig({
      webhookUrl: `http://127.0.0.1:${o.remediatorPort}/webhook/alertmanager`,
      tokenFile: path.join(RUN, 'webhook-token'),
      groupWait: s.fast ? '1s' : '5s',
      groupInterval: s.fast ? '1s' : '10s',
      repeatInterval: '1h',
    }),
  );
}

async function start(): Promise<void> {
  const dockerHost = env('DOCKER_HOST');
  const docker = dockerOf(dockerHost);
  await ensureBusyboxImage(dockerHost);
  await buildDemoImage(docker);
  const queueDir = path.join(RUN, 'demo', 'queue');
  mkdirSync(queueDir, { recursive: true });
  const apiPort = port('REMEDIATOR_DEMO_API_PORT', 18080);
  const queuePort = port('REMEDIATOR_DEMO_QUEUE_PORT', 18081);
  const names = await startDemo(docker, { project: PROJECT, apiPort, queuePort, queueDir });
  const info = await docker.info();
  const diskDir = process.env.REMEDIATOR_DEMO_DISK === info.DockerRootDir ? info.DockerRootDir : undefined;
  const state: DemoState = {
    dockerHost,
    names,
    apiPort,
    queuePort,
    queueDir,
    diskDir,
    prometheusUrl: `http://127.0.0.1:${port('REMEDIATOR_PROMETHEUS_PORT', 19090)}`,
    alertmanagerUrl: `http://127.0.0.1:${port('REMEDIATOR_ALERTMANAGER_PORT', 19093)}`,
    fast: process.env.DEMO_FAST === '1',
  };
  writeMonitoringConfig(state, {
    remediatorPort: port('PORT', 9095),
    nodeExporterPort: port('REMEDIATOR_NODE_EXPORTER_PORT', 19100),
    alertmanagerPort: port('REMEDIATOR_ALERTMANAGER_PORT', 19093),
  });
  writeFileSync(STATE, JSON.stringify(state, null, 2));
  console.log(`[demo] started ${names.api}, ${names.broker}, ${names.worker} (image built from busybox)`);
}

async function stop(): Promise<void> {
  if (!existsSync(STATE)) return;
  const s = loadState();
  const removed = await removeDemo(dockerOf(s.dockerHost), PROJECT).catch(() => [] as string[]);
  if (removed.length > 0) console.log(`[demo] removed ${removed.join(', ')}`);
}

async function status(s: DemoState): Promise<void> {
  const get = async (url: string): Promise<unknown> => (await fetch(url, { signal: AbortSignal.timeout(3000) })).json();
  const prom = (await get(`${s.prometheusUrl}/api/v1/alerts`)) as {
    data: { alerts: { labels: Record<string, string>; state: string }[] };
  };
  const am = (await get(`${s.alertmanagerUrl}/api/v2/alerts`)) as {
    labels: Record<string, string>;
    status: { state: string };
  }[];
  const containers = await dockerOf(s.dockerHost).listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${PROJECT}`] },
  });
  console.log(
    'Prometheus alerts:   ' + (prom.data.alerts.map((a) => `${a.labels.alertname} (${a.state})`).join(', ') || 'none'),
  );
  console.log(
    'Alertmanager alerts: ' + (am.map((a) => `${a.labels.alertname} (${a.status.state})`).join(', ') || 'none'),
  );
  console.log(
    'demo containers:     ' +
      containers
        .map((c) => `${c.Names[0]?.slice(1)} (${c.State})`)
        .sort()
        .join(', '),
  );
}

const WAIT = (s: DemoState, fast: string, slow: string) => (s.fast ? fast : slow);

async function main(argv: string[]): Promise<number> {
  const [cmd, arg] = argv;
  if (cmd === 'start') return start().then(() => 0);
  if (cmd === 'stop') return stop().then(() => 0);
  const s = loadState();
  const docker = dockerOf(s.dockerHost);
  const off = arg === 'off';
  switch (cmd) {
    case 'latency':
      await setLatencyFault(docker, s.names.api, !off);
      console.log(
        off
          ? 'latency fault off'
          : `latency fault on: every request to ${s.names.api} now takes 1.5 s.
HighLatency fires in ${WAIT(s, '~10 s', '~1.5 min (2m window, for: 1m)')}; remediator restarts ${s.names.api}, which clears the fault.`,
      );
      break;
    case 'queue': {
      // Long enough for the alert to fire and the scale-out to drain it; a surge that outlasts
      // the scale-back makes the alert fire again (and the remediation's cooldown show).
      const seconds = off ? 0 : Number(arg ?? (s.fast ? 25 : 240));
      if (!off && (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600))
        throw new Error(`queue: expected a surge length in seconds (1-3600), got ${arg}`);
      await setQueueSurge(docker, s.names.broker, !off, seconds);
      console.log(
        off
          ? 'traffic surge off'
          : `traffic surge on for ${seconds} s: 600 msg/s into "emails", one ${s.names.workerService} replica takes 400/s.
QueueDepthHigh fires in ${WAIT(s, '~10 s', '~2.5 min (for: 2m)')}; remediator scales ${s.names.workerService} out, and back in once it resolves.`,
      );
      break;
    }
    case 'disk': {
      if (!s.diskDir)
        throw new Error(
          'the disk fault needs the demo Docker Engine (data root on a small tmpfs) that npm run up starts when no engine is reachable; it never fills a real disk',
        );
      const r = await fillDisk(docker, 'demo');
      console.log(
        `${r.output.trim()}\ndisk_full fires for ${s.diskDir} in ${WAIT(s, '~5 s', '~1.5 min (for: 1m)')}; remediator prunes the stopped batch container.`,
      );
      break;
    }
    case 'status':
      await status(s);
      break;
    default:
      console.error('usage: npm run demo -- latency [off] | queue [SECONDS|off] | disk | status');
      return 64;
  }
  if (cmd !== 'status') console.log(`watch: ${s.prometheusUrl}/alerts   ${s.alertmanagerUrl}   npm run demo -- status`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[demo] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
