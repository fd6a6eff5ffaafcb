// docker-compose.yml is for users' machines (no registry here); Debian's docker-compose checks
// that it is valid and that it keeps the safety properties we promise. Its worker is then run
// for real, as the file runs it (the real binary, the file's environment), to prove its health
// check can pass and Prometheus can scrape it.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { freePort } from '../../scripts/lib/daemons.js';
import { uniquePrefix } from '../support/docker.js';
import { spawnRemediator } from '../support/process.js';

const run = promisify(execFile);
const TOKEN_ENV = { ...process.env, WEBHOOK_TOKEN: 'compose-check-token-123456' };

type ComposeService = {
  command?: string[] | string;
  environment?: Record<string, string>;
  volumes?: (string | { source?: string; target?: string })[];
};
async function composeConfig(env: NodeJS.ProcessEnv = TOKEN_ENV): Promise<Record<string, ComposeService>> {
  const { stdout } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config'], { env });
  return (parse(stdout) as { services: Record<string, ComposeService> }).services;
}

describe('docker-compose.yml', () => {
  it('is valid for docker-compose, hands the Docker socket only to the worker, and keeps Redis durable', async () => {
    const { stdout } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
      env: { ...process.env, WEBHOOK_TOKEN: 'compose-check-token-123456' },
    });
    const config = parse(stdout) as {
      services: Record<
        string,
        { volumes?: (string | { source?: string; target?: string })[]; command?: string[] | string }
      >;
    };
    const socketHolders = Object.entries(config.services)
      .filter(([, s]) =>
        (s.volumes ?? []).some((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`).includes('docker.sock')),
      )
      .map(([name]) => name);
    expect(socketHolders).toEqual(['remediator-worker']);
    const redisCmd = [config.services.redis?.command].flat().join(' ');
    expect(redisCmd).toContain('--appendonly yes');
    expect(redisCmd).toContain('--maxmemory-policy noeviction');
  });

  it('runs Prometheus with alert-rules/, Alertmanager whose receiver is remediator, and the demo behind a profile', async () => {
    const { stdout } = await run('docker-compose', ['-f', 'docker-compose.yml', '--profile', 'demo', 'config'], {
      env: { ...process.env, WEBHOOK_TOKEN: 'compose-check-token-123456' },
    });
    type Service = {
      volumes?: (string | { source?: string; target?: string })[];
      labels?: Record<string, string>;
      environment?: Record<string, string>;
      profiles?: string[];
      entrypoint?: string[];
    };
    const { services } = parse(stdout) as { services: Record<string, Service> };
    expect(Object.keys(services).sort()).toEqual([
      'alertmanager',
      'demo-api',
      'demo-queue',
      'demo-worker',
      'node-exporter',
      'prometheus',
      'redis',
      'remediator-api',
      'remediator-worker',
    ]);
    // docker-compose 1.29 renders volumes as "source:target:mode" strings.
    const mounts = (s: string) =>
      (services[s]?.volumes ?? []).map((v) =>
        (typeof v === 'string' ? v : `${v.source}:${v.target}`).replace(/:(ro|rw)$/, ''),
      );
    expect(mounts('prometheus')).toEqual(
      expect.arrayContaining([
        `${process.cwd()}/alert-rules:/etc/prometheus/rules`,
        `${process.cwd()}/demo/compose/prometheus.yml:/etc/prometheus/prometheus.yml`,
      ]),
    );
    expect(mounts('alertmanager')).toContain(
      `${process.cwd()}/demo/compose/alertmanager.yml:/etc/alertmanager/alertmanager.yml`,
    );
    // Alertmanager gets the same token remediator checks, and writes it to the file its config reads.
    expect(services.alertmanager?.environment?.WEBHOOK_TOKEN).toBe('compose-check-token-123456');
    expect(services.alertmanager?.entrypoint?.join(' ')).toContain('/alertmanager/remediator-token');
    expect(services['remediator-worker']?.environment).toMatchObject({
      ALERTMANAGER_URL: 'http://alertmanager:9093',
      PROMETHEUS_URL: 'http://prometheus:9090',
    });
    // Only the demo's api and worker opt in to remediation; the stack itself never does.
    const optedIn = Object.entries(services)
      .filter(([, s]) => s.labels?.['remediator.enable'] === 'true')
      .map(([n]) => n);
    expect(optedIn.sort()).toEqual(['demo-api', 'demo-worker']);
    for (const name of ['demo-api', 'demo-queue', 'demo-worker']) expect(services[name]?.profiles).toEqual(['demo']);
  });

  it('ships Prometheus and Alertmanager configurations their own tools accept', async () => {
    const prom = await run('promtool', ['check', 'config', 'demo/compose/prometheus.yml']);
    expect(prom.stdout + prom.stderr).toContain('SUCCESS');
    const am = await run('amtool', ['check-config', 'demo/compose/alertmanager.yml']);
    expect(am.stdout).toContain('SUCCESS');
    const amConfig = parse(readFileSync('demo/compose/alertmanager.yml', 'utf8')) as {
      receivers: { name: string; webhook_configs?: { url: string; send_resolved: boolean }[] }[];
    };
    expect(amConfig.receivers.find((r) => r.name === 'remediator')?.webhook_configs?.[0]).toMatchObject({
      url: 'http://remediator-api:9095/webhook/alertmanager',
      send_resolved: true,
    });
  });

  it('refuses to render without WEBHOOK_TOKEN', async () => {
    const env = { ...process.env };
    delete env.WEBHOOK_TOKEN;
    await expect(run('docker-compose', ['-f', 'docker-compose.yml', 'config'], { env })).rejects.toThrow(
      /WEBHOOK_TOKEN/,
    );
  });
});

describe('docker-compose.yml passes the settings through', () => {
  it('SLACK_*, ADMIN_* and the other documented variables reach the processes that read them', async () => {
    const set = {
      SLACK_BOT_TOKEN: 'xoxb-compose-1',
      SLACK_CHANNEL: '#ops',
      SLACK_API_URL: 'http://127.0.0.1:1/api/',
      ADMIN_USER: 'ops',
      ADMIN_PASSWORD: 'admin-password-0123456',
      ALERTMANAGER_EXTERNAL_URL: 'https://am.example.com',
      HISTORY_RETENTION_SECONDS: '86400',
      DRY_RUN: 'true',
      MAX_IN_FLIGHT: '3',
    };
    const services = await composeConfig({ ...TOKEN_ENV, ...set });
    const api = services['remediator-api']!.environment!;
    const worker = services['remediator-worker']!.environment!;
    for (const env of [api, worker])
      expect(env).toMatchObject({
        SLACK_BOT_TOKEN: set.SLACK_BOT_TOKEN,
        SLACK_CHANNEL: set.SLACK_CHANNEL,
        SLACK_API_URL: set.SLACK_API_URL,
        ALERTMANAGER_EXTERNAL_URL: set.ALERTMANAGER_EXTERNAL_URL,
        HISTORY_RETENTION_SECONDS: '86400',
        DRY_RUN: 'true',
      });
    // The queue UI is served by HTTP; the worker never gets its password.
    expect(api).toMatchObject({ ADMIN_USER: 'ops', ADMIN_PASSWORD: set.ADMIN_PASSWORD });
    expect(worker.ADMIN_PASSWORD).toBeUndefined();
    expect(worker.MAX_IN_FLIGHT).toBe('3');
  });

  it("every variable of the README's configuration table reaches a process (a *_FILE secret needs a mount of its own)", async () => {
    const readme = readFileSync('README.md', 'utf8');
    const table = readme.slice(readme.indexOf('\n## Configuration'));
    const documented = new Set<string>();
    for (const row of table.slice(0, table.indexOf('\n## ', 4)).split('\n')) {
      const first = /^\| ([^|]+)\|/.exec(row)?.[1] ?? '';
      for (const m of first.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) documented.add(m[1]!);
    }
    expect(documented.size).toBeGreaterThan(40);
    const services = await composeConfig();
    const passed = new Set([
      ...Object.keys(services['remediator-api']!.environment!),
      ...Object.keys(services['remediator-worker']!.environment!),
    ]);
    const missing = [...documented].filter((v) => !passed.has(v) && !v.endsWith('_FILE'));
    expect(missing).toEqual([]);
  });

  it('Prometheus scrapes the worker too (job remediator), on the port the worker listens on', async () => {
    const worker = (await composeConfig())['remediator-worker']!.environment!;
    const prom = parse(readFileSync('demo/compose/prometheus.yml', 'utf8')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = prom.scrape_configs
      .find((j) => j.job_name === 'remediator')
      ?.static_configs.flatMap((c) => c.targets);
    expect(targets).toEqual(['remediator-api:9095', `remediator-worker:${worker.WORKER_PORT}`]);
  });
});

describe('remediator worker as docker-compose.yml runs it', () => {
  it('answers its health check and Prometheus on WORKER_PORT (and serves nothing else)', async () => {
    const service = (await composeConfig())['remediator-worker']!;
    expect([service.command].flat()).toEqual(['worker']);
    const composed = service.environment!;
    // Only what must differ on this machine: the Compose network's names and the image's paths
    // (Redis, Docker, remediations), 127.0.0.1 instead of 0.0.0.0, a free port, a private queue.
    const port = await freePort();
    const here: Record<string, string> = {
      REDIS_URL: inject('redisUrl'),
      DOCKER_HOST: inject('dockerHost'),
      REMEDIATIONS_DIR: path.resolve('remediations'),
      HOST: '127.0.0.1',
      WORKER_PORT: String(port),
      QUEUE_PREFIX: uniquePrefix('compose').replace(/-$/, ''),
    };
    for (const k of Object.keys(here)) expect(composed, `docker-compose.yml sets ${k}`).toHaveProperty(k);
    const proc = spawnRemediator('worker', { ...composed, ...here });
    try {
      await proc.waitForLine((l) => l.msg === 'worker health and metrics listening');
      const url = `http://127.0.0.1:${port}`;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${url}/readyz`);
      expect(await ready.json()).toMatchObject({ status: 'ready', checks: { redis: 'ok', docker: 'ok', rules: 'ok' } });
      expect(ready.status).toBe(200);
      const metrics = await fetch(`${url}/metrics`);
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      // The counters RemediatorRemediationsFailing reads live in the worker: here they are.
      expect(text).toContain('# TYPE remediator_remediations_total counter');
      expect(text).toContain('# TYPE remediator_escalations_total counter');
      // No webhook and no API on the worker's port.
      const post = await fetch(`${url}/webhook/alertmanager`, { method: 'POST', body: '{}' });
      expect(post.status).toBe(404);
      for (const p of ['/api/v1/remediations', '/admin']) expect((await fetch(`${url}${p}`)).status).toBe(404);

      // The image's HEALTHCHECK, as the Dockerfile writes it (PORT=9095 is set by the image).
      const check = /^\s*CMD node -e "(.*)"\s*$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
      expect(check, 'HEALTHCHECK CMD node -e "..." in Dockerfile').toBeDefined();
      const closed = await freePort();
      const env = { PATH: process.env.PATH ?? '', PORT: String(closed), WORKER_PORT: String(port) };
      await expect(run(process.execPath, ['-e', check!], { env, timeout: 10_000 })).resolves.toBeDefined();
      await expect(
        run(process.execPath, ['-e', check!], { env: { ...env, WORKER_PORT: String(closed) }, timeout: 10_000 }),
      ).rejects.toThrow();
    } finally {
      proc.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    }
  });
});

