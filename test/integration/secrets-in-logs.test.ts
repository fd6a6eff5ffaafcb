// A secret never reaches the log (nor Redis). The real binary runs as a user runs it, at
// LOG_LEVEL=trace (Fastify's own client-error lines included), with every kind of secret it
// knows: the webhook token, basic-auth and queue-UI passwords, a Slack bot token. Hostile
// requests carry those secrets where a careless logger would pick them up (query strings,
// paths, odd headers, Basic credentials, absolute-form URLs with `user:pass@`, a broken
// request line, bodies); then the whole captured output and every key and value under the
// test's Redis prefix are searched for each secret.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/lib/daemons.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { fixture, remediationsDir } from '../support/harness.js';
import { spawnRemediator, type Proc } from '../support/process.js';

const TOKEN = `webhook-${randomBytes(16).toString('hex')}`;
const BASIC_PASSWORD = `basic-${randomBytes(16).toString('hex')}`;
const ADMIN_PASSWORD = `admin-${randomBytes(16).toString('hex')}`;
/** What an alert's author wrote in front of the token in a label value (see the last test). */
const USER_DATA = 'userdata-';
const b64 = (s: string) => Buffer.from(s).toString('base64');

const prefix = `s${randomBytes(4).toString('hex')}`;
let slack: FakeSlack;
let proc: Proc;
let port: number;
const redis = new Redis(inject('redisUrl'), { lazyConnect: true });

beforeAll(async () => {
  slack = await startFakeSlack();
  // The first Slack call fails (500): the retry path, with its error line, runs too.
  slack.script([{ status: 500 }]);
  port = await freePort();
  proc = spawnRemediator('start', {
    PORT: String(port),
    REDIS_URL: inject('redisUrl'),
    DOCKER_HOST: inject('dockerHost'),
    QUEUE_PREFIX: prefix,
    REMEDIATIONS_DIR: await remediationsDir({
      'leak-probe.yaml':
        'match:\n  - alertname="LeakProbe"\ntarget:\n  container: "{{ labels.container }}"\naction:\n  type: restart\n',
    }),
    LOG_LEVEL: 'trace',
    WEBHOOK_TOKEN: TOKEN,
    WEBHOOK_BASIC_USER: 'am',
    WEBHOOK_BASIC_PASSWORD: BASIC_PASSWORD,
    ADMIN_USER: 'ops',
    ADMIN_PASSWORD,
    SLACK_BOT_TOKEN: slack.token,
    SLACK_CHANNEL: '#oncall',
    SLACK_API_URL: slack.apiUrl,
  });
  await proc.waitForLine((l) => l.msg === 'HTTP listening', 60_000);
  await redis.connect();
});

afterAll(async () => {
  proc?.kill('SIGTERM');
  await proc?.exited;
  await slack?.close();
  if (redis.status === 'ready') {
    const keys = await scanKeys();
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
});

const url = (path: string) => `http://127.0.0.1:${port}${path}`;

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url(path), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  await res.text();
  return res.status;
}

/** Write raw bytes on a fresh connection; resolves with the status line's code (0 if none). */
function raw(text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(text));
    let answer = '';
    socket.on('data', (c) => (answer += c.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
    socket.setTimeout(5_000, () => socket.destroy());
  });
}

async function scanKeys(): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** Every key under the prefix with everything it holds, as text. */
async function dumpRedis(): Promise<{ key: string; text: string }[]> {
  const out: { key: string; text: string }[] = [];
  for (const key of await scanKeys()) {
    const type = await redis.type(key);
    let value: unknown;
    if (type === 'string') value = await redis.get(key);
    else if (type === 'hash') value = await redis.hgetall(key);
    else if (type === 'list') value = await redis.lrange(key, 0, -1);
    else if (type === 'set') value = await redis.smembers(key);
    else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'stream') value = await redis.xrange(key, '-', '+');
    out.push({ key, text: `${key} ${JSON.stringify(value)}` });
  }
  return out;
}

const hits = (text: string, needle: string) => text.split(needle).length - 1;

