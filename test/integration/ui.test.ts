// The operator page /ui in a real headless browser (Debian chromium, playwright-core), after the
// effectiveness scenarios ran through the real pipeline: it shows those episodes on the
// timeline in their outcomes' colours, the success-rate and MTTR charts with the API's
// figures, and the open circuit; it needs the admin credentials (401 without); and the page
// may reach nothing but remediator itself: a request to any other host fails the test.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { StatsReport } from '../../src/stats/index.js';
import { outcomeColour } from '../../src/ui/html.js';
import { removeContainers, uniquePrefix } from '../support/docker.js';
import { SCENARIO_FILES, runScenarios, type SentEpisode } from '../support/effectiveness.js';
import { TOKEN, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const ADMIN = { username: 'ops', password: 'admin-password-0123' };
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = path.join(import.meta.dirname, '..', '..', '.tmp', 'artifacts');
const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('ui');
let h: Harness;
let browser: Browser;
let sent: SentEpisode[];
let api: StatsReport;
/** Requests the browser tried to send anywhere but 127.0.0.1 (aborted, and a failure). */
const external: string[] = [];
const requested: string[] = [];

async function localContext(options: Parameters<Browser['newContext']>[0]): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  await context.route('**/*', (route) => {
    const url = route.request().url();
    requested.push(url);
    if (new URL(url).hostname === '127.0.0.1') return route.continue();
    external.push(url);
    return route.abort('blockedbyclient');
  });
  return context;
}

beforeAll(async () => {
  [h, browser] = await Promise.all([
    startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: await remediationsDir(SCENARIO_FILES),
      env: { ADMIN_USER: ADMIN.username, ADMIN_PASSWORD: ADMIN.password },
    }),
    chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS }),
  ]);
  sent = await runScenarios(h, docker, p);
  const res = await fetch(`${h.url}/api/v1/stats?since=1h`, { headers: { authorization: `Bearer ${TOKEN}` } });
  api = (await res.json()) as StatsReport;
}, 180_000);

afterAll(async () => {
  expect(external, 'requests to hosts other than 127.0.0.1').toEqual([]);
  await browser?.close();
  await h?.stop();
  await removeContainers(docker, p);
});

describe('/ui in a browser', () => {
  it('shows the episodes, the charts and the open circuit, asking no other host; a screenshot is kept', async () => {
    const context = await localContext({ httpCredentials: ADMIN, viewport: { width: 1400, height: 900 } });
    try {
      const page = await context.newPage();
      const res = await page.goto(`${h.url}/ui?since=1h`);
      expect(res?.status()).toBe(200);
      expect(res?.headers()['content-security-policy']).toContain("default-src 'none'");

      // The timeline: every episode the scenarios sent, newest first, coloured by outcome.
      const rows = page.locator('#timeline-svg g.episode');
      expect(await rows.count()).toBe(sent.length);
      const shown = await rows.evaluateAll((gs) =>
        gs.map((g) => ({
          job: g.getAttribute('data-job'),
          outcome: g.getAttribute('data-outcome'),
          fill: g.querySelector('rect.act')?.getAttribute('fill'),
          resolved: g.querySelector('.m-resolved') !== null,
        })),
      );
      expect(shown).toEqual(
        [...sent]
          .reverse()
          .map((s) => ({ job: s.jobId, outcome: s.outcome, fill: outcomeColour(s.outcome), resolved: true })),
      );
      expect(shown.filter((x) => x.fill === outcomeColour('succeeded'))).toHaveLength(6);

      // The charts carry the API's figures, one bar per remediation.
      const bars = async (id: string) =>
        page
          .locator(`#${id} g.bar`)
          .evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-label'), g.getAttribute('data-value')]));
      expect(await bars('chart-success')).toEqual(api.remediations.map((r) => [r.remediation, String(r.successRate)]));
      expect(await bars('chart-mttr')).toEqual(
        api.remediations.map((r) => [r.remediation, String(r.timeToResolve.meanMs)]),
      );
      expect(await page.locator('#summary-table tr[data-remediation="flaky"] td').allInnerTexts()).toEqual(
        expect.arrayContaining(['flaky', '4', '3', '3/3 (100%)', '3 (100%)']),
      );
      await expect.poll(() => page.locator('#circuits').innerText()).toContain('flaky');
      expect(await page.locator('#pauses').innerText()).toContain('Nothing is paused');

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'ui-effectiveness.png'), fullPage: true });
      expect(requested.every((u) => new URL(u).hostname === '127.0.0.1')).toBe(true);
      expect(external).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('without credentials it is refused (401) and shows nothing of the episodes', async () => {
    const context = await localContext({});
    try {
      const page = await context.newPage();
      let outcome: string;
      try {
        const res = await page.goto(`${h.url}/ui`);
        outcome = `status ${res?.status()}`;
        expect(await page.content()).not.toContain('flaky');
      } catch (err) {
        outcome = /ERR_INVALID_AUTH_CREDENTIALS/.test((err as Error).message)
          ? 'ERR_INVALID_AUTH_CREDENTIALS'
          : (err as Error).message;
      }
      expect(['status 401', 'ERR_INVALID_AUTH_CREDENTIALS']).toContain(outcome);
    } finally {
      await context.close();
    }
  });

  it("the server answers 401 with a Basic challenge, also to the webhook's token; a bad filter is a 400", async () => {
    for (const headers of [{}, { authorization: `Bearer ${TOKEN}` }] as Record<string, string>[]) {
      const res = await fetch(`${h.url}/ui`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="remediator admin"/);
      expect(await res.text()).not.toContain('flaky');
    }
    const basic = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;
    const bad = await fetch(`${h.url}/ui?since=soon`, { headers: { authorization: basic } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('since');
  });

  it('when ADMIN_USER/ADMIN_PASSWORD are unset, /ui is not there (404)', async () => {
    const plain = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: 'remediations',
      worker: false,
    });
    try {
      expect((await fetch(`${plain.url}/ui`)).status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});
