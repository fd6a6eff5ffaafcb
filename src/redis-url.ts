import { ConfigError } from './errors.js';

/**
 * The forms REDIS_URL may take, parsed without touching the network (config.ts validates with
 * it at start; redis.ts builds connections from it):
 *
 * - one Redis: `redis://[[user]:password@]host[:6379][/db]`, `rediss://...` for TLS (passed to
 *   ioredis as is, so its query options such as `?family=6` keep working);
 * - a Sentinel set: `redis+sentinel://[[user]:password@]host1:26379,host2:26379,host3:26379/<master>[?db=N]`:
 *   the hosts are the sentinels, `<master>` the name they monitor; user/password are the data
 *   nodes' credentials; `sentinelUsername` / `sentinelPassword` in the query authenticate to
 *   the sentinels themselves when they require it;
 * - a Cluster: `redis+cluster://[[user]:password@]host1:6379,host2:6379,host3:6379`: a few
 *   seed nodes (any of them; the client learns the rest from CLUSTER SLOTS). No db: a Cluster
 *   has only db 0.
 *
 * Passwords may be percent-encoded (`%40` for `@`). TLS to sentinels or Cluster nodes is not
 * supported yet: `rediss+sentinel://` and `rediss+cluster://` are refused with that reason.
 */

/** A host and port of a sentinel or a Cluster seed node. */
export interface RedisNode {
  host: string;
  port: number;
}

/** What REDIS_URL names, with credentials decoded. */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | {
      kind: 'sentinel';
      sentinels: RedisNode[];
      /** The master group name the sentinels monitor. */
      name: string;
      db: number;
      username: string | undefined;
      password: string | undefined;
      sentinelUsername: string | undefined;
      sentinelPassword: string | undefined;
    }
  | { kind: 'cluster'; nodes: RedisNode[]; username: string | undefined; password: string | undefined };

/** One example per form, for error messages and docs. */
export const REDIS_URL_EXAMPLES = [
  'redis://127.0.0.1:6379',
  'rediss://:password@redis.example.com:6380/0',
  'redis+sentinel://10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379/mymaster',
  'redis+cluster://10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379',
] as const;

const EXPECTED = `expected one of: ${REDIS_URL_EXAMPLES.join(', ')}`;
const MULTI = /^(rediss?)\+(sentinel|cluster):\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/;
const HOST = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?))(?::([0-9]{1,5}))?$/;
const SENTINEL_PARAMS = new Set(['db', 'sentinelUsername', 'sentinelPassword']);
const MAX_NODES = 64;

const fail = (reason: string): never => {
  throw new ConfigError('REDIS_URL', `invalid value: ${reason} (${EXPECTED})`);
};

function decode(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return fail(`the ${what} is not valid percent-encoding`);
  }
}

function parseNodes(list: string, defaultPort: number): RedisNode[] {
  if (list === '') return fail('no host given');
  const parts = list.split(',');
  if (parts.length > MAX_NODES) return fail(`more than ${MAX_NODES} hosts`);
  const seen = new Set<string>();
  return parts.map((part) => {
    const m = HOST.exec(part);
    if (!m) return fail(`"${part}" is not host:port`);
    const port = m[3] === undefined ? defaultPort : Number(m[3]);
    if (port < 1 || port > 65535) return fail(`port ${port} of "${part}" is not a TCP port`);
    const host = m[1] ?? m[2]!;
    const key = `${host.toLowerCase()}:${port}`;
    if (seen.has(key)) return fail(`"${part}" is listed twice`);
    seen.add(key);
    return { host, port };
  });
}

