/**
 * The images each container ran, newest first, kept per Docker host (ctx.hostState), so that
 * `rollback` knows "the image before the last change" without a registry. The engine calls
 * {@link recordImage} for every opted-in container it resolves; only a change of image id
 * writes. Keyed by container name: a recreated container (new id) keeps its history.
 */
import type { ContainerInfo } from '../docker/port.js';
import { readJson, writeJson } from './support.js';
import type { JobMemo } from './types.js';

/** One image a container was seen running. */
export interface ImageEntry {
  /** As the container named it (`app:1.4`), or the id. */
  image: string;
  /** `sha256:…`: exact even when the tag has moved since. */
  imageId: string;
  /** When remediator first saw the container on it (ISO 8601). */
  seenAt: string;
  /** A rollback left this image: never offered as a rollback target again. */
  rolledBackFrom?: boolean;
}

/** Entries kept per container; older ones fall off. */
export const IMAGE_HISTORY_LIMIT = 10;

/** The label by which a container names its rollback image itself. */
export const ROLLBACK_IMAGE_LABEL = 'remediator.rollback.image';

export const imagesKey = (container: string) => `images:${encodeURIComponent(container)}`;

export async function imageHistory(hostState: JobMemo, container: string): Promise<ImageEntry[]> {
  return (await readJson<ImageEntry[]>(hostState, imagesKey(container))) ?? [];
}

/**
 * Note the image a container runs, if it is not already the newest entry. Returns whether it
 * wrote. Two workers recording the same change at once write the same entry: harmless.
 */
export async function recordImage(
  hostState: JobMemo,
  container: Pick<ContainerInfo, 'name' | 'image' | 'imageId'>,
  now: Date = new Date(),
): Promise<boolean> {
  const history = await imageHistory(hostState, container.name);
  if (history[0]?.imageId === container.imageId) return false;
  const entry: ImageEntry = { image: container.image, imageId: container.imageId, seenAt: now.toISOString() };
  await writeJson(hostState, imagesKey(container.name), [entry, ...history].slice(0, IMAGE_HISTORY_LIMIT));
  return true;
}

/** Mark an image as one a rollback left, so a second rollback does not go "back" to it. */
export async function markRolledBack(hostState: JobMemo, container: string, imageId: string): Promise<void> {
  const history = await imageHistory(hostState, container);
  const marked = history.map((e) => (e.imageId === imageId ? { ...e, rolledBackFrom: true } : e));
  await writeJson(hostState, imagesKey(container), marked);
}

/** The newest image that is not the one running and that no rollback left. */
export function previousImage(history: ImageEntry[], currentImageId: string): ImageEntry | undefined {
  const bad = new Set(history.filter((e) => e.rolledBackFrom).map((e) => e.imageId));
  return history.find((e) => e.imageId !== currentImageId && !bad.has(e.imageId));
}
