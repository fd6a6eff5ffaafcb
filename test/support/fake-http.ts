// The common part of the local servers that stand in for third-party HTTP APIs in tests
// (PagerDuty, a webhook receiver, Teams, Mattermost): every request is recorded with its raw
// bytes and headers; failures can be scripted for the next requests (429 with Retry-After,
// 5xx), or held for as long as a test says (an outage), before normal service resumes.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { freePort } from '../../scripts/lib/daemons.js';

export interface FakeCall {
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body exactly as received. */
  raw: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
  /** What was answered. */
  status: number;
  /** True when the request was taken (2xx): the API did what it was asked. */
  accepted: boolean;
}

export interface Failure {
  status: 429 | 500 | 502 | 503;
  retryAfterSeconds?: number;
}

export interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface FakeServer {
  /** The URL the sink posts to (with a random secret path, as real incoming webhooks have). */
  url: string;
  calls: FakeCall[];
  /** Requests taken (2xx), in the order they came. */
  accepted(): FakeCall[];
  /** The next requests get these answers, in order (before a hold), before normal service resumes. */
  script(failures: Failure[]): void;
  /** Answer every request with this failure until release() (an outage of unknown length). */
  hold(failure: Failure): void;
  release(): void;
  close(): Promise<void>;
}

const failureBody = (f: Failure) => (f.status === 429 ? 'Too Many Requests' : 'upstream error');

/** Start a server at `/<prefix>/<random>`; `answer` decides what a well-formed request gets. */
export async function startFakeServer(
  prefix: string,
  answer: (call: Omit<FakeCall, 'status' | 'accepted' | 'at'>) => Answer,
): Promise<FakeServer> {
  const path = `/${prefix}/${randomBytes(12).toString('hex')}`;
  const calls: FakeCall[] = [];
  let scripted: Failure[] = [];
  let held: Failure | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let json: any;
      try {
        json = JSON.parse(raw);
      } catch {
        json = undefined;
      }
      const base = { path: req.url ?? '/', headers: req.headers, raw, json };
      const failure = scripted.shift() ?? held;
      let a: Answer;
      if (req.method !== 'POST') a = { status: 405, body: 'method not allowed' };
      else if (req.url !== path) a = { status: 404, body: 'not found' };
      else if (failure)
        a = {
          status: failure.status,
          body: failureBody(failure),
          headers:
            failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : undefined,
        };
      else a = answer(base);
      calls.push({ ...base, at: Date.now(), status: a.status, accepted: a.status >= 200 && a.status < 300 });
      res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers }).end(a.body);
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}${path}`,
    calls,
    accepted: () => calls.filter((c) => c.accepted),
    script(failures) {
      scripted = [...scripted, ...failures];
    },
    hold(failure) {
      held = failure;
    },
    release() {
      held = undefined;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
