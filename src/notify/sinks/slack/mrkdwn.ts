/**
 * Safe text for Slack. Slack parses `&`, `<` and `>` in every text object (mrkdwn and
 * plain_text): `<!channel>` pings a whole channel and `<https://evil|x>` hides a link behind
 * any words. Alert labels and annotations come from whoever can write a Prometheus rule or
 * post to Alertmanager, so every piece of alert text goes through {@link esc} and every URL
 * through {@link link}; only remediator's own markup and the configured mention are raw.
 */

/** Escape Slack's three control characters. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const ELLIPSIS = '…';

/**
 * Cut already-escaped text to at most `max` characters (UTF-16 units, as Slack counts), never
 * inside an entity (`&amp;`) or a surrogate pair, marking the cut with an ellipsis.
 */
export function cut(escaped: string, max: number): string {
  if (escaped.length <= max) return escaped;
  let end = Math.max(0, max - ELLIPSIS.length);
  // An entity is at most 5 characters: back off if the cut lands inside one.
  const amp = escaped.lastIndexOf('&', end);
  if (amp !== -1 && amp > end - 5 && escaped.indexOf(';', amp) >= end) end = amp;
  const code = escaped.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return escaped.slice(0, end) + ELLIPSIS;
}

/** Escape, then cut. */
export const escCut = (text: string, max: number): string => cut(esc(text), max);

/**
 * A link `<url|label>` when `url` is a well-formed http(s) URL, else undefined. The URL's own
 * `|`, `<`, `>` are percent-encoded and `&` escaped, so it cannot close the link early.
 */
export function link(url: string | undefined, label: string, maxUrl = 1500): string | undefined {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  const href = parsed.href.replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E').replace(/&/g, '&amp;');
  if (href.length > maxUrl) return undefined;
  return `<${href}|${esc(label)}>`;
}

/**
 * The configured on-call handle as Slack markup. Slack only pings through its own syntax, so
 * `@here`/`@channel` become `<!here>`/`<!channel>`; `<!subteam^ID>`, `<@U…>` and `<#C…>` are used
 * as written; a bare `@name` is kept for link_names. Anything else is shown, escaped, as text.
 */
export function mention(handle: string | undefined): { text: string; linkNames: boolean } | undefined {
  if (!handle) return undefined;
  const h = handle.trim();
  const special = /^@(here|channel|everyone)$/.exec(h);
  if (special) return { text: `<!${special[1]}>`, linkNames: false };
  if (/^<(!subteam\^[A-Z0-9]+|@[A-Z0-9]+|!here|!channel|!everyone)(\|[^<>]*)?>$/.test(h))
    return { text: h, linkNames: false };
  if (/^@[A-Za-z0-9._-]{1,80}$/.test(h)) return { text: h, linkNames: true };
  return { text: esc(h), linkNames: false };
}

/**
 * With link_names on, Slack turns `@name` in the whole message into a mention, escaping
 * aside: a word joiner after each `@` of alert text keeps it from pinging anyone.
 */
export const defang = (escaped: string): string => escaped.replace(/@/g, '@\u2060');

/** A code block of untrusted output, within `max` characters in all. */
export function codeBlock(text: string, max: number): string {
  // Three backticks inside would close the block early; a zero-width space breaks them up.
  const body = esc(text.replace(/```/g, '`\u200b``').replace(/\s+$/, ''));
  // Keep the tail: the end of a command's output says why it failed.
  const room = max - 8;
  const tail =
    body.length > room ? ELLIPSIS + body.slice(body.length - room + ELLIPSIS.length).replace(/^[^&;]{0,4};/, '') : body;
  return '```\n' + (tail || ' ') + '\n```';
}

/** 1234 -> "1.2 s", 61000 -> "1 min 1 s". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${min} min ${s} s` : `${min} min`;
}

/** 1536 -> "1.5 KiB". */
export function bytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** Slack's date token: shown in the reader's time zone, with a plain fallback. */
export function date(iso: string | undefined): string | undefined {
  const ms = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(ms) || ms <= 0) return undefined;
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${new Date(ms).toISOString()}>`;
}
