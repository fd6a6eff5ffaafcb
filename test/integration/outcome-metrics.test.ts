// The outcome metrics come from one subscriber of the job lifecycle, the same events history is
// written from: after jobs that end every common way (succeeded, escalated, refused, failed,
// cancelled, and a duplicate that adds nothing), remediator_remediations_total on /metrics
// counts exactly what the history records say. Real pipeline, real Redis and dockerd.
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createTestContainer, removeContainers, uniquePrefix } from '../support/docker.js';
import { until } from '../support/fake-slack.js';
import { fixture, remediationsDir, startHarness, type Harness } from '../support/harness.js';

const docker = new Docker({ socketPath: new URL(inject('dockerHost')).pathname });
const p = uniquePrefix('metrics');
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    redisUrl: inject('redisUrl'),
    dockerHost: inject('dockerHost'),
    remediationsDir: await remediationsDir({
      'restart-slow.yaml':
        'match: [alertname="HighLatency", container=~".+"]\ntarget: { container: "{{ labels.container }}" }\naction: { type: restart, stopTimeoutSeconds: 2 }\nretry: { attempts: 1 }\n',
      'flush-cache.yaml':
        'match: [alertname="CacheStuck"]\ntarget: { container: "{{ labels.container }}" }\naction: { type: exec, command: ["sh", "-c", "exit 3"] }\nretry: { attempts: 1 }\n',
      'later.yaml':
        'match: [alertname="LaterAlert"]\ntarget: { container: "{{ labels.container }}" }\naction: { type: restart }\ndelay: 5m\n',
    }),
  });
});
afterAll(async () => {
  await h?.stop();
  await removeContainers(docker, p);
});

async function alert(
  alertname: string,
  container: string,
  fingerprint: string,
  status: 'firing' | 'resolved' = 'firing',
) {
  const body = await fixture(status === 'firing' ? 'firing-high-latency.json' : 'resolved-high-latency.json');
  body.alerts[0].labels = { ...body.alerts[0].labels, alertname, container };
  body.alerts[0].fingerprint = fingerprint;
  const res = await h.post(body);
  expect(res.status).toBe(202);
  return { body, jobId: res.body.jobs[0]?.jobId as string | undefined };
}

/** remediator_remediations_total from /metrics, summed per remediation and outcome. */
async function counted(): Promise<Record<string, number>> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^remediator_remediations_total\{([^}]*)\} (\d+)$/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    const key = `${labels.remediation}/${labels.outcome}`;
    out[key] = (out[key] ?? 0) + Number(m[2]);
  }
  return out;
}

/** History records that ended, counted per remediation and outcome. */
async function recorded(): Promise<Record<string, number>> {
  const { records } = await h.runtime.history.query({ limit: 500 });
  const out: Record<string, number> = {};
  for (const r of records.filter((x) => x.outcome !== 'queued')) {
    const key = `${r.remediation}/${r.outcome}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

describe('outcome metrics and history', () => {
  it('after several jobs, remediator_remediations_total counts exactly the history records, outcome by outcome', async () => {
    for (const n of ['a', 'b', 'cache'])
      await createTestContainer(docker, { name: `${p}${n}`, labels: { 'remediator.enable': 'true' } });
    await createTestContainer(docker, { name: `${p}optout`, labels: {} });
    const jobs = [
      await alert('HighLatency', `${p}a`, 'metrics000000001'),
      await alert('HighLatency', `${p}b`, 'metrics000000002'),
      await alert('CacheStuck', `${p}cache`, 'metrics000000003'),
      await alert('HighLatency', `${p}optout`, 'metrics000000004'),
      await alert('HighLatency', `${p}missing`, 'metrics000000005'),
    ];
    for (const j of jobs) await h.waitForJob(j.jobId!);
    const later = await alert('LaterAlert', `${p}a`, 'metrics000000006');
    await alert('LaterAlert', `${p}a`, 'metrics000000006', 'resolved');
    // A re-send of an episode already handled adds no outcome.
    expect((await h.post(jobs[0]!.body)).body.jobs[0].status).toBe('duplicate');
    await until(
      'the cancellation in history',
      async () => (await h.runtime.history.get(later.jobId!))?.outcome === 'cancelled',
    );

    const expected = {
      'restart-slow/succeeded': 2,
      'flush-cache/escalated': 1,
      'restart-slow/refused': 1,
      'restart-slow/failed': 1,
      'later/cancelled': 1,
    };
    expect(await recorded()).toEqual(expected);
    expect(await counted()).toEqual(expected);
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(text).toMatch(/^remediator_escalations_total\{remediation="flush-cache",reason="retries_exhausted"\} 1$/m);
  });
});
