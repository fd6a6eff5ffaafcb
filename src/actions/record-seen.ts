/**
 * What the engine calls for every opted-in container it resolves: the host-level memory that
 * `rollback` (images) and `network reconnect` (networks) read later. One call, two records.
 */
import type { ContainerInfo } from '../docker/port.js';
import { recordImage } from './image-history.js';
import { recordNetworks } from './network-state.js';
import type { JobMemo } from './types.js';

export async function recordSeen(hostState: JobMemo, container: ContainerInfo, now: Date = new Date()): Promise<void> {
  // Independent keys: both reads leave together (one round trip), then the writes, if any.
  await Promise.all([recordImage(hostState, container, now), recordNetworks(hostState, container)]);
}
