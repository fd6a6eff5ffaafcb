// docker-compose.yml is for users' machines (no registry here); Debian's docker-compose checks
// that it is valid and that it keeps the safety properties we promise.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const run = promisify(execFile);

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
