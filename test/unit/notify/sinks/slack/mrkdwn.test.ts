import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bytes,
  codeBlock,
  cut,
  date,
  defang,
  duration,
  esc,
  escCut,
  link,
  mention,
} from '../../../../../src/notify/sinks/slack/mrkdwn.js';

// Whether a text still holds Slack markup: a raw < or > (links, mentions) or an & that does
// not start one of the three entities.
const hasRawControl = (s: string) => /[<>]/.test(s) || /&(?!amp;|lt;|gt;)/.test(s);

describe('esc', () => {
  it('turns <!channel> and <https://evil|x> into text', () => {
    expect(esc('<!channel> <https://evil|x> & co')).toBe('&lt;!channel&gt; &lt;https://evil|x&gt; &amp; co');
  });

  it('escapes & first, so an entity in the input shows as typed', () => {
    expect(esc('&lt;')).toBe('&amp;lt;');
  });

  it('never leaves a control character, for any input', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => !hasRawControl(esc(s))));
  });
});

describe('cut', () => {
  it('keeps short text as it is', () => {
    expect(cut('abc', 10)).toBe('abc');
  });

  it('cuts to the limit with an ellipsis', () => {
    const out = cut('a'.repeat(100), 10);
    expect(out).toHaveLength(10);
    expect(out.endsWith('…')).toBe(true);
  });

  it('never splits an entity: any escaped input cut anywhere stays escaped and within the limit', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', '&', '<', '>', 'é', '😀'), maxLength: 300 }),
        fc.integer({ min: 2, max: 200 }),
        (s, max) => {
          const out = escCut(s, max);
          return out.length <= max && !hasRawControl(out) && !/&(a|am|l|g|lt|gt|amp)?…$/.test(out);
        },
      ),
    );
  });

  it('does not split a surrogate pair', () => {
    const out = cut('ab😀😀😀', 4);
    expect(out).toBe('ab…');
  });
});

describe('link', () => {
  it('makes a link of an http(s) URL, with & escaped', () => {
    expect(link('http://prom:9090/graph?g0.expr=up&g0.tab=1', 'Source')).toBe(
      '<http://prom:9090/graph?g0.expr=up&amp;g0.tab=1|Source>',
    );
  });

  it('percent-encodes | < > so the URL cannot close the link or start another', () => {
    const l = link('https://ok.example/a|<!channel>', 'Runbook')!;
    expect(l).toBe('<https://ok.example/a%7C%3C!channel%3E|Runbook>');
    expect(l.slice(1, -1)).not.toMatch(/[<>]/);
  });

  it('refuses javascript:, relative and unparsable URLs, and overlong ones', () => {
    expect(link('javascript:alert(1)', 'x')).toBeUndefined();
    expect(link('/runbook', 'x')).toBeUndefined();
    expect(link('not a url', 'x')).toBeUndefined();
    expect(link('', 'x')).toBeUndefined();
    expect(link(`https://x.example/${'a'.repeat(2000)}`, 'x')).toBeUndefined();
  });

  it('escapes the label', () => {
    expect(link('https://x.example/', '<b>')).toBe('<https://x.example/|&lt;b&gt;>');
  });
});

describe('mention', () => {
  it('uses Slack syntax as written and maps @here/@channel to it', () => {
    expect(mention('<!subteam^S0ONCALL>')).toEqual({ text: '<!subteam^S0ONCALL>', linkNames: false });
    expect(mention('<!subteam^S0ONCALL|@oncall>')).toEqual({ text: '<!subteam^S0ONCALL|@oncall>', linkNames: false });
    expect(mention('<@U0123ABC>')).toEqual({ text: '<@U0123ABC>', linkNames: false });
    expect(mention('@here')).toEqual({ text: '<!here>', linkNames: false });
    expect(mention('@channel')).toEqual({ text: '<!channel>', linkNames: false });
  });

  it('keeps a bare @handle for link_names', () => {
    expect(mention('@oncall')).toEqual({ text: '@oncall', linkNames: true });
  });

  it('shows anything else as escaped text, and nothing when unset', () => {
    expect(mention('<https://evil|x>')).toEqual({ text: '&lt;https://evil|x&gt;', linkNames: false });
    expect(mention(undefined)).toBeUndefined();
  });

  it('defang keeps @word from pinging under link_names', () => {
    expect(defang('@channel hi')).toBe('@\u2060channel hi');
  });
});

describe('codeBlock', () => {
  it('keeps the tail of long output within the limit, escaped', () => {
    const out = codeBlock(`${'<x>'.repeat(2000)}END`, 500);
    expect(out.length).toBeLessThanOrEqual(500);
    expect(out.startsWith('```\n…')).toBe(true);
    expect(out.endsWith('END\n```')).toBe(true);
    expect(hasRawControl(out)).toBe(false);
  });

  it('breaks up ``` inside the output so the block is not closed early', () => {
    const out = codeBlock('a```b', 100);
    expect(out.slice(3, -3)).not.toContain('```');
  });
});

describe('formatting', () => {
  it('durations, bytes and dates read as a human expects', () => {
    expect(duration(250)).toBe('250 ms');
    expect(duration(1234)).toBe('1.2 s');
    expect(duration(61_000)).toBe('1 min 1 s');
    expect(bytes(512)).toBe('512 B');
    expect(bytes(1536)).toBe('1.5 KiB');
    expect(bytes(3 * 1024 ** 3)).toBe('3.0 GiB');
    expect(date('2026-11-27T11:54:39Z')).toBe(
      '<!date^1795780479^{date_short_pretty} {time_secs}|2026-11-27T11:54:39.000Z>',
    );
    expect(date('0001-01-01T00:00:00Z')).toBeUndefined();
  });
});
