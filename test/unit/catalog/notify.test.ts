import { describe, expect, it } from 'vitest';
import { parseRemediation } from '../../../src/catalog/load.js';

const FILE = 'remediations/example.yaml';
const HEAD = 'match: alertname="x"\ntarget: { container: api }\naction: { type: restart }\n';
const parse = (notify: string) => parseRemediation(FILE, `${HEAD}notify:\n${notify}`);

describe('the notify section: which sinks, which transitions, whom to mention', () => {
  it('normalizes per-sink policies and escalateOn; a file without them normalizes as before', () => {
    const { remediation, problems } = parse(
      [
        '  channel: "#oncall"',
        '  mention: "@oncall"',
        '  escalateOn: [failed, refused]',
        '  sinks:',
        '    slack: true',
        '    webhook: false',
        '    pagerduty: { on: [escalation, alert.resolved] }',
        '    teams: { on: all, mention: "oncall@example.com" }',
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(remediation!.notify).toEqual({
      channel: '#oncall',
      mention: '@oncall',
      escalateOn: ['failed', 'refused'],
      sinks: {
        slack: { enabled: true },
        webhook: { enabled: false },
        pagerduty: { enabled: true, on: ['escalation', 'alert.resolved'] },
        teams: { enabled: true, on: 'all', mention: 'oncall@example.com' },
      },
    });
    expect(parseRemediation(FILE, HEAD).remediation!.notify).toEqual({ channel: undefined, mention: undefined });
  });

  it('an unknown sink, an unknown transition or outcome, or a bad value is named with its path and line', () => {
    const problems = parse(
      [
        '  escalateOn: [succeeded]',
        '  sinks:',
        '    pagerdutyy: true',
        '    teams: { on: [job.finished, job.exploded] }',
        '    mattermost: "yes"',
        '    webhook: { on: [], mention: "x" }',
        '    slack: { mentoin: "@here" }',
      ].join('\n'),
    ).problems;
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.reason]));
    expect(byPath['/notify/escalateOn/0']).toMatch(/expected one of failed, refused, .* \(line 5\)$/);
    expect(byPath['/notify/sinks/pagerdutyy']).toMatch(
      /^unknown sink "pagerdutyy": expected one of slack, webhook, pagerduty, teams, mattermost, preview \(line 7\)$/,
    );
    expect(byPath['/notify/sinks/teams/on/1']).toMatch(
      /^unknown transition "job.exploded": expected one of job.queued, .*escalation \(line 8\)$/,
    );
    expect(byPath['/notify/sinks/mattermost']).toMatch(/^expected true, false, or \{ on, mention \} \(line 9\)$/);
    expect(byPath['/notify/sinks/webhook/on']).toMatch(/^expected "all" or a list of/);
    expect(byPath['/notify/sinks/slack/mentoin']).toMatch(/unknown key "mentoin" \(line 11\)$/);
    expect(problems.every((p) => p.file === FILE)).toBe(true);
  });
});
