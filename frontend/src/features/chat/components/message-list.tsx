import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';

import { UserName } from '@/components/user-name';
import { t } from '@/lib/i18n';
import type { Message } from '@/lib/protocol';

import type { ChatState } from '../api/chat-state';
import { useReadTracking } from '../hooks/use-read-tracking';
import { buildTimeline } from '../utils/timeline';
import type { TimelineItem } from '../utils/timeline';
import { DayDivider } from './day-divider';
import { MessageRow } from './message-row';
import { NoticeRow } from './notice-row';
import { PendingRow } from './pending-row';

interface Props {
  state: ChatState;
  onLoadOlder: () => Promise<void>;
  onEdit: (id: number, body: string) => Promise<void>;
  onDelete: (message: Message) => Promise<void>;
  onRetry: (clientId: string) => void;
  onDiscard: (clientId: string) => void;
  /** No transport answers: a pending message is not on its way yet. */
  waitingForConnection?: boolean;
  /** The server's message limit, which refusals name. */
  messageMaxLength: number;
  /** A message was seen (half on screen, page visible): the room is read up to its seq. */
  onSeen?: (seq: number) => void;
  /** Scrolled to and marked (a notification was opened for it); a new object each time. */
  highlight?: { id: number } | null;
  /** Reply to a message: the message box says so and the next send answers it. */
  onReply?: (message: Message) => void;
  onReact?: (messageId: number, emoji: string, on: boolean) => void;
  /** A reply's quote was chosen: bring its original into view. */
  onJumpTo?: (id: number, seq?: number) => void;
  /** Open at the newest message even below a "New messages" divider (back from the context view). */
  openAtEnd?: boolean;
}

const BOTTOM_SLACK_PX = 48;
/** Room above the "New messages" divider when the list opens at it. */
const DIVIDER_MARGIN_PX = 8;
const LOAD_OLDER_PX = 240;

