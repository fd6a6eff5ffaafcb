// One Redis and one Docker Engine per test run (not per file): starting dockerd per file would
// cost ~0.3-1 s each and two engines on two cores make container timings noisy. Tests isolate
// themselves inside these daemons by queue names, key prefixes and container-name prefixes.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startPrometheus, type MonitorHandle } from '../../scripts/lib/monitoring.js';
import {
  ensureBusyboxImage,
  startDockerd,
  startRedis,
  stopAll,
  type DockerdHandle,
  type RedisHandle,
} from '../../scripts/lib/daemons.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const keep = process.env.REMEDIATOR_TEST_KEEP === '1';
  const t0 = Date.now();
  // dockerd's root stays short on purpose: its unix sockets must fit in ~100 chars.
  const dockerRoot = await mkdtemp('/tmp/rmd-');
  const redisDir = await mkdtemp(path.join(os.tmpdir(), 'rmd-redis-'));
  let redis: RedisHandle | undefined;
  let dockerd: DockerdHandle | undefined;
  // A real Prometheus with no targets and no rules: what shipped remediations' verification
  // queries ask (ALERTS, node_exporter filesystems) is answered "nothing firing" by it, as a
  // Prometheus would once a fix held. End-to-end tests start their own, with real rules.
  let prometheus: MonitorHandle | undefined;
  const promDir = await mkdtemp(path.join(os.tmpdir(), 'rmd-prom-'));

  const teardown = async (): Promise<void> => {
    await Promise.allSettled([redis?.stop(), dockerd?.stop(), prometheus?.stop()]);
    await stopAll(); // anything a failed start left behind
    if (keep) {
      console.log(`[global-setup] REMEDIATOR_TEST_KEEP=1: kept ${redisDir} and ${dockerRoot}`);
      return;
    }
    for (const dir of [redisDir, dockerRoot, promDir]) {
      // dockerd.stop() already unmounted what dockerd leaves behind; retries cover slow unmounts.
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }).catch((err: unknown) =>
        console.warn(`[global-setup] could not remove ${dir}: ${String(err)}`),
      );
    }
  };

  try {
    [redis, dockerd, prometheus] = await Promise.all([
      startRedis({ dir: redisDir, aof: true }),
      startDockerd({ root: dockerRoot }),
      startPrometheus({ dir: promDir, config: 'global:\n  evaluation_interval: 1s\nscrape_configs: []\n' }),
    ]);
    await ensureBusyboxImage(dockerd.dockerHost);
  } catch (err) {
    await teardown();
    throw err;
  }

  project.provide('redisUrl', redis.url);
  project.provide('redisPort', redis.port);
  project.provide('dockerHost', dockerd.dockerHost);
  project.provide('prometheusUrl', prometheus.url);
  if (process.env.REMEDIATOR_TEST_VERBOSE === '1' || keep) {
    console.log(
      `[global-setup] redis ${redis.url} (${redisDir}), dockerd ${dockerd.dockerHost}; ready in ${Date.now() - t0} ms`,
    );
  }
  return teardown;
}
