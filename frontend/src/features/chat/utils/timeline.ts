import type { Message } from '@/lib/protocol';

import type { ChatState, Notice, PendingMessage } from '../api/chat-state';

export type TimelineItem =
  | { kind: 'day'; key: string; date: string }
  | { kind: 'message'; key: string; message: Message; own: boolean; continued: boolean }
  | { kind: 'notice'; key: string; notice: Notice }
  /** "New messages": before the first message that was unread when the user entered. */
  | { kind: 'unread'; key: string }
  | { kind: 'pending'; key: string; pending: PendingMessage; continued: boolean };

const GROUP_MS = 5 * 60_000;

/**
 * Own messages are keyed by client_id whether pending or stored, so the row stays the same
 * element when the ack arrives instead of disappearing and reappearing.
 */
export function messageKey(m: Message, youId: number): string {
  return m.client_id && m.author.id === youId ? `c:${m.client_id}` : `m:${m.id}`;
}

/**
 * The id of the message the "New messages" divider goes before: the first one from someone else
 * among those unread at entry, or the oldest held when unread ones lie beyond the window (its
 * older history was not loaded that far). Null: nothing was unread.
 */
export function unreadDividerBefore(state: ChatState): number | null {
  const entry = state.entry;
  const first = state.messages[0];
  if (!entry || !first || entry.readSeq >= entry.lastSeq) return null;
  if (state.hasMore && first.seq > entry.readSeq + 1) return first.id;
  const unread = state.messages.find(
    (m) => m.seq > entry.readSeq && m.seq <= entry.lastSeq && m.author.id !== state.you.id && !m.deleted,
  );
  return unread?.id ?? null;
}

function dayOf(iso: string): string {
  return new Date(iso).toDateString();
}

export function buildTimeline(state: ChatState): TimelineItem[] {
  const items = messageTimeline(state.messages, state.you.id, state.notices, unreadDividerBefore(state));
  for (const pending of state.pending) {
    const before = items.at(-1);
    const continued = before?.kind === 'pending' || (before?.kind === 'message' && before.own);
    items.push({ kind: 'pending', key: `c:${pending.clientId}`, pending, continued });
  }
  return items;
}

/**
 * Stored messages (oldest first) as rows: day dividers, runs of one author grouped, `notices`
 * between them and the "New messages" divider before message `dividerBefore`. Also what the
 * context view draws, which has neither.
 */
export function messageTimeline(
  messages: readonly Message[],
  youId: number,
  notices: readonly Notice[] = [],
  dividerBefore: number | null = null,
): TimelineItem[] {
  const items: TimelineItem[] = [];
  let n = 0;
  let prev: Message | null = null;
  let lastDay: string | null = null;

  const pushDay = (iso: string) => {
    const day = dayOf(iso);
    if (day !== lastDay) {
      items.push({ kind: 'day', key: `d:${day}`, date: iso });
      lastDay = day;
    }
  };
  const flushNotices = (upToId: number) => {
    while (n < notices.length && (notices[n] as Notice).afterId < upToId) {
      const notice = notices[n] as Notice;
      pushDay(notice.at);
      items.push({ kind: 'notice', key: `n:${notice.key}`, notice });
      prev = null;
      n++;
    }
  };

  for (const message of messages) {
    flushNotices(message.id);
    const day = dayOf(message.created_at);
    const continued =
      prev !== null &&
      day === lastDay &&
      prev.author.id === message.author.id &&
      new Date(message.created_at).getTime() - new Date(prev.created_at).getTime() < GROUP_MS;
    pushDay(message.created_at);
    const divided = message.id === dividerBefore;
    if (divided) items.push({ kind: 'unread', key: 'unread' });
    items.push({
      kind: 'message',
      key: messageKey(message, youId),
      message,
      own: message.author.id === youId,
      continued: continued && !divided,
    });
    prev = message;
  }
  flushNotices(Number.POSITIVE_INFINITY);
  return items;
}
