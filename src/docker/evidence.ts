/**
 * Reading Docker's raw evidence answers (log frames, stats samples) into bounded, plain values
 * for `collect`. Pure: the engine's byte formats are unit-tested here, not through a daemon.
 */
import type { LogsResult, StatsSnapshot } from './port.js';

/**
 * The text of a non-follow `GET /containers/{id}/logs` body. Without a TTY Docker frames each
 * chunk: 1 byte stream, 3 zero bytes, a big-endian 32-bit length, then the payload.
 */
export function demuxLogs(body: Buffer, tty: boolean): string {
  if (tty) return body.toString('utf8');
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= body.length) {
    const size = body.readUInt32BE(at + 4);
    parts.push(body.subarray(at + 8, Math.min(body.length, at + 8 + size)));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** The last `maxLines` lines, at most `maxBytes` bytes of them (cut at a line start when it can). */
export function tailText(text: string, maxLines: number, maxBytes: number): LogsResult {
  let lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let truncated = false;
  if (lines.length > maxLines) {
    lines = lines.slice(-maxLines);
    truncated = true;
  }
  let out = lines.join('\n');
  const bytes = Buffer.from(out, 'utf8');
  if (bytes.length > maxBytes) {
    truncated = true;
    // Cut on a byte boundary, then drop a partial first line (and a broken UTF-8 sequence).
    const tail = bytes.subarray(bytes.length - maxBytes).toString('utf8');
    const nl = tail.indexOf('\n');
    out = nl >= 0 && nl < tail.length - 1 ? tail.slice(nl + 1) : tail.replace(/^\uFFFD+/, '');
  }
  return { text: out, lines: out === '' ? 0 : out.split('\n').length, truncated };
}

interface RawCpu {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data?: { periods?: number; throttled_periods?: number };
}

/** The fields of a stats sample we read (cgroup v1 and v2 name the page cache differently). */
export interface RawStats {
  cpu_stats?: RawCpu;
  precpu_stats?: RawCpu;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  pids_stats?: { current?: number };
}

/** CPU % and memory the way `docker stats` computes them. */
export function statsOf(raw: RawStats): StatsSnapshot {
  const cpu = raw.cpu_stats ?? {};
  const pre = raw.precpu_stats ?? {};
  const cpuDelta = (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const sysDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  const online = cpu.online_cpus || cpu.cpu_usage?.percpu_usage?.length || 1;
  const cpuPercent = cpuDelta > 0 && sysDelta > 0 ? (cpuDelta / sysDelta) * online * 100 : 0;
  const mem = raw.memory_stats ?? {};
  const s = mem.stats ?? {};
  const cache = s.total_inactive_file ?? s.inactive_file ?? 0;
  const usage = mem.usage ?? 0;
  return {
    cpuPercent: Math.round(cpuPercent * 100) / 100,
    onlineCpus: online,
    memoryBytes: Math.max(0, usage - (cache < usage ? cache : 0)),
    memoryLimitBytes: mem.limit ?? 0,
    pids: raw.pids_stats?.current ?? 0,
    throttledPeriods: cpu.throttling_data?.throttled_periods ?? 0,
    periods: cpu.throttling_data?.periods ?? 0,
  };
}
