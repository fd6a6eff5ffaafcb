import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WebhookPayload } from '../../src/alertmanager/schema.js';

/** The project root, so tests do not depend on the working directory. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const REMEDIATIONS_DIR = fileURLToPath(new URL('../../remediations/', import.meta.url));
const FIXTURES = new URL('../fixtures/alertmanager-0.25/', import.meta.url);

export const FIXTURE_NAMES = [
  'firing-queue-depth-high',
  'repeat-queue-depth-high',
  'firing-disk-full',
  'firing-high-latency',
  'resolved-high-latency',
  'grouped-truncated-disk-full',
] as const;
export type FixtureName = (typeof FIXTURE_NAMES)[number];

/** A real Alertmanager 0.25 payload, freshly parsed (safe to mutate). */
export function fixture(name: FixtureName): WebhookPayload {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as WebhookPayload;
}

/** The first alert of a fixture. */
export function alertOf(name: FixtureName): WebhookPayload['alerts'][number] {
  const a = fixture(name).alerts[0];
  if (!a) throw new Error(`${name} has no alert`);
  return a;
}

/** Raw text of a fixture file (e.g. request-headers.txt). */
export function fixtureText(file: string): string {
  return readFileSync(new URL(file, FIXTURES), 'utf8');
}
