import { describe, expect, it } from 'vitest';

import { initials } from './format';
import { linkify } from './linkify';

describe('linkify', () => {
  it('finds http and https links and leaves trailing punctuation out', () => {
    expect(linkify('see https://example.com/a?b=1, then http://x.io.')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: ', then ' },
      { kind: 'link', text: 'http://x.io', href: 'http://x.io' },
      { kind: 'text', text: '.' },
    ]);
  });

  it('never turns other schemes into links', () => {
    expect(linkify('javascript:alert(1) data:text/html,<b>')).toEqual([
      { kind: 'text', text: 'javascript:alert(1) data:text/html,<b>' },
    ]);
  });
});

describe('initials', () => {
  it('uses first and last word for Latin names and one syllable for Hangul', () => {
    expect(initials('mina park')).toBe('MP');
    expect(initials('Jun')).toBe('J');
    expect(initials('김민아')).toBe('김');
    expect(initials('  ')).toBe('?');
  });
});
