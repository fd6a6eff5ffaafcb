// The closing words of `npm run up`: where everything is and how to break the demo. Every URL
// is asked before it is printed (with the credentials it needs), and only what answers 2xx
// is shown as a link: Debian's Prometheus serves /classic/alerts and no /alerts, and Debian's
// Alertmanager has no web UI at all (amtool is how it is used). Run by up.sh with its
// environment (ports, REMEDIATOR_RUN_DIR, REMEDIATOR_ROOT, ...).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { alertmanagerHasUi, firstAnswering, prometheusAlertsPage } from './lib/monitoring.js';

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') throw new Error(`${name} is not set (up.sh sets it)`);
  return v;
};
const ROOT = env('REMEDIATOR_ROOT');
const RUN = env('REMEDIATOR_RUN_DIR');
/** A path as the user should type it from the project folder. */
const shown = (p: string) => (p.startsWith(`${ROOT}/`) ? p.slice(ROOT.length + 1) : p);
const local = (port: string) => `http://127.0.0.1:${port}`;

const remediator = local(env('PORT', '9095'));
const prometheus = local(env('REMEDIATOR_PROMETHEUS_PORT', '19090'));
const alertmanager = local(env('REMEDIATOR_ALERTMANAGER_PORT', '19093'));
const demoApi = local(env('REMEDIATOR_DEMO_API_PORT', '18080'));
const demoQueue = local(env('REMEDIATOR_DEMO_QUEUE_PORT', '18081'));
const demoDb = local(env('REMEDIATOR_DEMO_DB_PORT', '18082'));
const tokenFile = path.join(RUN, 'webhook-token');
const passwordFile = path.join(RUN, 'admin-password');
const adminUser = env('ADMIN_USER', 'admin');
const fast = process.env.DEMO_FAST === '1';

