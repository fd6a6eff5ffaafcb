import { describe, expect, it } from 'vitest';
import { bytesOf, formatBytes, restoreValue, swapFor, wanted } from '../../../src/actions/update-values.js';
import type { ResourceLimits } from '../../../src/docker/port.js';

const MiB = 1024 ** 2;
const limits = (o: Partial<ResourceLimits>) => ({ memory: 0, memorySwap: 0, ...o }) as ResourceLimits;

describe('update values', () => {
  it('reads sizes in Docker binary units', () => {
    expect([bytesOf('256m'), bytesOf('1g'), bytesOf('1.5GiB'), bytesOf('512k'), bytesOf(100), bytesOf('7b')]).toEqual([
      256 * MiB,
      1024 ** 3,
      1.5 * 1024 ** 3,
      512 * 1024,
      100,
      7,
    ]);
    expect([formatBytes(128 * MiB), formatBytes(0), formatBytes(1536 * MiB)]).toEqual([
      '128MiB',
      'unlimited',
      '1.5GiB',
    ]);
  });

  it('applies a factor within bounds, and an absolute value as it is', () => {
    expect(wanted({ factor: 2, min: 10, max: 100 }, 30)).toBe(60);
    expect(wanted({ factor: 10, min: 10, max: 100 }, 30)).toBe(100);
    expect(wanted({ factor: 0.1, min: 10, max: 100 }, 30)).toBe(10);
    expect(wanted({ factor: 0.5, min: 10, max: 100 }, 0)).toBe(100);
    expect(wanted({ factor: 2, min: 10, max: 100 }, 0)).toBeUndefined();
    expect(wanted({ to: 42 }, 7)).toBe(42);
  });

  it('keeps the swap room when memory changes', () => {
    expect(swapFor(200 * MiB, limits({ memory: 100 * MiB, memorySwap: 150 * MiB }))).toBe(250 * MiB);
    expect(swapFor(200 * MiB, limits({ memory: 0, memorySwap: 0 }))).toBe(400 * MiB);
    // Never -1: an unlimited swap is stored by Docker but not applied by the kernel on update.
    expect(swapFor(200 * MiB, limits({ memory: 100 * MiB, memorySwap: -1 }))).toBe(400 * MiB);
  });

  it('restores unset values with what Docker accepts and means the same', () => {
    const engine = { cpus: 2, memoryBytes: 8 * 1024 ** 3 };
    expect(restoreValue('nanoCpus', 0, engine)).toBe(2e9);
    expect(restoreValue('memory', 0, engine)).toBe(8 * 1024 ** 3);
    expect(restoreValue('cpuShares', 0, engine)).toBe(1024);
    expect(restoreValue('cpuPeriod', 0, engine)).toBe(100_000);
    expect(restoreValue('cpuQuota', 0, engine)).toBe(-1);
    expect(restoreValue('pidsLimit', 0, engine)).toBe(-1);
    expect(restoreValue('memorySwap', 0, engine)).toBe(0);
    expect(restoreValue('memory', 64 * MiB, engine)).toBe(64 * MiB);
  });
});
