import type { Alert } from '../alertmanager/schema.js';
import { matcherMatches } from './matchers.js';
import type { Remediation } from './remediation.js';

/** The loaded remediations, immutable; a reload builds a new one and swaps it in whole. */
export interface Catalog {
  readonly dir: string;
  readonly loadedAt: Date;
  readonly remediations: readonly Remediation[];
  /** Remediations whose matchers all match the alert's labels, in file order. */
  match(alert: Pick<Alert, 'labels'>): Remediation[];
  get(id: string): Remediation | undefined;
}

export function createCatalog(dir: string, remediations: Remediation[]): Catalog {
  const byId = new Map(remediations.map((r) => [r.id, r]));
  return Object.freeze({
    dir,
    loadedAt: new Date(),
    remediations: Object.freeze([...remediations]),
    match: (alert: Pick<Alert, 'labels'>) =>
      remediations.filter((r) => r.matchers.every((m) => matcherMatches(m, alert.labels))),
    get: (id: string) => byId.get(id),
  });
}