const bearer = { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` };
const basic = {
  authorization: `Basic ${Buffer.from(`${adminUser}:${readFileSync(passwordFile, 'utf8').trim()}`).toString('base64')}`,
};
const problems: string[] = [];
const logOf = (name: string) => shown(path.join(RUN, `${name}.log`));

/** `url` when it answers 2xx, else a note in its place (and `where` to look, on stderr). */
async function checked(url: string, where: string, init: RequestInit = {}): Promise<string> {
  if ((await firstAnswering([url], init)) !== undefined) return url;
  problems.push(`${url} did not answer: see ${where}`);
  return `(not answering: see ${where})`;
}

async function main(): Promise<void> {
  const webhook = `${remediator}/webhook/alertmanager`;
  // An empty group: the webhook takes it (202) and queues nothing.
  const empty = JSON.stringify({ version: '4', status: 'firing', receiver: 'remediator', alerts: [] });
  const post = { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: empty };
  const token = `$(cat ${shown(tokenFile)})`;
  const lines = [
    '',
    'remediator is up.',
    `  webhook       POST ${await checked(webhook, logOf('remediator'), post)}   (Authorization: Bearer ${token})`,
    `  remediator    ${await checked(`${remediator}/healthz`, logOf('remediator'))}`,
    `                ${await checked(`${remediator}/readyz`, logOf('remediator'))}`,
    `                ${await checked(`${remediator}/metrics`, logOf('remediator'))}`,
    `                ${await checked(`${remediator}/api/v1/remediations`, logOf('remediator'), { headers: bearer })}   (Authorization: Bearer ${token})`,
    `  queue UI      ${await checked(`${remediator}/admin`, logOf('remediator'), { headers: basic })}   (user ${adminUser}, password in ${shown(passwordFile)}:`,
    `                type them when the browser asks; with user:password@ in the URL the page stays on "Loading")`,
    `  did it work?  ${await checked(`${remediator}/ui`, logOf('remediator'), { headers: basic })}   (the same user and password: episodes, success rate, MTTR, circuits)`,
    `                ${await checked(`${remediator}/api/v1/stats`, logOf('remediator'), { headers: bearer })}   (Authorization: Bearer ${token}; or npx remediator report)`,
  ];
  const alerts = await prometheusAlertsPage(prometheus);
  if (alerts === undefined)
    problems.push(`Prometheus at ${prometheus} serves no alerts page: see ${logOf('prometheus')}`);
  lines.push(
    `  Prometheus    ${alerts ?? '(no alerts page answering)'}   (alert-rules/${fast ? ', fast timings' : ''})`,
  );
  const amApi = await checked(`${alertmanager}/api/v2/alerts`, logOf('alertmanager'));
  if (await alertmanagerHasUi(alertmanager)) {
    lines.push(
      `  Alertmanager  ${await checked(`${alertmanager}/#/alerts`, logOf('alertmanager'))}   (receiver: remediator)`,
    );
  } else {
    // Debian's package: / is a placeholder page. amtool (same package) does what the UI would.
    const am = `amtool --alertmanager.url=${alertmanager}`;
    lines.push(
      `  Alertmanager  no web UI in this build (Debian's package has none); API ${amApi}, or amtool:`,
      `                  ${am} alert query`,
      `                  ${am} silence query`,
      `                  ${am} silence add alertname=HighLatency --duration=30m --comment="by hand"`,
    );
  }
  lines.push(
    `  demo          api ${await checked(`${demoApi}/metrics`, 'docker logs demo-api-1')}   queue ${await checked(`${demoQueue}/metrics`, 'docker logs demo-queue-1')}`,
    `                db ${await checked(`${demoDb}/metrics`, 'docker logs demo-db-1')}   the others' metrics: files in ${shown(path.join(RUN, 'demo', 'metrics'))} (node_exporter's textfile collector)`,
    `  Redis         ${env('REDIS_URL')}      Docker  ${env('DOCKER_HOST')}`,
    `  logs          ${logOf('remediator')} (JSON, one line per job state change)`,
    '',
    `The CLI finds this stack by itself (npx remediator history, report, check, simulate FILE); for other tools:`,
    `  set -a; . ${shown(path.join(RUN, 'env'))}; set +a`,
    '',
    'Break something and watch remediator fix it:',
    '  npm run demo -- latency    the api turns slow -> HighLatency -> restart',
    '  npm run demo -- queue      a traffic surge -> QueueDepthHigh -> scale the worker out, back in once resolved',
    process.env.REMEDIATOR_DEMO_DISK
      ? `  npm run demo -- disk       a crashed batch job fills the demo disk (${shown(process.env.REMEDIATOR_DEMO_DISK)}) -> disk_full -> prune`
      : '  (disk fault off: remediator uses your Docker Engine, whose disk the demo never fills)',
    'The seed runbooks (README "Runbook -> remediation"):',
    '  npm run demo -- worker [corrupt]   a worker replica crashes -> WorkerDown -> start (then recreate)',
    '  npm run demo -- cpu        the batch job bursts -> cpu_throttling -> evidence, CPU shares/quota halved, restored on resolve',
    '  npm run demo -- network    the gateway loses its network -> network_failure -> reconnect',
    '  npm run demo -- canary     release 2 as a canary fails -> HighErrorRate{track="canary"} -> evidence, rollback',
    '  npm run demo -- db         the dependency dies -> ServiceDown -> restart it, then the API that uses it',
    '  npm run demo -- errors     the agent fails (or: slow) -> HighErrorRate / SlowExecution -> restart, then scale out',
    '  npm run demo -- oom        the training job is OOM-killed -> ContainerOOMKilled -> more memory, start',
    '  npm run demo -- status     alerts in Prometheus and Alertmanager, demo containers',
    '',
    'Stop everything: npm run down',
  );
  console.log(lines.join('\n'));
  for (const p of problems) console.error(`[up] ${p}`);
}

main().catch((err: unknown) => {
  console.error(`[up] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
