// A local HTTP server that answers as Slack's documented endpoints do, for tests (no Slack on
// these machines): chat.postMessage and chat.update of the Web API (form or JSON bodies, the
// bot token checked, `ok`/`ts`/`channel` in answers, Slack's error codes, Block Kit limits
// enforced) and an incoming webhook. Every call is recorded; failures can be scripted
// (429 with Retry-After, 5xx) for the next calls.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { freePort } from '../../scripts/lib/daemons.js';

export interface SlackCall {
  at: number;
  endpoint: 'chat.postMessage' | 'chat.update' | 'webhook' | string;
  /** The decoded arguments (blocks parsed from their JSON string when sent as a form). */
  args: Record<string, any>;
  authorization: string | undefined;
  contentType: string | undefined;
  status: number;
  /** What was answered: ok and error for the Web API, the body text for the webhook. */
  ok: boolean;
  error: string | undefined;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  threadTs: string | undefined;
  text: string;
  blocks: any[];
  /** Every version of the message, first to last (chat.update appends). */
  history: { text: string; blocks: any[] }[];
}

export interface Scripted {
  status: 429 | 500 | 502 | 503;
  retryAfterSeconds?: number;
}

export interface FakeSlack {
  apiUrl: string;
  webhookUrl: string;
  token: string;
  calls: SlackCall[];
  /** Messages by ts, in the order they were posted. */
  messages: StoredMessage[];
  /** The next calls (any endpoint) get these answers, in order, before normal service resumes. */
  script(answers: Scripted[]): void;
  /** Ids of channels by name (#oncall -> C...), as posts resolved them. */
  channelId(name: string): string;
  close(): Promise<void>;
}

// https://docs.slack.dev/reference/block-kit/blocks: limits Slack rejects with invalid_blocks.
function blocksProblem(blocks: unknown): string | undefined {
  if (blocks === undefined) return undefined;
  if (!Array.isArray(blocks)) return 'blocks is not an array';
  if (blocks.length > 50) return `${blocks.length} blocks (max 50)`;
  const texts: [string, number][] = [];
  for (const b of blocks) {
    if (b.type === 'header') texts.push([b.text?.text ?? '', 150]);
    if (b.type === 'section') {
      if (b.text) texts.push([b.text.text ?? '', 3000]);
      if ((b.fields?.length ?? 0) > 10) return 'more than 10 fields';
      for (const f of b.fields ?? []) texts.push([f.text ?? '', 2000]);
      if (!b.text && !b.fields) return 'section without text or fields';
    }
    if (b.type === 'context') {
      if ((b.elements?.length ?? 0) > 10) return 'more than 10 context elements';
      for (const e of b.elements ?? []) texts.push([e.text ?? '', 3000]);
    }
  }
  const long = texts.find(([t, max]) => t.length > max || t.length === 0);
  return long ? `a text of ${long[0].length} characters (limit ${long[1]})` : undefined;
}

