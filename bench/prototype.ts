// The naive prototype the issue measured remediator against, kept here as the ingest baseline:
// Fastify with a JSON-schema-validated body and one BullMQ addBulk per POST, one job per alert.
// No auth, no matching, no dedup, no guards, no metrics, no logs. PROTOTYPE_MODE=bare drops
// the queue too (schema-validated POST only): the ceiling of Fastify itself on this machine.
// Run as its own process by bench/run.ts (compiled, like the service).
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

const port = Number(process.env.PORT ?? 0);
const mode = process.env.PROTOTYPE_MODE === 'bare' ? 'bare' : 'bullmq';
const redisUrl = process.env.REDIS_URL;
if (mode === 'bullmq' && !redisUrl) throw new Error('REDIS_URL is required (PROTOTYPE_MODE=bullmq)');

const alert = {
  type: 'object',
  required: ['status', 'labels', 'startsAt', 'fingerprint'],
  properties: {
    status: { type: 'string', enum: ['firing', 'resolved'] },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    startsAt: { type: 'string' },
    endsAt: { type: 'string' },
    generatorURL: { type: 'string' },
    fingerprint: { type: 'string' },
  },
};
const body = {
  type: 'object',
  required: ['version', 'status', 'alerts'],
  properties: {
    version: { type: 'string' },
    status: { type: 'string' },
    receiver: { type: 'string' },
    alerts: { type: 'array', items: alert },
  },
};

const queue =
  mode === 'bullmq'
    ? new Queue('remediations', {
        connection: new Redis(redisUrl!, { maxRetriesPerRequest: 1 }),
        prefix: process.env.QUEUE_PREFIX ?? 'proto',
      })
    : undefined;

const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
app.post<{ Body: { alerts: { labels: Record<string, string> }[] } }>(
  '/webhook/alertmanager',
  { schema: { body } },
  async (req, reply) => {
    if (queue) await queue.addBulk(req.body.alerts.map((a) => ({ name: a.labels.alertname ?? 'alert', data: a })));
    return reply.code(202).send({ status: 'accepted', jobs: req.body.alerts.length });
  },
);

await app.listen({ port, host: '127.0.0.1' });
const stop = () => void Promise.allSettled([app.close(), queue?.close()]).then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
