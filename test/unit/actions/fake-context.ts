import pino from 'pino';
import type { ActionContext, JobMemo, ServiceRef, SwarmServiceRef } from '../../../src/actions/types.js';
import type { ContainerInfo } from '../../../src/docker/port.js';
import type { FakeDocker } from './fake-docker.js';

/**
 * The ActionContext side of the unit fakes: memos kept in Maps, so a test can see what an
 * action wrote, seed what an earlier (crashed) attempt wrote, and rerun with the same memos.
 */

/** JobMemo kept in a Map; `entries` lets a test see or seed what an earlier attempt wrote. */
export class MemoryMemo implements JobMemo {
  readonly entries = new Map<string, string>();
  /** Set by actionContext: a crashed worker cannot write its memo either. */
  isDead: () => boolean = () => false;
  async get(key: string): Promise<string | undefined> {
    if (this.isDead()) throw new Error('memo: the worker is dead');
    return this.entries.get(key);
  }
  async set(key: string, value: string): Promise<void> {
    if (this.isDead()) throw new Error('memo: the worker is dead');
    this.entries.set(key, value);
  }
}

export interface ContextOptions {
  targets?: ContainerInfo[];
  dryRun?: boolean;
  memo?: MemoryMemo;
  service?: ServiceRef;
  swarm?: SwarmServiceRef;
  optInLabel?: string;
  jobId?: string;
  attempt?: number;
  episode?: MemoryMemo;
  hostState?: MemoryMemo;
  verify?: ActionContext['verify'];
  signal?: AbortSignal;
}

/** An ActionContext around a FakeDocker. */
export function actionContext(
  docker: FakeDocker,
  o: ContextOptions = {},
): ActionContext & { memo: MemoryMemo; episode: MemoryMemo; hostState: MemoryMemo } {
  const memos = {
    memo: o.memo ?? new MemoryMemo(),
    episode: o.episode ?? new MemoryMemo(),
    hostState: o.hostState ?? new MemoryMemo(),
  };
  for (const m of Object.values(memos)) m.isDead = () => docker.dead;
  return {
    ...memos,
    docker,
    log: pino({ level: 'silent' }),
    signal: o.signal ?? new AbortController().signal,
    dryRun: o.dryRun ?? false,
    jobId: o.jobId ?? 'job-1',
    attempt: o.attempt ?? 0,
    targets: o.targets ?? [],
    service: o.service,
    optInLabel: o.optInLabel ?? 'remediator.enable',
    host: 'local',
    swarm: o.swarm,
    verify: o.verify,
  };
}
