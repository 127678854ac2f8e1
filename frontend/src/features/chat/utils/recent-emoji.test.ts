import { describe, expect, it } from 'vitest';

import { RECENT_EMOJI_MAX, looksLikeEmoji, readRecentEmoji, rememberEmoji } from './recent-emoji';

function memoryStorage(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), data };
}

describe('recent emoji', () => {
  it('keeps the most recent first, each once, at most eight', () => {
    const storage = memoryStorage();
    expect(readRecentEmoji(storage)).toEqual([]);
    rememberEmoji('👍', storage);
    rememberEmoji('🎉', storage);
    expect(rememberEmoji('👍', storage)).toEqual(['👍', '🎉']);
    for (const e of ['1️⃣', '2️⃣', '3️⃣', '4️⃣', '5️⃣', '6️⃣', '7️⃣']) rememberEmoji(e, storage);
    const recent = readRecentEmoji(storage);
    expect(recent).toHaveLength(RECENT_EMOJI_MAX);
    expect(recent[0]).toBe('7️⃣');
    expect(recent).not.toContain('🎉');
  });

  it('survives a stored value that is not a list, and storage that refuses', () => {
    expect(readRecentEmoji(memoryStorage({ 'rooms.recentEmoji': '{"x":1}' }))).toEqual([]);
    expect(readRecentEmoji(memoryStorage({ 'rooms.recentEmoji': 'not json' }))).toEqual([]);
    const refusing = {
      getItem: () => null,
      setItem: () => {
        throw new Error('quota');
      },
    };
    expect(rememberEmoji('👍', refusing)).toEqual(['👍']);
    expect(rememberEmoji('👍', null)).toEqual(['👍']);
  });

  it('tells one emoji from words', () => {
    for (const e of ['👍', '❤️', '👍🏽', '👩‍💻', '🇰🇷', '1️⃣']) expect(looksLikeEmoji(e), e).toBe(true);
    for (const e of ['ok', '👍👍', '👍 ok', 'a👍']) expect(looksLikeEmoji(e), e).toBe(false);
  });
});
