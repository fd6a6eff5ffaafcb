import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import { CatalogError, coerceError, type CatalogProblem } from '../errors.js';
import { createCatalog, type Catalog } from './catalog.js';
import { loadRemediations } from './load.js';

/**
 * Hot reload of remediations/: on SIGHUP (wired in main.ts) and on file change (fs.watch,
 * debounced so an editor's write-rename-chmod burst is one reload). A valid new catalog
 * replaces the old one in a single assignment, so a webhook sees either the old or the new
 * one, never a mix; an invalid one is logged with every problem, counted, and the old one
 * stays in force. Jobs already queued carry their RemediationSpec, so they finish under the
 * definition they were created with.
 */

export type ReloadResult =
  | { result: 'applied'; catalog: Catalog; changed: string[] }
  | { result: 'unchanged'; catalog: Catalog }
  | { result: 'rejected'; catalog: Catalog; problems: CatalogProblem[] };

/** The last reload attempt, for GET /api/v1/rules. */
export interface ReloadStatus {
  at: string;
  trigger: string;
  result: ReloadResult['result'];
  problems: CatalogProblem[];
}

export interface CatalogReloaderDeps {
  dir: string;
  initial: Catalog;
  log: Logger;
  /** Called with the new catalog once it is in force (metrics, a variable in the container). */
  onSwap(next: Catalog): void;
  /** Counted on every rejected reload (remediator_catalog_reload_failures_total). */
  onReject(problems: CatalogProblem[]): void;
  /** Checks the process-level requirements a catalog must meet (e.g. PROMETHEUS_URL); throws to reject. */
  validate?: (next: Catalog) => void;
  debounceMs?: number;
}

/** Remediation ids that were added, removed or whose file changed. */
function diff(prev: Catalog, next: Catalog): string[] {
  const before = new Map(prev.remediations.map((r) => [r.id, r.hash]));
  const after = new Map(next.remediations.map((r) => [r.id, r.hash]));
  const ids = new Set([...before.keys(), ...after.keys()]);
  return [...ids].filter((id) => before.get(id) !== after.get(id)).sort();
}

export function createCatalogReloader(deps: CatalogReloaderDeps) {
  let current = deps.initial;
  let status: ReloadStatus | undefined;
  let running: Promise<ReloadResult> | undefined;
  let again: string | undefined;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;

  async function reloadOnce(trigger: string): Promise<ReloadResult> {
    const prev = current;
    let out: ReloadResult;
    try {
      const next = createCatalog(deps.dir, await loadRemediations(deps.dir));
      deps.validate?.(next);
      const changed = diff(prev, next);
      if (changed.length === 0) {
        out = { result: 'unchanged', catalog: prev };
        deps.log.info({ trigger, dir: deps.dir }, 'catalog reload: no change');
      } else {
        current = next;
        deps.onSwap(next);
        out = { result: 'applied', catalog: next, changed };
        deps.log.info(
          { trigger, dir: deps.dir, changed, remediations: next.remediations.map((r) => r.id) },
          'catalog reloaded',
        );
      }
    } catch (err) {
      const problems =
        err instanceof CatalogError ? err.problems : [{ file: deps.dir, path: '', reason: coerceError(err).message }];
      deps.onReject(problems);
      out = { result: 'rejected', catalog: prev, problems };
      deps.log.error(
        { trigger, dir: deps.dir, problems, kept: prev.remediations.map((r) => r.id) },
        'catalog reload rejected: the previous catalog stays in force',
      );
    }
    status = {
      at: new Date().toISOString(),
      trigger,
      result: out.result,
      problems: out.result === 'rejected' ? out.problems : [],
    };
    return out;
  }

  /** One reload at a time; requests during one fold into a single follow-up reload. */
  function reload(trigger: string): Promise<ReloadResult> {
    if (running) {
      again = trigger;
      return running.then(() => running ?? reload(trigger));
    }
    running = reloadOnce(trigger).finally(() => {
      running = undefined;
      if (again !== undefined) {
        const t = again;
        again = undefined;
        void reload(t);
      }
    });
    return running;
  }

  return {
    current: () => current,
    status: () => status,
    reload,
    /** Watch the directory; a burst of events within debounceMs is one reload. */
    watch(): void {
      if (watcher) return;
      try {
        watcher = watch(deps.dir, { persistent: false }, () => {
          clearTimeout(timer);
          timer = setTimeout(() => void reload('file change'), deps.debounceMs ?? 300);
          timer.unref();
        });
        watcher.on('error', (err) =>
          deps.log.warn({ dir: deps.dir, err: err.message }, 'cannot watch remediations; reload with SIGHUP'),
        );
      } catch (err) {
        deps.log.warn(
          { dir: deps.dir, err: coerceError(err).message },
          'cannot watch remediations; reload with SIGHUP',
        );
      }
    },
    close(): void {
      clearTimeout(timer);
      watcher?.close();
      watcher = undefined;
    },
  };
}

export type CatalogReloader = ReturnType<typeof createCatalogReloader>;
