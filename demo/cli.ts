// `npm run demo -- latency|queue|disk|status` injects the demo's faults into what `npm run up`
// started; `start` and `stop` are what up.sh and down.sh call. State lives in
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

const USAGE = 'usage: npm run demo -- latency [off] | queue [SECONDS|off] | disk | status';

/** A fault that cannot be injected because what it needs is not there: exit 69. */
class Unavailable extends Error {}
/** Wrong arguments: exit 2. */
class Usage extends Error {}

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
    // Fast mode: the demo's three alerts get the test timings (for: 2s, 10 s windows); the rules
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

const WAIT = (s: DemoState, fast: string, slow: string) => (s.fast ? fast : slow);

/** Where to watch: pages that answer, and amtool where Alertmanager has no UI (Debian's). */
async function watchLine(s: DemoState): Promise<string> {
  const alerts = await prometheusAlertsPage(s.prometheusUrl);
  const am = (await alertmanagerHasUi(s.alertmanagerUrl))
    ? `${s.alertmanagerUrl}/#/alerts`
    : `amtool --alertmanager.url=${s.alertmanagerUrl} alert query`;
  return `watch: ${[alerts, am, 'npm run demo -- status'].filter(Boolean).join('   ')}`;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, arg] = argv;
  if (cmd === 'start') return start().then(() => EXIT.ok);
  if (cmd === 'stop') return stop().then(() => EXIT.ok);
  if (!['latency', 'queue', 'disk', 'status'].includes(cmd ?? '')) throw new Usage(USAGE);
  if ((cmd === 'disk' || cmd === 'status') && arg !== undefined) throw new Usage(`${cmd} takes no argument\n${USAGE}`);
  if (cmd === 'queue' && arg !== undefined && arg !== 'off' && !/^[1-9][0-9]{0,3}$/.test(arg))
    throw new Usage(`queue: expected a surge length in seconds (1-3600) or "off", got ${arg}\n${USAGE}`);
  if (cmd === 'latency' && arg !== undefined && arg !== 'off')
    throw new Usage(`latency: expected "off" or nothing\n${USAGE}`);
  const s = loadState();
  const docker = dockerOf(s.dockerHost);
  await docker.ping().catch((err: unknown) => {
    throw new Unavailable(
      `the demo's Docker Engine (${s.dockerHost}) does not answer (${err instanceof Error ? err.message : String(err)}): is the stack up? npm run up`,
    );
  });
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
        throw new Usage(`queue: expected a surge length in seconds (1-3600), got ${arg}\n${USAGE}`);
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
        throw new Unavailable(
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
  }
  if (cmd !== 'status') console.log(await watchLine(s));
  return EXIT.ok;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[demo] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof Usage ? EXIT.usage : err instanceof Unavailable ? EXIT.unavailable : EXIT.problems);
  },
);
