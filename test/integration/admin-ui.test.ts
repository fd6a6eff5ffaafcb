// The queue UI under /admin in a real headless browser (Debian chromium driven by
// playwright-core): with the admin credentials it shows the queues and the reason of a job that
// failed through the real pipeline; without them, or with the webhook's, it is refused. The
// page may reach nothing but remediator itself: a request to any other host fails the test.
import Docker from 'dockerode';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { TOKEN, fixture, startHarness, type Harness } from '../support/harness.js';

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
const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('admin');
let h: Harness;
let browser: Browser;
let failedReason: string;
/** Requests the browser tried to send anywhere but 127.0.0.1 (aborted, and a failure). */
const external: string[] = [];

/** A browser context that lets requests reach 127.0.0.1 only, and records any other. */
async function localContext(options: Parameters<Browser['newContext']>[0]) {
  const context = await browser.newContext(options);
  await context.route('**/*', (route) => {
    const url = route.request().url();
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
      remediationsDir: 'remediations',
      env: { ADMIN_USER: ADMIN.username, ADMIN_PASSWORD: ADMIN.password },
    }),
    // Playwright gives every launch a fresh temporary profile (its own --user-data-dir).
    chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS }),
  ]);
  // A job that fails for real: the alert names a container that does not exist.
  const body = await fixture('firing-high-latency.json');
  body.alerts[0].labels.container = `${p}gone`;
  const res = await h.post(body);
  const job = await h.waitForJob(res.body.jobs[0].jobId);
  expect(await job.getState()).toBe('failed');
  failedReason = job.failedReason;
  expect(failedReason).toBe(`step restart (1/2): container ${p}gone not found on Docker host local`);
});

afterAll(async () => {
  // Checked here as well, for requests a refusal test's page made.
  expect(external, 'requests to hosts other than 127.0.0.1').toEqual([]);
  await browser?.close();
  await h?.stop();
  await removeContainers(docker, p);
});

describe('queue UI in a browser', () => {
  it("with the admin credentials: loads, shows the queue and a failed job's reason, asking no other host", async () => {
    const context = await localContext({ httpCredentials: ADMIN });
    try {
      const page = await context.newPage();
      const res = await page.goto(`${h.url}/admin`);
      expect(res?.status()).toBe(200);
      await page.getByText('remediations', { exact: true }).first().waitFor({ timeout: 20_000 });
      await page.goto(`${h.url}/admin/queue/remediations?status=failed`);
      await page.getByText(failedReason).first().waitFor({ timeout: 20_000 });
      expect(await page.title()).toMatch(/remediator/);
      // bull-board's page links Google Fonts; remediator strips that, so nothing leaves the machine.
      expect(external).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a completed job that did not fix anything (cooldown) says so on the completed list, not just green', async () => {
    // Two episodes of one container within the shipped 10-minute cooldown: the second completes
    // as `cooldown` (BullMQ calls it completed); its outcome is the job's progress and log.
    const name = `${p}cool`;
    await createTestContainer(docker, { name, labels: { 'remediator.enable': 'true' } });
    const first = await fixture('firing-high-latency.json');
    first.alerts[0].labels.container = name;
    first.alerts[0].fingerprint = 'ad0000000000c001';
    await h.waitForJob((await h.post(first)).body.jobs[0].jobId);
    const second = structuredClone(first);
    second.alerts[0].startsAt = new Date(Date.parse(first.alerts[0].startsAt) + 60_000).toISOString();
    const job = await h.waitForJob((await h.post(second)).body.jobs[0].jobId);
    expect(job.returnvalue.outcome).toBe('cooldown');
    expect(job.progress).toMatchObject({ outcome: 'cooldown' });
    const { logs } = await h.runtime.queue.getJobLogs(job.id!);
    expect(logs.at(-1)).toMatch(/^cooldown: not acting: high-latency ran on container t/);

    const context = await localContext({ httpCredentials: ADMIN });
    try {
      const page = await context.newPage();
      await page.goto(`${h.url}/admin/queue/remediations?status=completed`);
      // The card's title says what happened, not only that BullMQ completed it.
      await page
        .getByText(/^high-latency · cooldown: not acting: high-latency ran on container t/)
        .first()
        .waitFor({ timeout: 20_000 });
      await page
        .getByText(/^high-latency · succeeded: restarted /)
        .first()
        .waitFor({ timeout: 5_000 });
      await page.screenshot({ path: '.tmp/admin-ui-cooldown.png', fullPage: true });
    } finally {
      await context.close();
    }
  });

  /**
   * Open /admin and report how it was refused. Chromium either shows the 401 page or, when it
   * decides the credentials it has are no good, fails the navigation; both are a refusal. Either
   * way no queue data may have reached the page.
   */
  async function refusal(options: Parameters<Browser['newContext']>[0]): Promise<string> {
    const context = await localContext(options);
    try {
      const page = await context.newPage();
      const served: string[] = [];
      page.on('response', (r) => {
        if (r.url().includes('/admin/api/') && r.status() === 200) served.push(r.url());
      });
      let outcome: string;
      try {
        const res = await page.goto(`${h.url}/admin`);
        outcome = `status ${res?.status()}`;
        expect(await page.content()).not.toContain(failedReason);
      } catch (err) {
        outcome = /ERR_INVALID_AUTH_CREDENTIALS/.test((err as Error).message)
          ? 'ERR_INVALID_AUTH_CREDENTIALS'
          : (err as Error).message;
      }
      expect(served).toEqual([]);
      return outcome;
    } finally {
      await context.close();
    }
  }

  it('without credentials it is refused (401), and no queue data reaches the page', async () => {
    expect(['status 401', 'ERR_INVALID_AUTH_CREDENTIALS']).toContain(await refusal({}));
  });

  it('with a wrong password it is refused too', async () => {
    expect(['status 401', 'ERR_INVALID_AUTH_CREDENTIALS']).toContain(
      await refusal({ httpCredentials: { username: ADMIN.username, password: 'wrong-password-000' } }),
    );
  });

  it('the server itself answers 401 with a Basic challenge to a request without credentials', async () => {
    const res = await fetch(`${h.url}/admin`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="remediator admin"/);
    expect(await res.text()).not.toContain('remediations');
  });
});

describe('queue UI credentials', () => {
  it("are separate from the webhook's: the webhook token does not open /admin, nor its API", async () => {
    for (const path of ['/admin', '/admin/api/queues']) {
      const res = await fetch(`${h.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="remediator admin"/);
    }
    const basic = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;
    expect((await fetch(`${h.url}/admin/api/queues`, { headers: { authorization: basic } })).status).toBe(200);
    expect((await fetch(`${h.url}/api/v1/rules`, { headers: { authorization: basic } })).status).toBe(401);
  });

  it('when ADMIN_USER/ADMIN_PASSWORD are unset, /admin is not there (404) and the start log says so', async () => {
    const plain = await startHarness({
      redisUrl: inject('redisUrl'),
      dockerHost: inject('dockerHost'),
      remediationsDir: 'remediations',
      worker: false,
    });
    try {
      expect((await fetch(`${plain.url}/admin`)).status).toBe(404);
      expect(plain.logs.some((l) => String(l.msg).startsWith('queue UI off'))).toBe(true);
    } finally {
      await plain.stop();
    }
  });
});
