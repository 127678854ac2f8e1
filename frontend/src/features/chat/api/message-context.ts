import type { Message } from '@/lib/protocol';

import type { MessagePage, MessagesApi } from './messages-api';

/** Messages read on each side of the one opened, and again per "Older" or "Newer" press. */
export const CONTEXT_SIDE = 25;

/**
 * A stretch of history around one message, read by REST for the context view and held apart
 * from the room's ChatState. That state must stay one contiguous run up to the newest message
 * (catch-up and convergence rely on it), so history that does not join it never goes there.
 */
export interface ContextWindow {
  /** The message opened; it is among `messages`. */
  targetId: number;
  /** Oldest first, without gaps between them. */
  messages: Message[];
  /** Older history exists before the first. */
  hasOlder: boolean;
  /** Newer messages exist after the last. */
  hasNewer: boolean;
}

export type HistoryApi = Pick<MessagesApi, 'before' | 'after'>;

/**
 * Message `id` and up to `side` older ones (`before=id+1`), oldest first; null when the room
 * holds no message `id`. Its seq says how far back it is.
 */
export async function loadUpTo(api: HistoryApi, slug: string, id: number, side = CONTEXT_SIDE): Promise<MessagePage | null> {
  const page = await api.before(slug, id + 1, side + 1);
  return page.messages.at(-1)?.id === id ? page : null;
}

/**
 * The window around message `id`: it, `CONTEXT_SIDE` older and as many newer. `upTo` is its older
 * half when already read (`loadUpTo`). Null when the room holds no message `id`.
 */
export async function loadAround(api: HistoryApi, slug: string, id: number, upTo?: MessagePage | null): Promise<ContextWindow | null> {
  const [older, newer] = await Promise.all([upTo ?? loadUpTo(api, slug, id), api.after(slug, id, CONTEXT_SIDE)]);
  if (!older) return null;
  return { targetId: id, messages: joined(older.messages, newer.messages), hasOlder: older.has_more, hasNewer: newer.has_more };
}

/** One more page before the window's first message. */
export async function extendOlder(api: HistoryApi, slug: string, window: ContextWindow): Promise<ContextWindow> {
  const first = window.messages[0];
  if (!first || !window.hasOlder) return window;
  const page = await api.before(slug, first.id, CONTEXT_SIDE);
  return { ...window, messages: joined(page.messages, window.messages), hasOlder: page.has_more };
}

/** One more page after the window's last message. */
export async function extendNewer(api: HistoryApi, slug: string, window: ContextWindow): Promise<ContextWindow> {
  const last = window.messages.at(-1);
  if (!last || !window.hasNewer) return window;
  const page = await api.after(slug, last.id, CONTEXT_SIDE);
  return { ...window, messages: joined(window.messages, page.messages), hasNewer: page.has_more };
}

/** Both runs as one, by id, each message once (the copy from `b` where both have it). */
function joined(a: readonly Message[], b: readonly Message[]): Message[] {
  const byId = new Map<number, Message>();
  for (const m of [...a, ...b]) byId.set(m.id, m);
  return [...byId.values()].sort((x, y) => x.id - y.id);
}
