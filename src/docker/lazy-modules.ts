/**
 * dockerode loads, at its own start, what only some engines need: docker-modem's SSH transport
 * (ssh2 and its crypto, ~14 MB resident) and dockerode's BuildKit session (gRPC and protobuf,
 * ~17 MB), though a unix socket or TCP engine never uses them and remediator never builds.
 * Imported before dockerode is (main.ts, first), this puts a stand-in for each of those two
 * files in the CommonJS module cache: a function that loads the real file on its first call
 * and hands over to it. An `ssh://` DOCKER_HOST loads ssh2 when it first connects; nothing else
 * changes. Both files export one function (docker-modem: `ssh(opt)`, dockerode:
 * `withSession(docker, auth, handler)`), which is what makes this safe; a unit test
 * (test/unit/docker/lazy-modules.test.ts) fails if an upgrade changes that.
 */
import Module, { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** Files of dependencies that only SSH engines / image builds use. */
export const LAZY_FILES: readonly { pkg: string; file: string }[] = [
  { pkg: 'docker-modem', file: 'lib/ssh.js' },
  { pkg: 'dockerode', file: 'lib/session.js' },
];

function fileOf(pkg: string, file: string): string | undefined {
  try {
    return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
  } catch {
    return undefined;
  }
}

/** Install the stand-ins; returns the files it stood in for (not already loaded). */
export function deferOptionalDockerModules(): string[] {
  const done: string[] = [];
  for (const { pkg, file } of LAZY_FILES) {
    const filename = fileOf(pkg, file);
    if (filename === undefined || require.cache[filename]) continue;
    let real: ((...args: unknown[]) => unknown) | undefined;
    const standIn = function (this: unknown, ...args: unknown[]): unknown {
      if (!real) {
        // The real file takes the stand-in's place in the cache, and from now on every call.
        delete require.cache[filename];
        const loaded: unknown = require(filename);
        if (typeof loaded !== 'function') throw new Error(`${pkg}/${file} no longer exports a function`);
        real = loaded as (...args: unknown[]) => unknown;
      }
      return real.apply(this, args);
    };
    const mod = new Module(filename);
    mod.filename = filename;
    mod.loaded = true;
    mod.exports = standIn;
    require.cache[filename] = mod;
    done.push(filename);
  }
  return done;
}

deferOptionalDockerModules();
