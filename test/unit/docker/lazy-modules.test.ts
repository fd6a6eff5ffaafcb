import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAZY_FILES } from '../../../src/docker/lazy-modules.js';

const require = createRequire(import.meta.url);

describe('the dockerode files loaded only when used', () => {
  it.each(LAZY_FILES.map((f) => [`${f.pkg}/${f.file}`, f]))('%s still exports one function', (_, f) => {
    const file = path.join(path.dirname(require.resolve(`${f.pkg}/package.json`)), f.file);
    expect(typeof require(file)).toBe('function');
  });
});
