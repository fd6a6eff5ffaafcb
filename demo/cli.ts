// `npm run demo -- <fault>|status` injects the demo's faults (demo/cli-faults.ts) into what
// `npm run up` started; `start` and `stop` are what up.sh and down.sh call. State lives in
// $REMEDIATOR_RUN_DIR/demo.json (default .run/), written by `start`. Exit codes are the CLI's:
// 0 ok, 1 failed, 2 usage, 69 unavailable (no stack running, Docker out of reach).
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { ensureBusyboxImage } from '../scripts/lib/daemons.js';
import {
  alertmanagerConfig,
  alertmanagerHasUi,
  prometheusAlertsPage,
  prometheusConfig,
  shortenRules,
  withoutPlaceholderRunbooks,
} from '../scripts/lib/monitoring.js';
import { EXIT } from '../src/cli/term.js';
import { FAULTS, FAULT_USAGE, Unavailable, Usage, type FaultState } from './cli-faults.js';
import { buildDemoImage, removeDemo, startDemo } from './lib.js';

const ROOT = path.join(import.meta.dirname, '..');
const RUN = path.resolve(process.env.REMEDIATOR_RUN_DIR ?? path.join(ROOT, '.run'));
const STATE = path.join(RUN, 'demo.json');
const PROJECT = 'demo';

interface DemoState extends FaultState {
  dockerHost: string;
  apiPort: number;
  queuePort: number;
  dbPort: number;
  queueDir: string;
  prometheusUrl: string;
  alertmanagerUrl: string;
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
  if (!existsSync(STATE)) throw new Unavailable(`no demo running (${STATE} missing): run npm run up first`);
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
    // Fast mode: the demo's alerts get the test timings (for: 2s, 10 s windows); the rules
    // that watch remediator itself, and everything in normal mode, stay as shipped, but for the
    // placeholder runbook links (runbooks.example does not exist: no message links there).
    const fast = s.fast && f === 'remediation-targets.yml';
    const copy = withoutPlaceholderRunbooks(text);
    writeFileSync(path.join(rulesDir, f), fast ? shortenRules(copy, { forDuration: '2s', range: '10s' }) : copy);
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
        // The dependency's target names its container and the API that depends on it (ServiceDown).
        {
          job: 'demo-db',
          targets: [`127.0.0.1:${s.dbPort}`],
          labels: { container: s.names.db, dependent: s.names.mlapi },
        },
        // node_exporter serves the host's filesystems and the demo's textfiles.
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
  // node_exporter's textfile collector reads it (up.sh starts it so).
  const metricsDir = path.join(RUN, 'demo', 'metrics');
  mkdirSync(queueDir, { recursive: true });
  mkdirSync(metricsDir, { recursive: true });
  const apiPort = port('REMEDIATOR_DEMO_API_PORT', 18080);
  const queuePort = port('REMEDIATOR_DEMO_QUEUE_PORT', 18081);
  const dbPort = port('REMEDIATOR_DEMO_DB_PORT', 18082);
  const fast = process.env.DEMO_FAST === '1';
  const names = await startDemo(docker, {
    project: PROJECT,
    apiPort,
    queuePort,
    dbPort,
    queueDir,
    metricsDir,
    healthIntervalMs: fast ? 1000 : undefined,
    parts: ['api', 'queue', 'agent', 'etl', 'gateway', 'trainer', 'deps'],
  });
  const info = await docker.info();
  const diskDir = process.env.REMEDIATOR_DEMO_DISK === info.DockerRootDir ? info.DockerRootDir : undefined;
  const state: DemoState = {
    dockerHost,
    names,
    project: PROJECT,
    apiPort,
    queuePort,
    dbPort,
    queueDir,
    metricsDir,
    diskDir,
    prometheusUrl: `http://127.0.0.1:${port('REMEDIATOR_PROMETHEUS_PORT', 19090)}`,
    alertmanagerUrl: `http://127.0.0.1:${port('REMEDIATOR_ALERTMANAGER_PORT', 19093)}`,
    fast,
  };
  writeMonitoringConfig(state, {
    remediatorPort: port('PORT', 9095),
    nodeExporterPort: port('REMEDIATOR_NODE_EXPORTER_PORT', 19100),
    alertmanagerPort: port('REMEDIATOR_ALERTMANAGER_PORT', 19093),
  });
  writeFileSync(STATE, JSON.stringify(state, null, 2));
  const started = [names.api, names.broker, names.worker, names.agent, names.etl, names.gateway, names.trainer];
  console.log(`[demo] started ${[...started, names.db, names.mlapi].join(', ')} (image built from busybox)`);
}

async function stop(): Promise<void> {
  if (!existsSync(STATE)) return;
  const s = loadState();
  const removed = await removeDemo(dockerOf(s.dockerHost), PROJECT, { metricsDir: s.metricsDir }).catch(
    () => [] as string[],
  );
  if (removed.length > 0) console.log(`[demo] removed ${removed.join(', ')}`);
}

async function status(s: DemoState): Promise<void> {
  const get = async (url: string): Promise<unknown> => {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) }).catch((err: unknown) => {
      throw new Unavailable(
        `${url} does not answer (${err instanceof Error ? err.message : String(err)}): is the stack up?`,
      );
    });
    return res.json();
  };
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

/** Where to watch: pages that answer, and amtool where Alertmanager has no UI (Debian's). */
async function watchLine(s: DemoState): Promise<string> {
  const alerts = await prometheusAlertsPage(s.prometheusUrl);
  const am = (await alertmanagerHasUi(s.alertmanagerUrl))
    ? `${s.alertmanagerUrl}/#/alerts`
    : `amtool --alertmanager.url=${s.alertmanagerUrl} alert query`;
  return `watch: ${[alerts, am, 'npm run demo -- status'].filter(Boolean).join('   ')}`;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, arg, ...extra] = argv;
  if (cmd === 'start') return start().then(() => EXIT.ok);
  if (cmd === 'stop') return stop().then(() => EXIT.ok);
  const fault = cmd === undefined ? undefined : FAULTS[cmd];
  if (cmd !== 'status' && !fault) throw new Usage(FAULT_USAGE);
  if (extra.length > 0) throw new Usage(`${cmd}: one argument at most\n${FAULT_USAGE}`);
  const bad = cmd === 'status' ? (arg === undefined ? undefined : 'takes no argument') : fault!.badArg(arg);
  if (bad) throw new Usage(`${cmd}: ${bad}\n${FAULT_USAGE}`);
  const s = loadState();
  const docker = dockerOf(s.dockerHost);
  await docker.ping().catch((err: unknown) => {
    throw new Unavailable(
      `the demo's Docker Engine (${s.dockerHost}) does not answer (${err instanceof Error ? err.message : String(err)}): is the stack up? npm run up`,
    );
  });
  if (!fault) {
    await status(s);
    return EXIT.ok;
  }
  console.log(await fault.run(docker, s, arg));
  console.log(await watchLine(s));
  return EXIT.ok;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[demo] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof Usage ? EXIT.usage : err instanceof Unavailable ? EXIT.unavailable : EXIT.problems);
  },
);
