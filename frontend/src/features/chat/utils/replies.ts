import type { Message, ReplyRef } from '@/lib/protocol';

/** What a quote shows of its original, as the server cuts it (rooms/serializers.py). */
export const EXCERPT_MAX = 140;

/** The first line, at most EXCERPT_MAX characters (code points, as Python counts them); empty once deleted. */
export function excerptOf(body: string, deleted = false): string {
  if (deleted) return '';
  const first = body.split('\n', 1)[0] ?? '';
  return [...first].slice(0, EXCERPT_MAX).join('');
}

/** The quote a reply to `message` carries, as the server would write it now. */
export function quoteOf(message: Message): ReplyRef {
  return {
    id: message.id,
    seq: message.seq,
    author: message.author,
    excerpt: excerptOf(message.body, message.deleted),
    deleted: message.deleted,
  };
}

const sameQuote = (a: ReplyRef, b: ReplyRef) =>
  a.excerpt === b.excerpt && a.deleted === b.deleted && a.author.display_name === b.author.display_name && a.author.is_staff === b.author.is_staff;

/**
 * The held messages with the quotes of `originals` brought up to date: a reply's quote is its
 * original as it is now, so an edit or a delete of the original changes every quote of it.
 * Returns `held` itself when nothing changed.
 */
export function refreshQuotes(held: Message[], originals: readonly Message[]): Message[] {
  if (originals.length === 0) return held;
  const byId = new Map(originals.map((m) => [m.id, m]));
  let changed = false;
  const next = held.map((m) => {
    const original = m.reply_to ? byId.get(m.reply_to.id) : undefined;
    if (!original || !m.reply_to) return m;
    const quote = quoteOf(original);
    if (sameQuote(quote, m.reply_to)) return m;
    changed = true;
    return { ...m, reply_to: quote };
  });
  return changed ? next : held;
}
