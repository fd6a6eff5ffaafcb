/**
 * The calls of Alertmanager's API v2 that remediator makes: create and expire a silence, and
 * ask whether an alert still fires (a runbook's `still_firing`).
 * Credentials in ALERTMANAGER_URL (`http://user:pass@host:9093`) become a basic-auth header,
 * since fetch refuses URLs that carry them; they never appear in an error message.
 */

/** One label matcher of a silence (Alertmanager API v2). */
export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  /** false means "!=" (or "!~"); Alertmanager >= 0.22. */
  isEqual: boolean;
}

export interface SilenceRequest {
  matchers: SilenceMatcher[];
  /** RFC 3339. */
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

export interface AlertmanagerApi {
  /** Returns the new silence's id. */
  createSilence(silence: SilenceRequest): Promise<string>;
  /** Ends the silence now (Alertmanager keeps it, as expired). */
  expireSilence(id: string): Promise<void>;
  /**
   * Whether the alert with this fingerprint is among Alertmanager's current alerts (active,
   * silenced or inhibited all count as firing: a silence hides it, it does not fix it).
   */
  isFiring(fingerprint: string, labels: Record<string, string>): Promise<boolean>;
  /** Host of the Alertmanager, for logs (no credentials). */
  readonly host: string;
}

export function createAlertmanagerApi(baseUrl: string, opts: { timeoutMs?: number } = {}): AlertmanagerApi {
  const url = new URL(baseUrl);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (url.username || url.password) {
    const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  // Keep a path prefix (Alertmanager behind a proxy at /alertmanager/).
  const base = url.toString().replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 5_000;

  async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Alertmanager ${method} ${path} answered ${res.status}: ${text.slice(0, 200).trim()}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  return {
    host: url.host,
    async createSilence(silence) {
      const reply = (await call('POST', '/api/v2/silences', silence)) as { silenceID?: unknown } | undefined;
      if (typeof reply?.silenceID !== 'string')
        throw new Error('Alertmanager POST /api/v2/silences answered without a silenceID');
      return reply.silenceID;
    },
    async expireSilence(id) {
      await call('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
    },
    async isFiring(fingerprint, labels) {
      // Filtered by the alert's name and exact labels server-side, then by fingerprint here.
      const q = new URLSearchParams({ active: 'true', silenced: 'true', inhibited: 'true', unprocessed: 'true' });
      for (const [name, value] of Object.entries(labels)) q.append('filter', `${name}=${JSON.stringify(value)}`);
      const alerts = (await call('GET', `/api/v2/alerts?${q.toString()}`)) as { fingerprint?: string }[] | undefined;
      return (alerts ?? []).some((a) => a.fingerprint === fingerprint);
    },
  };
}
