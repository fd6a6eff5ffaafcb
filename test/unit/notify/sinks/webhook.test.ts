import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { webhook } from '../../../../src/notify/sinks/webhook/index.js';
import { createWebhookSink } from '../../../../src/notify/sinks/webhook/sink.js';
import { events } from '../job-data.js';
import { runSink } from '../io.js';

const SECRET = 'whsec-0123456789abcdef';
const sink = createWebhookSink({ url: 'http://127.0.0.1:1/hook', secret: SECRET });
const e = events();
const story = [
  e.queued(),
  e.running(1, 3),
  e.acting('restart', ['api']),
  e.retrying(1, 3, 'engine 500'),
  e.finished({ outcome: 'escalated', escalation: 'retries_exhausted', attempts: 3 }),
  e.resolved(),
];

describe('the generic webhook', () => {
  it('one JSON body per transition, signed with HMAC-SHA256 over the exact bytes sent', async () => {
    const { sent } = await runSink(sink, webhook, story);
    expect(sent.map((s) => JSON.parse(s.req.body as string).transition)).toEqual(story.map((x) => x.type));
    for (const s of sent) {
      const raw = s.req.body as string;
      const hmac = createHmac('sha256', SECRET).update(raw).digest('hex');
      expect(s.req.headers['x-remediator-signature']).toBe(`sha256=${hmac}`);
      expect(s.req.headers['content-type']).toBe('application/json');
    }
    // A different secret would not verify.
    const other = createHmac('sha256', `${SECRET}x`)
      .update(sent[0]!.req.body as string)
      .digest('hex');
    expect(sent[0]!.req.headers['x-remediator-signature']).not.toBe(`sha256=${other}`);
  });

  it('an idempotency key per transition, in the header and the body, the same on a retry', async () => {
    const first = await runSink(sink, webhook, story);
    const again = await runSink(sink, webhook, story);
    const keys = first.sent.map((s) => s.req.headers['idempotency-key']);
    expect(new Set(keys).size).toBe(story.length);
    expect(first.sent.map((s) => JSON.parse(s.req.body as string).idempotencyKey)).toEqual(keys);
    expect(again.sent.map((s) => s.req)).toEqual(first.sent.map((s) => s.req));
  });

  it('carries the alert, the remediation and each transition’s own fields; big details are bounded', async () => {
    const big = e.finished({
      outcome: 'succeeded',
      result: {
        outcome: 'succeeded',
        summary: 'ran',
        action: 'exec',
        targets: ['api'],
        dryRun: false,
        durationMs: 5,
        details: { outputs: [{ stdout: 'o'.repeat(100_000) }] },
        steps: [],
      },
    });
    const { sent } = await runSink(sink, webhook, [e.retrying(2, 3, 'engine 500'), big]);
    const [retrying, finished] = sent.map((s) => JSON.parse(s.req.body as string));
    expect(retrying).toMatchObject({
      version: 1,
      transition: 'job.retrying',
      attempt: 2,
      attempts: 3,
      reason: 'engine 500',
      remediation: { id: 'high-latency', action: 'restart' },
      alert: { alertname: 'HighLatency', fingerprint: '3e03c1ad0d5013c4', labels: { container: 'api' } },
    });
    expect(finished.result.details).toEqual({ truncated: true, chars: expect.any(Number) });
    expect(finished).toMatchObject({ outcome: 'succeeded', escalates: false });
    expect((sent[1]!.req.body as string).length).toBeLessThan(20_000);
  });
});
