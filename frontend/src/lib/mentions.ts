import type { UserRef } from './protocol';

/**
 * The mention grammar of docs/protocol.md ("Mentions in a message body"), shared with the server
 * through the cases in mention-cases.json. The client never decides who a message mentions: it
 * highlights what the server found (`message.mentions`, `message.mentions_room`), and uses this
 * grammar only to find where in the text those mentions are, and to convert between the
 * composer's `@Name` and the `<@id>` tokens that are sent.
 */

/** A user id in a token: 1–18 digits, no leading zero (one spelling per id). */
const ID = '[1-9][0-9]{0,17}';
const USER_TOKEN = new RegExp(`<@(${ID})>`, 'g');
/** What may not touch a mention on either side: a letter, a digit or `_`. */
const WORD = '[\\p{L}\\p{N}_]';
/** `@room` as a whole word: not glued to a word character or `@` before it, nor to a word character after it. */
const ROOM_WORD = new RegExp(`(?<![\\p{L}\\p{N}_@])@room(?!${WORD})`, 'gu');

export interface MentionRefs {
  /** Ids of `<@id>` tokens, each once, in order of first appearance. */
  users: number[];
  room: boolean;
}

export function parseMentions(body: string): MentionRefs {
  const users = [...new Set([...body.matchAll(USER_TOKEN)].map((m) => Number(m[1])))];
  ROOM_WORD.lastIndex = 0;
  return { users, room: ROOM_WORD.test(body) };
}

export type MentionRange = { start: number; end: number } & ({ kind: 'user'; user: UserRef } | { kind: 'room' });

/**
 * Where the mentions the server found are in `body`, in order: each `<@id>` whose id is in
 * `mentions` (any other stays text), and each `@room` when `mentionsRoom`.
 */
export function mentionRanges(body: string, mentions: readonly UserRef[], mentionsRoom: boolean): MentionRange[] {
  const byId = new Map(mentions.map((u) => [String(u.id), u]));
  const ranges: MentionRange[] = [];
  if (byId.size > 0) {
    for (const m of body.matchAll(USER_TOKEN)) {
      const user = byId.get(m[1] as string);
      if (user) ranges.push({ kind: 'user', user, start: m.index, end: m.index + m[0].length });
    }
  }
  if (mentionsRoom) {
    for (const m of body.matchAll(ROOM_WORD)) ranges.push({ kind: 'room', start: m.index, end: m.index + m[0].length });
  }
  return ranges.sort((a, b) => a.start - b.start);
}

/** The body as people read it: each mentioned `<@id>` as `@` and the user's current name. */
export function tokensToNames(body: string, mentions: readonly UserRef[]): string {
  if (mentions.length === 0) return body;
  const byId = new Map(mentions.map((u) => [String(u.id), u.display_name]));
  return body.replace(USER_TOKEN, (token, id: string) => {
    const name = byId.get(id);
    return name === undefined ? token : `@${name}`;
  });
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The reverse, for sending: each `@Name` of the given people, as a whole word, becomes `<@id>`.
 * Longer names are tried first, so `@Jun Park` is not read as `@Jun` followed by " Park".
 */
export function namesToTokens(text: string, people: readonly Pick<UserRef, 'id' | 'display_name'>[]): string {
  const byName = new Map(people.filter((p) => p.display_name !== '').map((p) => [p.display_name, p.id]));
  if (byName.size === 0 || !text.includes('@')) return text;
  const names = [...byName.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(`(?<!${WORD})@(${names.join('|')})(?!${WORD})`, 'gu');
  return text.replace(pattern, (match, name: string) => {
    const id = byName.get(name);
    return id === undefined ? match : `<@${id}>`;
  });
}
