// Each sink's own variables, validated by loadConfig: defaults, errors that name the variable,
// secrets trimmed and readable from <NAME>_FILE.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../src/config.js';
import { ConfigError } from '../../../../src/errors.js';

const base = { WEBHOOK_TOKEN: '0123456789abcdef-token' };
const KEY = 'R0UT1NGKEY0123456789abcdefabcdef';

function variableOf(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).variable;
  }
  return expect.unreachable('expected a ConfigError');
}

describe('notification sinks in loadConfig', () => {
  it('no sink variable: no sink settings', () => {
    expect(loadConfig(base).sinks).toEqual({});
  });

  it('PagerDuty: the routing key turns it on, with the public Events API v2 endpoint by default', () => {
    expect(loadConfig({ ...base, PAGERDUTY_ROUTING_KEY: KEY }).sinks.pagerduty).toEqual({
      routingKey: KEY,
      eventsUrl: 'https://events.pagerduty.com/v2/enqueue',
    });
    expect(
      loadConfig({ ...base, PAGERDUTY_ROUTING_KEY: KEY, PAGERDUTY_EVENTS_URL: 'http://127.0.0.1:1/v2/enqueue' }).sinks
        .pagerduty,
    ).toMatchObject({ eventsUrl: 'http://127.0.0.1:1/v2/enqueue' });
    expect(variableOf({ ...base, PAGERDUTY_ROUTING_KEY: 'short' })).toBe('PAGERDUTY_ROUTING_KEY');
    expect(variableOf({ ...base, PAGERDUTY_EVENTS_URL: 'http://x/' })).toBe('PAGERDUTY_ROUTING_KEY');
    expect(variableOf({ ...base, PAGERDUTY_ROUTING_KEY: KEY, PAGERDUTY_EVENTS_URL: 'ftp://x' })).toBe(
      'PAGERDUTY_EVENTS_URL',
    );
  });

  it('the webhook sink needs its URL and a secret of at least 16 characters, each named when missing or wrong', () => {
    const ok = { ...base, WEBHOOK_SINK_URL: 'https://hooks.example/r', WEBHOOK_SINK_SECRET: '  s3cret-0123456789  ' };
    expect(loadConfig(ok).sinks.webhook).toEqual({ url: 'https://hooks.example/r', secret: 's3cret-0123456789' });
    expect(variableOf({ ...base, WEBHOOK_SINK_URL: 'https://hooks.example/r' })).toBe('WEBHOOK_SINK_SECRET');
    expect(variableOf({ ...base, WEBHOOK_SINK_SECRET: 's3cret-0123456789' })).toBe('WEBHOOK_SINK_URL');
    expect(variableOf({ ...ok, WEBHOOK_SINK_SECRET: 'short' })).toBe('WEBHOOK_SINK_SECRET');
    expect(variableOf({ ...ok, WEBHOOK_SINK_URL: 'hooks.example' })).toBe('WEBHOOK_SINK_URL');
  });

  it('a sink secret may come from <NAME>_FILE, and a bad file names the _FILE variable, never the content', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rmd-sinkcfg-'));
    const file = path.join(dir, 'key');
    writeFileSync(file, `${KEY}\n`);
    expect(loadConfig({ ...base, PAGERDUTY_ROUTING_KEY_FILE: file }).sinks.pagerduty).toMatchObject({
      routingKey: KEY,
    });
    writeFileSync(file, 'not a key\n');
    let err: ConfigError | undefined;
    try {
      loadConfig({ ...base, PAGERDUTY_ROUTING_KEY_FILE: file });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err?.variable).toBe('PAGERDUTY_ROUTING_KEY_FILE');
    expect(err?.message).not.toContain('not a key');
  });

  it('Teams, Mattermost and the preview each by their own variable', () => {
    const c = loadConfig({
      ...base,
      TEAMS_WEBHOOK_URL: 'https://example.webhook.office.com/webhookb2/abc',
      MATTERMOST_WEBHOOK_URL: 'https://mm.example/hooks/xyz',
      NOTIFY_PREVIEW: 'stdout',
    });
    expect(c.sinks).toEqual({
      teams: { url: 'https://example.webhook.office.com/webhookb2/abc' },
      mattermost: { url: 'https://mm.example/hooks/xyz' },
      preview: { to: 'stdout' },
    });
    expect(variableOf({ ...base, TEAMS_WEBHOOK_URL: 'not a url' })).toBe('TEAMS_WEBHOOK_URL');
    expect(variableOf({ ...base, MATTERMOST_WEBHOOK_URL: 'mm.example/hooks/x' })).toBe('MATTERMOST_WEBHOOK_URL');
  });
});
