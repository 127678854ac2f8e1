import { describe, expect, it } from 'vitest';

import { excerptAround, highlightParts, searchWords } from './highlight';

/** The marked words, in order. */
const marked = (text: string, terms: string[]) => highlightParts(text, terms).filter((p) => p.mark).map((p) => p.text);

describe('highlightParts', () => {
  it('marks a Korean word that starts with the term, particle and all', () => {
    expect(highlightParts('내일 회의를 합니다', ['회의'])).toEqual([
      { text: '내일 ', mark: false },
      { text: '회의를', mark: true },
      { text: ' 합니다', mark: false },
    ]);
  });

  it('marks English words by prefix, whatever their case', () => {
    expect(marked('Meetings moved: the MEETING room, meet me', ['meet'])).toEqual(['Meetings', 'MEETING', 'meet']);
    expect(marked('Release notes are out', ['release', 'notes'])).toEqual(['Release', 'notes']);
  });

  it('does not mark a term found inside a word', () => {
    expect(marked('정기회의 끝', ['회의'])).toEqual([]);
    expect(marked('a greeting and a remeet', ['eet', 'meet'])).toEqual([]);
    expect(marked('re-release', ['release'])).toEqual(['release']);
  });

  it('reads terms in any case, and a quoted phrase as its words', () => {
    expect(searchWords(['Release Notes', 'notes', '', '  '])).toEqual(['release', 'notes']);
    expect(marked('release notes', ['Release Notes'])).toEqual(['release', 'notes']);
  });

  it('compares composed and decomposed Hangul alike', () => {
    const decomposed = '회의'.normalize('NFD');
    expect(marked(`${decomposed}를 합니다`, ['회의'])).toEqual([`${decomposed}를`]);
  });

  it('keeps the text whole: the parts join back to it, and nothing is marked without terms', () => {
    const text = 'Mixed 회의를, meetings; 42 items!';
    expect(highlightParts(text, ['회의', 'meet', '4']).map((p) => p.text).join('')).toBe(text);
    expect(highlightParts(text, [])).toEqual([{ text, mark: false }]);
    expect(highlightParts('', ['a'])).toEqual([]);
  });

  it('leaves hostile text as text, marking only its words', () => {
    const text = '<img src=x onerror=alert(1)> <mark>script</mark>';
    const parts = highlightParts(text, ['script', 'img']);
    expect(parts.map((p) => p.text).join('')).toBe(text);
    expect(parts.filter((p) => p.mark).map((p) => p.text)).toEqual(['img', 'script']);
  });

  it('does not treat regular-expression characters in a term as a pattern', () => {
    expect(marked('a.b c*d', ['.*', 'c*'])).toEqual(['c']);
  });
});

describe('excerptAround', () => {
  it('leaves a short body as it is', () => {
    expect(excerptAround('short body', ['body'], 50)).toBe('short body');
  });

  it('cuts a long body so its first match shows, at a word start', () => {
    const text = `${'word '.repeat(100)}the 회의를 here ${'tail '.repeat(100)}`;
    const excerpt = excerptAround(text, ['회의'], 80);
    expect(excerpt).toContain('회의를');
    expect(excerpt.startsWith('…word ')).toBe(true);
    expect(excerpt.endsWith('…')).toBe(true);
    expect([...excerpt].length).toBeLessThanOrEqual(82);
  });

  it('starts at the beginning when nothing matches or the match is early', () => {
    const text = 'meeting '.repeat(50);
    expect(excerptAround(text, ['zzz'], 20)).toBe(`${text.slice(0, 20)}…`);
    expect(excerptAround(text, ['meet'], 20).startsWith('meeting')).toBe(true);
  });
});
