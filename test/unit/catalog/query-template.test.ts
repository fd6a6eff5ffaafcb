import { describe, expect, it } from 'vitest';
import { checkQueryTemplate, promqlEscape, renderQuery } from '../../../src/catalog/query-template.js';

// PromQL templates: an alert picks which series a query looks at, never the query's shape.

describe('checkQueryTemplate', () => {
  it('accepts placeholders inside double-quoted strings and returns them', () => {
    expect(checkQueryTemplate('up{container="{{ labels.container }}", job="{{annotations.job}}"} == 0')).toEqual([
      'labels.container',
      'annotations.job',
    ]);
  });

  it.each([
    ['outside a string', 'up{job={{ labels.job }}}'],
    ['after a closed string', 'up{job="x"} > {{ labels.n }}'],
    ['an expression placeholder', 'up{job="{{ .Labels.job }}"}'],
    ['an unbalanced opening', 'up{job="{{ labels.job"}'],
  ])('refuses %s', (_what, query) => {
    expect(() => checkQueryTemplate(query)).toThrow();
  });

  it('an escaped quote does not end the string', () => {
    expect(checkQueryTemplate('up{job="a\\"b {{ labels.job }}"}')).toEqual(['labels.job']);
  });
});

describe('renderQuery', () => {
  const source = { labels: { container: 'api', mountpoint: '/var/lib/docker', evil: 'x"} or vector(1) or up{a="' } };

  it('puts label values in, paths and all', () => {
    expect(renderQuery('node_filesystem_avail_bytes{mountpoint="{{ labels.mountpoint }}"}', source)).toBe(
      'node_filesystem_avail_bytes{mountpoint="/var/lib/docker"}',
    );
  });

  it('a hostile value stays inside its string: quotes and backslashes are escaped', () => {
    const q = renderQuery('up{job="{{ labels.evil }}"}', source);
    expect(q).toBe('up{job="x\\"} or vector(1) or up{a=\\""}');
  });

  it('a missing label refuses the query, naming it', () => {
    expect(() => renderQuery('up{job="{{ labels.job }}"}', source)).toThrow(/labels\.job is missing/);
  });

  it('escapes newlines and other control characters', () => {
    expect(promqlEscape('a\nb\tc\u0001')).toBe('a\\nb\\tc\\x01');
  });
});
