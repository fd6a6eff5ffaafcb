import { hostQueues } from './host-queues.js';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createCatalog } from '../catalog/catalog.js';
import { loadRemediations } from '../catalog/load.js';
import { loadConfig } from '../config.js';
import { createDockerodeAdapter } from '../docker/dockerode-adapter.js';
import type { DockerPort } from '../docker/port.js';
import { coerceError, InvalidPayloadError, UsageError } from '../errors.js';
import { createControl } from '../guards/control.js';
import { createGuards } from '../guards/index.js';
import { createSimulateReads, parsePayload, simulate, type SimulationReport } from '../simulate/index.js';
import { connectRedis, readAll, type CliIO } from './io.js';
import { usageLine } from './help.js';

import { renderSimulation } from './simulate-view.js';
import { notifyPreview } from './simulate-notify.js';
import { EXIT, paintFor } from './term.js';

/** Decisions after which the worker would end the job without fixing anything. */
const FAILING = new Set(['refused', 'not_found', 'circuit_open']);

/** Jobs a worker would fail now, by their first step's decision. */
export function failingJobs(report: SimulationReport): { jobId: string; decision: string }[] {
  return report.alerts
    .flatMap((a) => a.remediations.flatMap((r) => r.jobs))
    .filter((j) => j.webhook.decision === 'enqueue' && j.worker && FAILING.has(j.worker.decision))
    .map((j) => ({ jobId: j.jobId, decision: j.worker!.decision }));
}

export const SIMULATE_USAGE = usageLine('simulate');
const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

/**
 * `remediator simulate FILE|-`: what remediator would do with an Alertmanager payload now.
 * Reads Redis (episodes, guards, job states) and lists containers in Docker; writes nothing
 * and enqueues nothing. `--notify` adds what every notification sink would send, sending nothing. Exit 0 with a plan, 1 when the payload is invalid, 69 when Redis is
 * unreachable, 2 for wrong arguments, 78 for a bad environment.
 */
export async function simulateCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean' }, dir: { type: 'string' }, notify: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1)
    throw new UsageError(
      `${positionals.length === 0 ? 'simulate needs a payload file (or - for stdin)' : 'simulate takes one payload file'}\n${SIMULATE_USAGE}`,
    );
  const file = positionals[0]!;
  const config = loadConfig(io.env, ['cli']);
  const source = file === '-' ? 'stdin' : file;

  let payload;
  try {
    const text = file === '-' ? await readAll(io.stdin, MAX_PAYLOAD_BYTES) : await readFile(file, 'utf8');
    payload = parsePayload(text, source);
  } catch (err) {
    io.err.write(
      `remediator simulate: ${err instanceof InvalidPayloadError ? `invalid payload: ${err.message}` : `cannot read ${source}: ${coerceError(err).message}`}\n`,
    );
    return EXIT.problems;
  }
  const dir = values.dir ?? config.remediationsDir;
  const catalog = createCatalog(dir, await loadRemediations(dir));

  const redis = await connectRedis(config.redisUrl);
  // skipMetasUpdate: a Queue normally writes its meta key on connect; simulate must write nothing.
  const queues = hostQueues(redis, config.queuePrefix);
  const queueFor = queues.queueFor;
  try {
    let docker: DockerPort | undefined = createDockerodeAdapter({
      dockerHost: config.dockerHost,
      certPath: config.dockerCertPath,
      tlsVerify: config.dockerTlsVerify,
    });
    try {
      await docker.ping();
    } catch (err) {
      io.err.write(
        `remediator simulate: Docker Engine at DOCKER_HOST not reachable (${coerceError(err).message}): targets are not looked up\n`,
      );
      docker = undefined;
    }
    const report = await simulate(payload, {
      catalog: () => catalog,
      docker,
      guards: createGuards({ redis, prefix: config.queuePrefix, lockTtlMs: config.targetLockMs }),
      reads: createSimulateReads(redis, config.queuePrefix, queueFor),
      config,
      control: createControl(redis, config).engine,
    });
    const notifications = values.notify ? await notifyPreview(report, payload, catalog, config) : undefined;
    io.out.write(
      values.json
        ? `${JSON.stringify(notifications ? { ...report, notifications: notifications.previews } : report, null, 2)}\n`
        : renderSimulation(report, paintFor(io.out, io.env)),
    );
    if (notifications && !values.json) io.out.write(notifications.text);
    // A gate for CI: a job the worker would refuse, not find, or not run (circuit open) is a
    // problem (exit 1); the plan on stdout is the same either way.
    const failing = failingJobs(report);
    if (failing.length > 0) {
      io.err.write(
        `remediator simulate: ${failing.length} job${failing.length === 1 ? '' : 's'} would fail: ${failing.map((j) => `${j.jobId} (${j.decision})`).join(', ')}\n`,
      );
      return EXIT.problems;
    }
    return EXIT.ok;
  } finally {
    await queues.close();
    redis.disconnect();
  }
}
