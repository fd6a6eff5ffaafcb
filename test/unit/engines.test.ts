// package.json promises a Node version (engines); every package the lock file installs must
// run on the oldest one it promises, or `npm ci` warns EBADENGINE and the package may break.
// Offline: reads package.json and package-lock.json only. (scripts/test.sh also runs
// `npm ci --dry-run --engine-strict` against the Node installed here.)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './fixtures.js';

// semver is what npm itself judges engines with; fastify and bullmq depend on it.
const semver = createRequire(import.meta.url)('semver') as {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
};

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[]; dev?: boolean }>;
};

describe('Node engine', () => {
  const floor = semver.minVersion(pkg.engines.node)?.version;

  it('package.json declares a Node floor the Dockerfile image meets', () => {
    expect(floor).toBeDefined();
    const from = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').match(/^FROM node:(\d+)/m)?.[1];
    expect(from, 'FROM node:<major> in Dockerfile').toBeDefined();
    expect(semver.satisfies(`${from}.99.0`, pkg.engines.node)).toBe(true);
  });

  it('every locked package runs on the oldest Node that package.json allows', () => {
    const mismatches = Object.entries(lock.packages)
      .filter(([name]) => name !== '')
      .flatMap(([name, p]) => {
        // Old packages wrote engines as an array of strings; npm ignores those.
        const range = Array.isArray(p.engines) ? undefined : p.engines?.node;
        return range !== undefined && !semver.satisfies(floor!, range)
          ? [`${name.replace(/^.*node_modules\//, '')}@${p.version} wants node ${range}`]
          : [];
      });
    expect(mismatches).toEqual([]);
  });
});
