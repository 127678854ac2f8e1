/** The emoji the reaction picker offers first: the user's own, most recent first. */

export const RECENT_EMOJI_MAX = 8;
const KEY = 'rooms.recentEmoji';

/** What the picker always offers. */
export const COMMON_EMOJI: readonly string[] = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'];

type KeyValueStore = Pick<Storage, 'getItem' | 'setItem'>;

/** localStorage, or nothing where it is refused (private modes, sandboxed frames). */
function defaultStorage(): KeyValueStore | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export function readRecentEmoji(storage: KeyValueStore | null = defaultStorage()): string[] {
  try {
    const parsed: unknown = JSON.parse(storage?.getItem(KEY) ?? '[]');
    if (!Array.isArray(parsed)) return [];
    return parsed.filter((e): e is string => typeof e === 'string' && e !== '').slice(0, RECENT_EMOJI_MAX);
  } catch {
    return [];
  }
}

/** Puts `emoji` first (once) and keeps the newest RECENT_EMOJI_MAX; returns the new list. */
export function rememberEmoji(emoji: string, storage: KeyValueStore | null = defaultStorage()): string[] {
  const recent = [emoji, ...readRecentEmoji(storage).filter((e) => e !== emoji)].slice(0, RECENT_EMOJI_MAX);
  try {
    storage?.setItem(KEY, JSON.stringify(recent));
  } catch {
    // Full or refused: the list is only a convenience.
  }
  return recent;
}

/**
 * Whether typed text looks like one emoji, so that it may join the recent ones. The server is
 * the judge of what it accepts (`invalid_emoji`); this only keeps words out of the list.
 */
export function looksLikeEmoji(text: string): boolean {
  if (!/\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u.test(text) || /[\p{L}\s]/u.test(text)) return false;
  const Segmenter = Intl.Segmenter;
  return Segmenter ? [...new Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].length === 1 : true;
}