export async function startFakeSlack(opts: { token?: string } = {}): Promise<FakeSlack> {
  const token = opts.token ?? `xoxb-test-${randomBytes(6).toString('hex')}`;
  const webhookPath = `/services/T0TEST/B0TEST/${randomBytes(12).toString('hex')}`;
  const calls: SlackCall[] = [];
  const messages: StoredMessage[] = [];
  const channels = new Map<string, string>();
  let scripted: Scripted[] = [];
  let clock = 1_700_000_000_000;
  const nextTs = () => `${Math.floor(++clock / 1000)}.${String(clock % 1_000_000).padStart(6, '0')}`;
  const channelId = (name: string) => {
    if (/^[CGD][A-Z0-9]{8,}$/.test(name)) return name;
    if (!channels.has(name)) channels.set(name, `C${randomBytes(5).toString('hex').toUpperCase()}`);
    return channels.get(name)!;
  };

  function parse(body: string, type: string | undefined): Record<string, any> {
    if (type?.startsWith('application/json')) return JSON.parse(body || '{}');
    const args: Record<string, any> = Object.fromEntries(new URLSearchParams(body));
    // Form bodies carry arrays and objects as JSON strings (as the SDK sends them).
    for (const k of ['blocks', 'attachments', 'metadata'])
      if (typeof args[k] === 'string') args[k] = JSON.parse(args[k]);
    return args;
  }

  function webApi(endpoint: string, args: Record<string, any>, auth: string | undefined): Record<string, unknown> {
    if (!auth) return { ok: false, error: 'not_authed' };
    if (auth !== `Bearer ${token}`) return { ok: false, error: 'invalid_auth' };
    if (!args.channel) return { ok: false, error: 'channel_not_found' };
    if (!args.text && !args.blocks) return { ok: false, error: 'no_text' };
    const problem = blocksProblem(args.blocks);
    if (problem) return { ok: false, error: 'invalid_blocks', errors: [problem] };
    if (String(args.text ?? '').length > 40_000) return { ok: false, error: 'msg_too_long' };
    if (endpoint === 'chat.postMessage') {
      const channel = channelId(String(args.channel));
      const ts = nextTs();
      const m = {
        channel,
        ts,
        threadTs: args.thread_ts || undefined,
        text: String(args.text ?? ''),
        blocks: args.blocks ?? [],
      };
      messages.push({ ...m, history: [{ text: m.text, blocks: m.blocks }] });
      return {
        ok: true,
        channel,
        ts,
        message: { type: 'message', text: m.text, ts, ...(m.threadTs && { thread_ts: m.threadTs }) },
      };
    }
    if (endpoint === 'chat.update') {
      // chat.update wants the channel id that chat.postMessage returned, not a name.
      const m = messages.find((x) => x.ts === String(args.ts) && x.channel === String(args.channel));
      if (!m)
        return {
          ok: false,
          error: /^[CGD][A-Z0-9]+$/.test(String(args.channel)) ? 'message_not_found' : 'channel_not_found',
        };
      m.text = String(args.text ?? '');
      m.blocks = args.blocks ?? [];
      m.history.push({ text: m.text, blocks: m.blocks });
      return { ok: true, channel: m.channel, ts: m.ts, text: m.text };
    }
    return { ok: false, error: 'unknown_method' };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const isWebhook = url.pathname.startsWith('/services/');
      const endpoint = isWebhook ? 'webhook' : url.pathname.replace(/^\/api\//, '');
      const type = req.headers['content-type'];
      let args: Record<string, any> = {};
      try {
        args = parse(Buffer.concat(chunks).toString('utf8'), type);
      } catch {
        args = { unparsable: true };
      }
      const record = (status: number, ok: boolean, error: string | undefined) =>
        calls.push({
          at: Date.now(),
          endpoint,
          args,
          authorization: req.headers.authorization,
          contentType: type,
          status,
          ok,
          error,
        });
      const next = scripted.shift();
      if (next) {
        record(next.status, false, next.status === 429 ? 'ratelimited' : `http_${next.status}`);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (next.retryAfterSeconds !== undefined) headers['retry-after'] = String(next.retryAfterSeconds);
        res
          .writeHead(next.status, headers)
          .end(next.status === 429 ? JSON.stringify({ ok: false, error: 'ratelimited' }) : 'upstream error');
        return;
      }
      if (isWebhook) {
        // Incoming webhooks answer plain text: "ok", or a short error code with a 4xx.
        if (url.pathname !== webhookPath)
          return (record(404, false, 'no_service'), res.writeHead(404).end('no_service'));
        if (args.unparsable || (!args.text && !args.blocks))
          return (record(400, false, 'invalid_payload'), res.writeHead(400).end('invalid_payload'));
        const problem = blocksProblem(args.blocks);
        if (problem) return (record(400, false, 'invalid_blocks'), res.writeHead(400).end('invalid_blocks'));
        record(200, true, undefined);
        messages.push({
          channel: 'webhook',
          ts: nextTs(),
          threadTs: undefined,
          text: String(args.text ?? ''),
          blocks: args.blocks ?? [],
          history: [{ text: String(args.text ?? ''), blocks: args.blocks ?? [] }],
        });
        return res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      }
      // The Web API answers HTTP 200 with ok:false for errors other than rate limits.
      const answer = webApi(endpoint, args, req.headers.authorization);
      record(200, answer.ok === true, answer.ok ? undefined : String(answer.error));
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(answer));
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    webhookUrl: `http://127.0.0.1:${port}${webhookPath}`,
    token,
    calls,
    messages,
    script(answers) {
      scripted = [...scripted, ...answers];
    },
    channelId,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** All text of a message version (blocks and fallback), for assertions. */
export function textOf(m: { text: string; blocks: any[] }): string {
  return JSON.stringify([m.text, m.blocks]);
}

/** The state word the parent shows first ("Queued", "Running", "Succeeded", ...). */
export function stateOf(m: { blocks: any[] }): string | undefined {
  const section = m.blocks.find((b) => b.type === 'section' && b.text);
  return /\*([A-Z][a-z]+(?: [a-z]+)?)\*/.exec(section?.text.text ?? '')?.[1];
}

/** The parent message of a thread (found by the thread's job id in it) and its replies. */
export function threadIn(slack: FakeSlack, threadId: string): { parents: StoredMessage[]; replies: StoredMessage[] } {
  const parents = slack.messages.filter(
    (m) => !m.threadTs && m.channel !== 'webhook' && textOf(m).includes(`job \`${threadId}\``),
  );
  const ts = new Set(parents.map((p) => p.ts));
  return { parents, replies: slack.messages.filter((m) => m.threadTs !== undefined && ts.has(m.threadTs)) };
}

/** Poll until `fn` returns something truthy, or fail after the deadline. */
export async function until<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
