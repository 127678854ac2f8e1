import { describe, expect, it } from 'vitest';

import { initials } from './format';

describe('initials', () => {
  it('uses first and last word for Latin names and one syllable for Hangul', () => {
    expect(initials('mina park')).toBe('MP');
    expect(initials('Jun')).toBe('J');
    expect(initials('김민아')).toBe('김');
    expect(initials('  ')).toBe('?');
  });

  it('takes up to two initials, and skips invisible direction controls', () => {
    expect(initials('Mina Kim')).toBe('MK');
    expect(initials('\u202Eadmin')).toBe('A');
    expect(initials('\u2066\u200Fjun\u2069 park')).toBe('JP');
    expect(initials('\u202E')).toBe('?');
  });
});