describe('secrets under hostile requests', () => {
  it('none of the secrets appears anywhere in the log output or in Redis', async () => {
    const good = { authorization: `Bearer ${TOKEN}` };
    // Refused requests that carry a secret: 401 before the body is read, or 404.
    expect(await post(`/webhook/alertmanager?token=${TOKEN}`, await fixture('firing-high-latency.json'))).toBe(401);
    expect(await post(`/webhook/alertmanager?${TOKEN}`, {})).toBe(401);
    expect(await post(`/webhook/alertmanager?password=${BASIC_PASSWORD}&x=1`, {})).toBe(401);
    expect(
      await post(
        '/webhook/alertmanager',
        {},
        { 'x-webhook-token': TOKEN, 'x-api-key': TOKEN, cookie: `token=${TOKEN}`, 'proxy-authorization': TOKEN },
      ),
    ).toBe(401);
    expect(await post('/webhook/alertmanager', {}, { authorization: `Basic ${b64(`alertmanager:${TOKEN}`)}` })).toBe(
      401,
    );
    expect(await post('/webhook/alertmanager', {}, { authorization: `Basic ${b64(`am:${BASIC_PASSWORD}x`)}` })).toBe(
      401,
    );
    expect(await post('/webhook/alertmanager', {}, { authorization: `Bearer ${TOKEN}x` })).toBe(401);
    expect(await post('/webhook/alertmanager', {}, { authorization: TOKEN })).toBe(401);
    expect(await post(`/webhook/${TOKEN}`, {}, good)).toBe(404);
    const labelled = await fixture('firing-high-latency.json');
    labelled.alerts[0].labels.note = TOKEN;
    expect(await post('/webhook/alertmanager', labelled, { authorization: 'Bearer wrong-token-0123456789' })).toBe(401);
    // Accepted, with the token in the query string as well as in the header.
    expect(await post(`/webhook/alertmanager?token=${TOKEN}`, `{"version":"4","alerts":["${TOKEN}`, good)).toBe(400);
    expect(
      await post(`/webhook/alertmanager?token=${TOKEN}`, { version: '4', status: 'firing', alerts: 5 }, good),
    ).toBe(400);
    // The queue UI and the operator API, with their secrets in the wrong places.
    const admin = await fetch(url(`/admin?password=${ADMIN_PASSWORD}`), {
      headers: { authorization: `Basic ${b64(`ops:${ADMIN_PASSWORD}x`)}` },
    });
    expect(admin.status).toBe(401);
    const api = await fetch(url(`/api/v1/remediations?token=${TOKEN}`), {
      headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
    });
    expect(api.status).toBe(401);
    // Below Fastify: an absolute-form URL with user:pass@, and a request line Node cannot parse.
    expect(
      await raw(
        `POST http://am:${TOKEN}@127.0.0.1:${port}/webhook/alertmanager?token=${TOKEN} HTTP/1.1\r\n` +
          `Host: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
      ),
    ).toBeGreaterThanOrEqual(400);
    expect(await raw(`POST /webhook/alertmanager ${TOKEN} junk\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`)).toBe(400);

    // One good delivery whose alert carries the token in a label value (the last test says why).
    const own = await fixture('firing-high-latency.json');
    own.alerts[0].labels.alertname = 'LeakProbe';
    own.alerts[0].labels.container = `${prefix}-missing`;
    own.alerts[0].labels.note = `${USER_DATA}${TOKEN}`;
    expect(await post('/webhook/alertmanager', own, good)).toBe(202);
    // The job runs (its container does not exist: not_found) and Slack is told, after one retry.
    await proc.waitForLine((l) => l.msg === 'slack notification failed; will retry', 30_000);
    await proc.waitForLine((l) => l.msg === 'slack notification delivered', 30_000);

    const log = proc.output();
    expect(log.length).toBeGreaterThan(0);
    // The refusals were logged, just without the secrets.
    expect(proc.lines().filter((l) => l.msg === 'webhook request refused').length).toBeGreaterThanOrEqual(9);
    const secrets = {
      TOKEN,
      BASIC_PASSWORD,
      ADMIN_PASSWORD,
      slackToken: slack.token,
      basicWithToken: b64(`alertmanager:${TOKEN}`),
      basicWithPassword: b64(`am:${BASIC_PASSWORD}x`),
      adminBasic: b64(`ops:${ADMIN_PASSWORD}x`),
    };
    for (const [name, secret] of Object.entries(secrets))
      expect({ name, hits: hits(log, secret) }).toEqual({ name, hits: 0 });
    expect(log).not.toContain('rawPacket');

    const stored = await dumpRedis();
    expect(stored.length).toBeGreaterThan(0);
    const all = stored.map((s) => s.text).join('\n');
    for (const [name, secret] of Object.entries(secrets))
      if (name !== 'TOKEN') expect({ name, hits: hits(all, secret) }).toEqual({ name, hits: 0 });
    // Each key that holds the token holds it only as that alert's own label value.
    for (const { key, text } of stored)
      expect({ key, hits: hits(text, TOKEN) }).toEqual({ key, hits: hits(text, `${USER_DATA}${TOKEN}`) });
  });

  // A label value is alert data, written by whoever wrote the alert rule: remediator keeps it
  // verbatim in the job (and so history, Slack), as it keeps every label. Redacting the token
  // there would corrupt the alert and, worse, make remediator an oracle: post a guess in a
  // label, see whether it comes back redacted. So the test above allows the token in Redis
  // only inside that label value, and here checks it is kept there as sent. The log is
  // different: it is scrubbed of the configured secrets whatever carries them.
  it('keeps a label value holding the token as the alert data it is, in the job', async () => {
    const jobKey = (await scanKeys()).find((k) => /:remediations:leak-probe\.[0-9a-f]+\.\d+$/.test(k));
    expect(jobKey).toBeDefined();
    const data = JSON.parse((await redis.hget(jobKey!, 'data')) ?? '{}');
    expect(data.alert.labels.note).toBe(`${USER_DATA}${TOKEN}`);
  });
});
