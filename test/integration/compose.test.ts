// docker-compose.yml is for users' machines (no registry here); Debian's docker-compose checks
// that it is valid and that it keeps the safety properties we promise.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const run = promisify(execFile);

describe('docker-compose.yml', () => {
  it('is valid for docker-compose, hands the Docker socket only to the worker, and keeps Redis durable', async () => {
    const { stdout } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
      env: { ...process.env, WEBHOOK_TOKEN: 'compose-check-token-123456' },
    });
    const config = parse(stdout) as { services: Record<string, { volumes?: (string | { source?: string; target?: string })[]; command?: string[] | string }> };
    const socketHolders = Object.entries(config.services)
      .filter(([, s]) => (s.volumes ?? []).some((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}`).includes('docker.sock')))
      .map(([name]) => name);
    expect(socketHolders).toEqual(['remediator-worker']);
    const redisCmd = [config.services.redis?.command].flat().join(' ');
    expect(redisCmd).toContain('--appendonly yes');
    expect(redisCmd).toContain('--maxmemory-policy noeviction');
  });

  it('refuses to render without WEBHOOK_TOKEN', async () => {
    const env = { ...process.env };
    delete env.WEBHOOK_TOKEN;
    await expect(run('docker-compose', ['-f', 'docker-compose.yml', 'config'], { env })).rejects.toThrow(/WEBHOOK_TOKEN/);
  });
});
