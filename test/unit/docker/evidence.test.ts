import { describe, expect, it } from 'vitest';
import { serviceInfo, specFor } from '../../../src/docker/dockerode-swarm.js';
import { demuxLogs, statsOf, tailText } from '../../../src/docker/evidence.js';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

describe('logs', () => {
  it('demuxes stdout and stderr frames in order, and leaves a TTY stream as it is', () => {
    const body = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]);
    expect(demuxLogs(body, false)).toBe('out 1\nerr 1\nout 2\n');
    expect(demuxLogs(Buffer.from('raw\n'), true)).toBe('raw\n');
  });

  it('keeps the last lines within the byte bound, starting at a line', () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n') + '\n';
    expect(tailText(text, 3, 10_000)).toEqual({ text: 'line 97\nline 98\nline 99', lines: 3, truncated: true });
    const cut = tailText(text, 100, 20);
    expect(cut.text).toBe('line 98\nline 99');
    expect(cut.truncated).toBe(true);
    expect(tailText('a\nb\n', 10, 100)).toEqual({ text: 'a\nb', lines: 2, truncated: false });
  });
});

describe('stats', () => {
  it('computes CPU % and memory as docker stats does', () => {
    const s = statsOf({
      cpu_stats: {
        cpu_usage: { total_usage: 3_000_000_000 },
        system_cpu_usage: 20_000_000_000,
        online_cpus: 2,
        throttling_data: { periods: 10, throttled_periods: 4 },
      },
      precpu_stats: { cpu_usage: { total_usage: 2_000_000_000 }, system_cpu_usage: 18_000_000_000 },
      memory_stats: { usage: 10_000_000, limit: 64_000_000, stats: { total_inactive_file: 2_000_000 } },
      pids_stats: { current: 3 },
    });
    expect(s).toEqual({
      cpuPercent: 100,
      onlineCpus: 2,
      memoryBytes: 8_000_000,
      memoryLimitBytes: 64_000_000,
      pids: 3,
      throttledPeriods: 4,
      periods: 10,
    });
    expect(statsOf({}).cpuPercent).toBe(0);
  });
});

describe('Swarm service specs', () => {
  const raw = {
    ID: 's1',
    Version: { Index: 23 },
    Spec: {
      Name: 'web',
      Mode: { Replicated: { Replicas: 2 } },
      TaskTemplate: { ContainerSpec: { Image: 'app:2' }, ForceUpdate: 1 },
    },
    PreviousSpec: { Name: 'web', TaskTemplate: { ContainerSpec: { Image: 'app:1' } } },
    UpdateStatus: { State: 'completed' },
  };
  it('reads replicas, image, previous image and version', () => {
    expect(serviceInfo(raw)).toEqual({
      id: 's1',
      name: 'web',
      version: 23,
      labels: {},
      image: 'app:2',
      replicas: 2,
      forceUpdate: 1,
      previousImage: 'app:1',
      updateState: 'completed',
    });
    expect(serviceInfo({ ID: 'g', Spec: { Name: 'g', Mode: { Global: {} } } }).replicas).toBeUndefined();
  });
  it('changes only the field asked, on a copy', () => {
    expect(specFor(raw.Spec, { replicas: 5 }).Mode).toEqual({ Replicated: { Replicas: 5 } });
    expect(specFor(raw.Spec, { forceUpdate: 2 }).TaskTemplate).toEqual({
      ContainerSpec: { Image: 'app:2' },
      ForceUpdate: 2,
    });
    expect(specFor(raw.Spec, { rollback: 'previous' })).toEqual(raw.Spec);
    expect(raw.Spec.Mode.Replicated.Replicas).toBe(2);
  });
});