function parseSingle(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return fail('not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return fail(`unknown scheme "${u.protocol}"`);
  if (u.hostname === '') return fail('no host given');
  if (!/^(\/[0-9]{0,5})?$/.test(u.pathname)) return fail(`"${u.pathname}" is not a database number (e.g. /0)`);
  return { kind: 'single', url };
}

/** Parse REDIS_URL; throws a {@link ConfigError} naming REDIS_URL with an example of each form. */
export function parseRedisUrl(url: string): RedisTarget {
  if (/^rediss?:\/\//.test(url)) return parseSingle(url);
  const m = MULTI.exec(url);
  if (!m) return fail(/^[a-z+]+:\/\//.test(url) ? `unknown scheme "${url.split(':')[0]}:"` : 'not a URL');
  const [, scheme, kind, userinfo, hosts, path, query] = m;
  if (scheme === 'rediss')
    return fail(`TLS to ${kind === 'sentinel' ? 'sentinels' : 'Cluster nodes'} is not supported yet`);
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const i = userinfo.indexOf(':');
    const user = decode(i < 0 ? userinfo : userinfo.slice(0, i), 'user name');
    username = user === '' ? undefined : user;
    password = i < 0 ? undefined : decode(userinfo.slice(i + 1), 'password');
  }
  const params = new URLSearchParams(query ?? '');

  if (kind === 'cluster') {
    if (path !== undefined && path !== '/') return fail('a Cluster URL has no path (a Cluster has only db 0)');
    for (const key of params.keys()) return fail(`unknown query parameter "${key}" for a Cluster`);
    return { kind: 'cluster', nodes: parseNodes(hosts!, 6379), username, password };
  }
  const name = decode((path ?? '').replace(/^\//, ''), 'master name');
  if (name === '') return fail('a Sentinel URL ends with /<master name>, the name the sentinels monitor');
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(name)) return fail(`master name "${name}" may hold only A-Z a-z 0-9 _ . -`);
  for (const key of params.keys()) {
    if (!SENTINEL_PARAMS.has(key))
      return fail(`unknown query parameter "${key}" (known: ${[...SENTINEL_PARAMS].join(', ')})`);
  }
  const db = params.get('db') ?? '0';
  if (!/^[0-9]{1,5}$/.test(db)) return fail(`db=${db} is not a database number`);
  return {
    kind: 'sentinel',
    sentinels: parseNodes(hosts!, 26379),
    name,
    db: Number(db),
    username,
    password,
    sentinelUsername: params.get('sentinelUsername') ?? undefined,
    sentinelPassword: params.get('sentinelPassword') ?? undefined,
  };
}

/** REDIS_URL for logs: passwords (also `sentinelPassword`) replaced, everything else kept. */
export function redactRedisUrl(url: string): string {
  if (/^rediss?:\/\//.test(url)) {
    try {
      const u = new URL(url);
      if (u.password) u.password = 'redacted';
      return u.toString();
    } catch {
      return 'redis://(unparseable)';
    }
  }
  const m = MULTI.exec(url);
  if (!m) return 'redis://(unparseable)';
  const [, scheme, kind, userinfo, hosts, path, query] = m;
  let who = '';
  if (userinfo !== undefined) {
    const i = userinfo.indexOf(':');
    who = `${i < 0 ? userinfo : `${userinfo.slice(0, i)}:redacted`}@`;
  }
  let q = '';
  if (query !== undefined) {
    const params = new URLSearchParams(query);
    if (params.has('sentinelPassword')) params.set('sentinelPassword', 'redacted');
    q = `?${params.toString()}`;
  }
  return `${scheme}+${kind}://${who}${hosts}${path ?? ''}${q}`;
}

/** Where REDIS_URL points, without credentials: for "cannot reach Redis at …" messages. */
export function describeRedisUrl(url: string): string {
  try {
    const t = parseRedisUrl(url);
    const list = (nodes: RedisNode[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
    if (t.kind === 'sentinel') return `master "${t.name}" via sentinels ${list(t.sentinels)}`;
    if (t.kind === 'cluster') return `Cluster ${list(t.nodes)}`;
    const u = new URL(t.url);
    return `${u.hostname}:${u.port || 6379}`;
  } catch {
    return 'REDIS_URL';
  }
}
