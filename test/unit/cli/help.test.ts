// The exit codes are a contract with scripts: the table in README.md, the words of --help and
// the constants every command returns must say the same thing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, EXIT_CODES_TEXT, USAGE, commandHelp, usageLine, wantsHelp } from '../../../src/cli/help.js';
import { EXIT } from '../../../src/cli/term.js';
import { ROOT } from '../fixtures.js';

describe('exit codes', () => {
  it("README.md's table lists exactly the codes the CLI returns, and --help says each one", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `(\d+)` \| (.+) \|$/gm)].map((m) => Number(m[1]));
    expect(rows.sort((a, b) => a - b)).toEqual(Object.values(EXIT).sort((a, b) => a - b));
    expect(EXIT).toEqual({ ok: 0, problems: 1, usage: 2, unavailable: 69, config: 78 });
    for (const words of ['0 ok', '1 problems found', '2 usage', '69 unavailable', '78 configuration'])
      expect(EXIT_CODES_TEXT).toContain(words);
  });
});

describe('help', () => {
  it('every command has a usage that starts with its own name, and help adds the exit codes', () => {
    for (const c of COMMANDS) {
      expect(USAGE[c]).toMatch(new RegExp(`^usage: remediator ${c}\\b`));
      expect(usageLine(c)).not.toContain('\n\n');
      expect(commandHelp(c)).toContain(EXIT_CODES_TEXT);
    }
  });

  it('--help and -h ask for help before a --, not after it', () => {
    expect(wantsHelp(['--dir', 'x', '--help'])).toBe(true);
    expect(wantsHelp(['-h'])).toBe(true);
    expect(wantsHelp(['--', '--help'])).toBe(false);
    expect(wantsHelp(['file.json'])).toBe(false);
  });
});
