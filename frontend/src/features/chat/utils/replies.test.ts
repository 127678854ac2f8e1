import { describe, expect, it } from 'vitest';

import { message } from '@/test/fake-websocket';

import { EXCERPT_MAX, excerptOf, quoteOf, refreshQuotes } from './replies';

describe('excerptOf', () => {
  it('takes the first line, cut to 140 characters (code points, not UTF-16 units)', () => {
    expect(excerptOf('one\ntwo')).toBe('one');
    expect(excerptOf('  spaced  \n')).toBe('  spaced  ');
    expect([...excerptOf('😀'.repeat(200))]).toHaveLength(EXCERPT_MAX);
    expect(excerptOf('😀'.repeat(200))).toBe('😀'.repeat(140));
    expect(excerptOf('gone', true)).toBe('');
  });
});

describe('refreshQuotes', () => {
  it('changes only the replies to the messages given, and nothing when nothing changed', () => {
    const original = message(1, 1, { body: 'v1' });
    const reply = message(2, 2, { reply_to: quoteOf(original) });
    const other = message(3, 3);
    const held = [original, reply, other];
    expect(refreshQuotes(held, [original])).toBe(held);
    const next = refreshQuotes(held, [{ ...original, body: 'v2\nmore' }]);
    expect(next[1]?.reply_to?.excerpt).toBe('v2');
    expect(next[2]).toBe(other);
  });
});