describe('examples/alertmanager.yml', () => {
  it('passes amtool check-config', async () => {
    const { stdout } = await run('amtool', ['check-config', 'examples/alertmanager.yml']);
    expect(stdout).toContain('SUCCESS');
    expect(stdout).toContain('2 receivers');
  });

  it('sends the remediable alerts to remediator (and to people), everything else only to people', async () => {
    const route = async (...labels: string[]) =>
      (
        await run('amtool', ['config', 'routes', 'test', '--config.file=examples/alertmanager.yml', ...labels])
      ).stdout.trim();
    for (const alertname of ['HighLatency', 'QueueDepthHigh', 'disk_full'])
      expect(await route(`alertname=${alertname}`)).toBe('remediator,oncall');
    expect(await route('alertname=RemediatorDown')).toBe('oncall');
  });

  it('configures the receiver as remediator expects: resolved notifications, bounded batches, bearer token from a file', () => {
    type Receiver = {
      name: string;
      webhook_configs?: {
        send_resolved?: boolean;
        max_alerts?: number;
        http_config?: { authorization?: { type?: string; credentials_file?: string } };
      }[];
    };
    const config = parse(readFileSync('examples/alertmanager.yml', 'utf8')) as {
      receivers: Receiver[];
      route: { routes: { receiver: string; group_wait: string; group_interval: string; repeat_interval: string }[] };
    };
    const hook = config.receivers.find((r) => r.name === 'remediator')?.webhook_configs?.[0];
    expect(hook).toMatchObject({
      send_resolved: true,
      max_alerts: 100,
      http_config: { authorization: { type: 'Bearer', credentials_file: expect.any(String) } },
    });
    expect(config.route.routes.find((r) => r.receiver === 'remediator')).toMatchObject({
      group_wait: '10s',
      group_interval: '1m',
      repeat_interval: '1h',
    });
  });
});
