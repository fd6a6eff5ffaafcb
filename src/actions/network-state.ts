/**
 * The user networks each container was seen on, with its aliases, kept per Docker host
 * (ctx.hostState): what `network reconnect` puts back when a container has lost its networks.
 * The engine calls {@link recordNetworks} for every opted-in container it resolves; the
 * network action records too, before it disconnects anything.
 */
import type { ContainerInfo, NetworkAttachment } from '../docker/port.js';
import { readJson, writeJson } from './support.js';
import type { JobMemo } from './types.js';

export const networksKey = (container: string) => `networks:${encodeURIComponent(container)}`;

/** What is kept of an attachment: endpoint ids change on every connect and are not kept. */
export type RecordedNetwork = Omit<NetworkAttachment, 'endpointId'>;

const strip = (n: NetworkAttachment): RecordedNetwork => ({
  name: n.name,
  networkId: n.networkId,
  aliases: n.aliases,
  ...(n.ipv4Address ? { ipv4Address: n.ipv4Address } : {}),
});

export async function recordedNetworks(hostState: JobMemo, container: string): Promise<RecordedNetwork[]> {
  return (await readJson<RecordedNetwork[]>(hostState, networksKey(container))) ?? [];
}

/**
 * Note the networks a container is on, when it is on any and they differ from the record.
 * A container seen on none keeps its record: that is the state reconnect repairs.
 */
export async function recordNetworks(
  hostState: JobMemo,
  container: Pick<ContainerInfo, 'name' | 'networks'>,
): Promise<boolean> {
  if (container.networks.length === 0) return false;
  const now = container.networks.map(strip);
  const before = await recordedNetworks(hostState, container.name);
  if (JSON.stringify(before) === JSON.stringify(now)) return false;
  await writeJson(hostState, networksKey(container.name), now);
  return true;
}
