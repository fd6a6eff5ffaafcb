import { describe, expect, it } from 'vitest';
import { parseRemediation } from '../../../src/catalog/load.js';
import type { Remediation } from '../../../src/catalog/remediation.js';
import { canTrigger, crossCheck, type AlertRule } from '../../../src/cli/rules.js';

function rem(id: string, match: string): Remediation {
  const { remediation, problems } = parseRemediation(
    `remediations/${id}.yaml`,
    `match: ${match}\naction:\n  type: prune\n`,
  );
  if (!remediation) throw new Error(JSON.stringify(problems));
  return remediation;
}

const rule = (alert: string, labels: Record<string, string> = {}, path = '/groups/0/rules/0'): AlertRule => ({
  file: 'alert-rules/x.yml',
  path,
  alert,
  labels,
});

describe('canTrigger', () => {
  it('compares alertname and the labels the rule sets; other labels might come from the expression', () => {
    const r = rem('hl', '\'{alertname="HighLatency", container=~".+", severity="critical"}\'');
    expect(canTrigger(r, rule('HighLatency', { severity: 'critical' }))).toBe(true);
    expect(canTrigger(r, rule('HighLatency'))).toBe(true);
    expect(canTrigger(r, rule('HighLatency', { severity: 'warning' }))).toBe(false);
    expect(canTrigger(r, rule('QueueDepthHigh', { severity: 'critical' }))).toBe(false);
  });

  it('a remediation without an alertname matcher can be triggered by any rule it does not contradict', () => {
    expect(canTrigger(rem('any', 'severity="page"'), rule('Anything'))).toBe(true);
    expect(canTrigger(rem('any', 'severity="page"'), rule('Anything', { severity: 'info' }))).toBe(false);
  });

  it('regex and negative matchers on alertname work as in Alertmanager', () => {
    expect(canTrigger(rem('re', 'alertname=~"disk_.*"'), rule('disk_full'))).toBe(true);
    expect(canTrigger(rem('ne', 'alertname!="disk_full"'), rule('disk_full'))).toBe(false);
  });
});

describe('crossCheck', () => {
  it('warns about a remediation nothing triggers and a rule nothing handles, naming file and path', () => {
    const warnings = crossCheck(
      [rem('disk', 'alertname="disk_full"'), rem('orphan', 'alertname="NoSuchAlert"')],
      [rule('disk_full'), rule('HighLatency', {}, '/groups/0/rules/1')],
      'alert-rules',
    );
    expect(warnings).toEqual([
      {
        file: 'remediations/orphan.yaml',
        path: '/match',
        reason: 'no alert rule in alert-rules can trigger it (alertname="NoSuchAlert")',
      },
      {
        file: 'alert-rules/x.yml',
        path: '/groups/0/rules/1',
        reason: 'alert HighLatency has no remediation: nothing matches it',
      },
    ]);
  });

  it('does not warn about the rules that watch remediator itself (component=remediator)', () => {
    expect(
      crossCheck(
        [rem('disk', 'alertname="disk_full"')],
        [rule('disk_full'), rule('RemediatorDown', { component: 'remediator' })],
        'r',
      ),
    ).toEqual([]);
  });
});
