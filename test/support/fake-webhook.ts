// A local receiver for remediator's generic webhook sink, written the way a user's automation
// would be: it verifies X-Remediator-Signature (sha256=<hex HMAC-SHA256 of the raw body>) with the
// shared secret in constant time and answers 401 when it does not match, and it drops a repeat of
// an Idempotency-Key it already took (answering 200, as idempotent receivers do).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { startFakeServer, type FakeServer } from './fake-http.js';

export interface FakeWebhook extends FakeServer {
  secret: string;
  /** Bodies taken (signature valid, first time their key was seen), in order. */
  bodies(): any[];
  /** Requests whose signature did not verify. */
  unsigned(): number;
}

export function verify(secret: string, raw: string, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const want = Buffer.from(createHmac('sha256', secret).update(raw, 'utf8').digest('hex'), 'utf8');
  const got = Buffer.from(header.slice('sha256='.length), 'utf8');
  return got.length === want.length && timingSafeEqual(got, want);
}

export async function startFakeWebhook(secret: string): Promise<FakeWebhook> {
  const seen = new Set<string>();
  const taken: any[] = [];
  let bad = 0;
  const server = await startFakeServer('hooks/remediator', (call) => {
    if (!verify(secret, call.raw, call.headers['x-remediator-signature'])) {
      bad++;
      return { status: 401, body: 'bad signature' };
    }
    const key = call.headers['idempotency-key'];
    if (typeof key !== 'string' || key !== call.json?.idempotencyKey)
      return { status: 400, body: 'no idempotency key' };
    if (!seen.has(key)) {
      seen.add(key);
      taken.push(call.json);
    }
    return { status: 200, body: 'ok' };
  });
  return { ...server, secret, bodies: () => [...taken], unsigned: () => bad };
}