export function MessageList({
  state,
  onLoadOlder,
  onEdit,
  onDelete,
  onRetry,
  onDiscard,
  waitingForConnection = false,
  messageMaxLength,
  onSeen,
  highlight = null,
  onReply,
  onReact,
  onJumpTo,
  openAtEnd = false,
}: Props) {
  const items = useMemo(() => buildTimeline(state), [state]);
  const held = useMemo(() => new Map(state.messages.map((m) => [m.id, m])), [state.messages]);
  const hasMore = state.hasMore;
  const loadingToEntry = state.loadingToEntry;
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  /** The reader scrolled by hand: where the list stands is theirs from now on. */
  const readerMoved = useRef(false);
  /** The row the "New messages" divider stood above when the list was last scrolled to it. */
  const dividerAt = useRef<string | null>(null);
  const wasLoadingToEntry = useRef(false);
  /** The divider sits on top of a window with older history: unread messages lie beyond it. */
  const dividerOnTop = useRef(false);
  const prev = useRef<{ first?: string; last?: string; height: number; keys: Set<string> }>({ height: 0, keys: new Set() });
  const [unseen, setUnseen] = useState(0);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [announced, setAnnounced] = useState<Message | null>(null);

  const loadOlder = useCallback(async () => {
    if (loadingOlder || !state.hasMore) return;
    setLoadingOlder(true);
    try {
      await onLoadOlder();
    } catch {
      // Scrolling up again retries; the list itself is still intact.
    } finally {
      setLoadingOlder(false);
    }
  }, [loadingOlder, state.hasMore, onLoadOlder]);

  const scrollToBottom = useCallback(() => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
    atBottom.current = true;
    setUnseen(0);
  }, []);

  const scrollToDivider = useCallback(() => {
    const el = scroller.current;
    const divider = el?.querySelector('[data-testid="unread-divider"]');
    if (!el || !divider) return;
    el.scrollTop += divider.getBoundingClientRect().top - el.getBoundingClientRect().top - DIVIDER_MARGIN_PX;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK_PX;
  }, []);

  // Runs before paint so the reader never sees the list jump.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const before = prev.current;
    // Dividers do not count: older history put on top changes the first row, not them.
    const first = items.find((i) => i.kind !== 'day' && i.kind !== 'unread')?.key;
    const last = items.at(-1)?.key;
    const added = items.filter((i) => !before.keys.has(i.key));
    const divider = items.findIndex((i) => i.kind === 'unread');
    const dividerAbove = divider < 0 ? null : (items[divider + 1]?.key ?? null);
    // On top of a window with older history: unread messages lie beyond it, and the divider moves
    // with every page. Following it there would scroll to the top, which loads the next page…
    const onTop = hasMore && divider >= 0 && divider === items.findIndex((i) => i.kind !== 'day');
    dividerOnTop.current = onTop;
    // The pages loaded at entry are all in; the divider is where it stays (on top, past the bound).
    const entrySettled = wasLoadingToEntry.current && !loadingToEntry;
    wasLoadingToEntry.current = loadingToEntry;
    const dividerMoved = dividerAbove !== dividerAt.current && !onTop;
    if (before.keys.size === 0) {
      // Entering: at the first unread message if there is one, else at the newest.
      if (dividerAbove && !openAtEnd) scrollToDivider();
      else el.scrollTop = el.scrollHeight;
    } else if (dividerAbove && (dividerMoved || entrySettled) && !readerMoved.current) {
      // Older pages loaded at entry brought the first unread message: follow the divider to it.
      scrollToDivider();
    } else if (first !== before.first && last === before.last) {
      // Older history was put on top: keep what the reader was looking at in place.
      el.scrollTop += el.scrollHeight - before.height;
    } else if (atBottom.current || added.some((i) => i.kind === 'pending')) {
      // Following the conversation (or just sent something): stay pinned to the newest line,
      // also when a row grows in place, such as a failure notice under a message.
      el.scrollTop = el.scrollHeight;
      atBottom.current = true;
    } else {
      const fromOthers = added.filter((i) => i.kind === 'message' && !i.own).length;
      if (fromOthers) setUnseen((n) => n + fromOthers);
    }
    dividerAt.current = dividerAbove;
    prev.current = { first, last, height: el.scrollHeight, keys: new Set(items.map((i) => i.key)) };
  }, [items, hasMore, loadingToEntry, scrollToDivider, openAtEnd]);

  // A message to show (a notification was opened): brought to the upper third of the list.
  useLayoutEffect(() => {
    const el = scroller.current;
    const row = highlight ? el?.querySelector(`[data-message-id="${highlight.id}"]`) : null;
    if (!el || !row) return;
    readerMoved.current = true;
    el.scrollTop += row.getBoundingClientRect().top - el.getBoundingClientRect().top - el.clientHeight / 3;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK_PX;
  }, [highlight]);

  useReadTracking(scroller, items, onSeen, () => atBottom.current);

  // Announce only live messages from others, never a page of history: when the timeline changes
  // and its newest line is such a message. Worked out while rendering (React's "adjust state when
  // a prop changes"), so the announcement lands with the row rather than a render later.
  const [announcedFor, setAnnouncedFor] = useState<TimelineItem[] | null>(null);
  if (announcedFor !== items) {
    setAnnouncedFor(items);
    const last = items.at(-1);
    if (last?.kind === 'message' && !last.own && !last.message.deleted) setAnnounced(last.message);
  }

  // A short first page may not fill the screen, so no scroll would ever ask for more.
  useEffect(() => {
    const el = scroller.current;
    if (el && state.hasMore && el.scrollHeight <= el.clientHeight) void loadOlder();
  }, [state.hasMore, items, loadOlder]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK_PX;
    if (atBottom.current && unseen) setUnseen(0);
    // Parked at entry on a divider on top (unread past the pages loaded for it): the list stays
    // there until the reader scrolls on, rather than loading page after page under them.
    const parked = dividerOnTop.current && !readerMoved.current;
    if (el.scrollTop < LOAD_OLDER_PX && !parked) void loadOlder();
  };

  const you = state.you;
  // An archived room is read-only; moderators may still clean it up (docs/protocol.md).
  const writable = !state.room?.is_archived || you.is_staff;
  // Replies and reactions are refused in an archived room, moderators' too.
  const open = !state.room?.is_archived;
  const reactFailure = state.reactFailure;
  const render = (item: TimelineItem) => {
    switch (item.kind) {
      case 'day':
        return <DayDivider key={item.key} date={item.date} />;
      case 'unread':
        return (
          <li key={item.key} className="unread-divider" role="separator" aria-label={t('chat.unreadDivider')} data-testid="unread-divider">
            <span>{t('chat.unreadDivider')}</span>
          </li>
        );
      case 'notice':
        return <NoticeRow key={item.key} notice={item.notice} />;
      case 'pending':
        return (
          <PendingRow
            key={item.key}
            pending={item.pending}
            continued={item.continued}
            you={you}
            waiting={waitingForConnection}
            messageMaxLength={messageMaxLength}
            onRetry={onRetry}
            onDiscard={onDiscard}
          />
        );
      case 'message':
        return (
          <MessageRow
            key={item.key}
            message={item.message}
            own={item.own}
            continued={item.continued}
            canEdit={item.own && writable}
            canDelete={(item.own || you.is_staff) && writable}
            messageMaxLength={messageMaxLength}
            onEdit={onEdit}
            onDelete={onDelete}
            youId={you.id}
            highlighted={highlight?.id === item.message.id}
            onReply={open ? onReply : undefined}
            onReact={open ? onReact : undefined}
            onJumpTo={onJumpTo}
            quoteMentions={item.message.reply_to ? held.get(item.message.reply_to.id)?.mentions : undefined}
            reactFailure={reactFailure?.messageId === item.message.id ? reactFailure.error : null}
          />
        );
    }
  };

  return (
    <div className="message-list">
      <div
        className="message-list__scroller"
        ref={scroller}
        onScroll={onScroll}
        // Scrolling by hand (not the list following new messages) makes the position the reader's.
        onWheel={() => (readerMoved.current = true)}
        onTouchStart={() => (readerMoved.current = true)}
        onKeyDown={() => (readerMoved.current = true)}
        data-testid="message-scroller"
      >
        <div className="message-list__top">
          {state.hasMore ? (
            <button type="button" className="chip" onClick={() => void loadOlder()} disabled={loadingOlder} data-testid="load-older">
              {loadingOlder ? t('chat.loadingOlder') : t('chat.loadOlder')}
            </button>
          ) : state.ready && items.length > 0 ? (
            <span className="muted">{t('chat.beginning')}</span>
          ) : null}
        </div>
        {state.ready && items.length === 0 ? <p className="message-list__empty">{t('chat.empty')}</p> : null}
        <ol className="message-list__items" aria-label={t('chat.messagesLabel')} data-testid="message-list">
          {items.map(render)}
        </ol>
      </div>
      {unseen > 0 ? (
        <button type="button" className="new-messages" onClick={scrollToBottom} data-testid="new-messages">
          {t('chat.newMessages')} ({unseen}) ↓
        </button>
      ) : null}
      <div className="sr-only" aria-live="polite" aria-atomic="true" data-testid="live-region">
        {announced ? (
          <>
            <UserName user={announced.author} />: {announced.body}
          </>
        ) : null}
      </div>
    </div>
  );
}
