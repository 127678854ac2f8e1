import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';

import { AppHeader } from '@/components/app-header';
import { useMemberships } from '@/hooks/use-memberships';
import { ApiError } from '@/lib/api-client';
import { isLive } from '@/lib/connection';
import { t, tCount } from '@/lib/i18n';
import type { MessageKey } from '@/lib/i18n';
import type { MembershipApi } from '@/lib/membership-api';
import { notifyLevel, totalMentions } from '@/lib/memberships';
import type { Memberships } from '@/lib/memberships';
import type { Member, Message, Room, User } from '@/lib/protocol';
import { focusTextOnEntry } from '@/utils/device';

import type { MessagesApi } from '../api/messages-api';
import type { RoomSession } from '../api/room-session';
import { useFocusMessage } from '../hooks/use-focus-message';
import type { FocusTarget, UnreachedReason } from '../hooks/use-focus-message';
import { useChatState, useConnectionState, useRoomSession } from '../hooks/use-room-session';
import type { SocketFactory } from '../hooks/use-room-session';
import { quoteOf } from '../utils/replies';
import { Composer } from './composer';
import type { ComposerMentions } from './composer';
import { MessageContext } from './message-context';
import { MessageList } from './message-list';
import { OnlinePanel } from './online-panel';
import { RoomControls } from './room-controls';
import { TypingIndicator } from './typing-indicator';

import './chat.css';

interface Props {
  slug: string;
  me: User;
  messagesApi: MessagesApi;
  createSocket: SocketFactory;
  /** The user's unread summary, shared with the room list. */
  memberships: Memberships;
  membershipApi: MembershipApi;
  /** The server's limit on a message's length (`GET /api/auth/config/`). */
  messageMaxLength: number;
  /** The server's limit on people mentioned per message, where it names one. */
  mentionsMax?: number;
  /** A message to show (a notification or a search result was opened for it). */
  focusMessage?: { id: number } | null;
  /** The room's search box, drawn by whoever provides search; the room offers a button that opens it. */
  search?: (slot: RoomSearchSlot) => ReactNode;
  /** Back to the list; `notice` explains why when the server sent us there. */
  onLeave: (notice?: string) => void;
  onSignedOut: (notice: string) => void;
}

/** What the room hands its search box. */
export interface RoomSearchSlot {
  slug: string;
  /** The room as the server last described it; null until the first answer. */
  room: Room | null;
  /**
   * Shows a message of this room without leaving it: in the timeline (loaded back to it, scrolled
   * to and marked) or, too far back, in the context view. Its `seq` says how far back it is.
   */
  jumpTo: (id: number, seq?: number) => void;
  /** Closes the box; focus goes back to the button that opened it. */
  close: () => void;
}

export function ChatRoomScreen({ slug, me, messagesApi, createSocket, memberships, membershipApi, ...rest }: Props) {
  const session = useRoomSession(slug, me, messagesApi, createSocket, memberships, membershipApi);
  const members = membershipApi.members;
  const searchMembers = useCallback((q: string) => members(slug, q), [members, slug]);
  if (!session) return <div className="screen" />;
  return <ChatRoom key={slug} session={session} searchMembers={searchMembers} {...rest} />;
}

interface RoomProps {
  session: RoomSession;
  messageMaxLength: number;
  mentionsMax?: number;
  /** `@` suggestions: the room's members whose name contains `q`. */
  searchMembers?: (q: string) => Promise<Member[]>;
  focusMessage?: { id: number } | null;
  search?: (slot: RoomSearchSlot) => ReactNode;
  onLeave: (notice?: string) => void;
  onSignedOut: (notice: string) => void;
}

const JUMP_NOTES: Record<UnreachedReason, MessageKey> = {
  missing: 'chat.jumpMissing',
  failed: 'chat.jumpFailed',
};

/** chat.css lays the search box over the messages below this width. */
const NARROW = '(max-width: 899px)';

/** Sends the server refuses for their mentions: the text goes back into the box to be fixed. */
const MENTION_REFUSALS = new Set(['too_many_mentions', 'room_mention_not_allowed']);

export function ChatRoom(props: RoomProps) {
  const { session, messageMaxLength, mentionsMax, searchMembers, focusMessage = null, search, onLeave, onSignedOut } = props;
  const state = useChatState(session);
  const connection = useConnectionState(session);
  const summary = useMemberships(session.memberships);
  const [showOnline, setShowOnline] = useState(false);
  // Presence and typing only move while something answers; otherwise they are the last known.
  const live = isLive(connection.status);

  const endedBy = connection.stoppedBy ?? state.endedBy;
  useEffect(() => {
    if (endedBy === 4401) onSignedOut(t('chat.signedOut'));
    else if (endedBy === 4404) onLeave(t('chat.notFound'));
  }, [endedBy, onLeave, onSignedOut]);

  // A refusal is shown by the row that asked (and stays a rejection there); an ended sign-in
  // also hands over to the sign-in screen.
  const signedOutOn = useCallback(
    async (action: Promise<void>) => {
      try {
        await action;
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) onSignedOut(t('chat.signedOut'));
        throw err;
      }
    },
    [onSignedOut],
  );
  const onEdit = useCallback((id: number, body: string) => signedOutOn(session.edit(id, body)), [signedOutOn, session]);
  const onDelete = useCallback((m: Message) => signedOutOn(session.remove(m)), [signedOutOn, session]);

  const room = state.room;
  useEffect(() => {
    if (!room) return;
    document.title = `${room.name} · ${t('appName')}`;
    return () => {
      document.title = t('appName');
    };
  }, [room]);
  const archived = room?.is_archived ?? false;
  const forbidden = endedBy === 4403;
  const slug = session.slug;
  // A server that keeps read positions said where the user was: it has mentions and levels too.
  const tracked = state.entry !== null;
  const elsewhere = totalMentions(summary, slug);
  const leaveLabel = elsewhere > 0 ? `${t('chat.leaveLabel')}, ${tCount('chat.mentionsElsewhere', elsewhere)}` : t('chat.leaveLabel');

  const canMentionRoom = room?.allow_room_mention === true || state.you.is_staff;
  const youId = state.you.id;
  const mentions = useMemo<ComposerMentions | undefined>(
    () => (tracked && searchMembers ? { search: searchMembers, canMentionRoom, selfId: youId, max: mentionsMax } : undefined),
    [tracked, searchMembers, canMentionRoom, youId, mentionsMax],
  );
  const refusedSend = state.pending.find((p) => p.status === 'failed' && MENTION_REFUSALS.has(p.error?.code ?? ''));
  const refused = refusedSend ? { key: refusedSend.clientId, body: refusedSend.body } : null;

  // The message to show: the one the address names (a notification, a search result in another
  // room), or later the one a reply's quote or this room's search picked, whichever came last.
  const [target, setTarget] = useState<FocusTarget | null>(focusMessage);
  const [addressed, setAddressed] = useState(focusMessage);
  if (addressed !== focusMessage) {
    setAddressed(focusMessage);
    if (focusMessage) setTarget(focusMessage);
  }
  const focus = useFocusMessage(session, target, state.ready);
  const highlight = focus.highlight;
  const onJumpTo = useCallback((id: number, seq?: number) => setTarget(seq === undefined ? { id } : { id, seq }), []);
  // Back from the context view, the timeline opens at its newest message (not at "New messages"),
  // and the keyboard goes to the message box, as on entering the room.
  const [backFromContext, setBackFromContext] = useState(false);
  const composerInput = useRef<HTMLTextAreaElement>(null);
  const closeContext = focus.closeContext;
  const toPresent = useCallback(
    (moveFocus: boolean) => {
      if (!focus.context) return;
      closeContext();
      setBackFromContext(true);
      if (moveFocus && focusTextOnEntry()) composerInput.current?.focus();
    },
    [focus.context, closeContext],
  );

  const [showSearch, setShowSearch] = useState(false);
  // Held in state, not a ref: the search box (drawn during render) is handed `closeSearch`.
  const [searchToggle, setSearchToggle] = useState<HTMLButtonElement | null>(null);
  const closeSearch = useCallback(() => {
    setShowSearch(false);
    searchToggle?.focus();
  }, [searchToggle]);
  const showFound = useCallback(
    (id: number, seq?: number) => {
      onJumpTo(id, seq);
      // Where the box covers the messages (chat.css, narrow screens), it steps aside for the one chosen.
      if (typeof window.matchMedia === 'function' && window.matchMedia(NARROW).matches) setShowSearch(false);
    },
    [onJumpTo],
  );

  // The message the next send answers, read from the state so its quote follows edits; a delete
  // (or an archive) ends the reply.
  const [replyId, setReplyId] = useState<number | null>(null);
  const original = replyId === null || archived ? undefined : state.messages.find((m) => m.id === replyId && !m.deleted);
  const reply = useMemo(() => (original ? { quote: quoteOf(original), mentions: original.mentions } : null), [original]);
  const onReply = useCallback((m: Message) => setReplyId(m.id), []);
  const onReact = useCallback((id: number, emoji: string, on: boolean) => session.react(id, emoji, on), [session]);

  return (
    <div className="screen chat">
      <AppHeader
        leading={
          <button type="button" className="button button--ghost chat__leave" onClick={() => onLeave()} aria-label={leaveLabel} data-testid="leave-room">
            <span aria-hidden="true">←</span>
            <span className="chat__leave-text">{t('chat.leave')}</span>
            {elsewhere > 0 ? (
              <span className="badge badge--mention" aria-hidden="true" data-testid="leave-mentions" data-count={elsewhere}>
                @ {elsewhere}
              </span>
            ) : null}
          </button>
        }
        title={
          <span data-testid="room-title">
            <bdi>{room?.name ?? '…'}</bdi>
          </span>
        }
        subtitle={room?.description ? <bdi>{room.description}</bdi> : undefined}
        status={connection.status}
        retryAt={connection.retryAt}
        offerNotifications
        actions={
          <>
            {search ? (
              <button
                ref={setSearchToggle}
                type="button"
                className="button button--ghost chat__search-toggle"
                aria-label={t('search.open')}
                title={t('search.open')}
                aria-expanded={showSearch}
                aria-controls="room-search"
                onClick={() => setShowSearch((v) => !v)}
                data-testid="search-toggle"
              >
                <svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" aria-hidden="true">
                  <circle cx="10.5" cy="10.5" r="6.5" />
                  <path d="m15.5 15.5 5 5" />
                </svg>
              </button>
            ) : null}
            {tracked ? (
              <RoomControls
                notify={notifyLevel(summary, slug)}
                onMarkRead={() => void session.reading.markAllRead().catch(() => undefined)}
                onNotify={(level) => void session.reading.setNotify(level).catch(() => undefined)}
              />
            ) : null}
            <button
              type="button"
              className={`button button--ghost chat__online-toggle${live ? '' : ' chat__online-toggle--stale'}`}
              aria-expanded={showOnline}
              aria-controls="online-panel"
              aria-label={`${t('chat.onlineToggle')} (${state.onlineCount})`}
              onClick={() => setShowOnline((v) => !v)}
              data-testid="online-count"
              data-count={state.onlineCount}
              data-stale={live ? 'false' : 'true'}
            >
              <span className={`dot${live ? ' dot--ok' : ''}`} aria-hidden="true" />
              {state.onlineCount}
            </button>
          </>
        }
      />
      <div className="chat__body">
        <main className="chat__main">
          {forbidden ? (
            <p className="banner banner--error" role="alert">
              {t('chat.forbidden')}
            </p>
          ) : null}
          {connection.status === 'http' ? (
            <p className="banner banner--info chat__mode" data-testid="http-mode-banner">
              {t('status.httpHint')}
            </p>
          ) : null}
          {archived ? (
            <p className="banner banner--warn" role="status" data-testid="archived-banner">
              {t('chat.archivedBanner')}
              {state.you.is_staff ? ` ${t('chat.archivedModerator')}` : null}
            </p>
          ) : null}
          {focus.unreached ? (
            <p className="banner banner--warn chat__jump-note" role="status" data-testid="jump-note" data-reason={focus.unreached.reason}>
              <span>{t(JUMP_NOTES[focus.unreached.reason])}</span>
              <button type="button" className="chip" onClick={focus.dismiss}>
                {t('chat.dismiss')}
              </button>
            </p>
          ) : null}
          {state.ready && focus.context ? (
            <MessageContext
              key={focus.context.serial}
              history={session.history}
              slug={slug}
              initial={focus.context.window}
              youId={state.you.id}
              messageMaxLength={messageMaxLength}
              onJumpTo={onJumpTo}
              onPresent={() => toPresent(true)}
            />
          ) : state.ready ? (
            <MessageList
              state={state}
              onLoadOlder={() => session.loadOlder()}
              onEdit={onEdit}
              onDelete={onDelete}
              onRetry={(id) => session.retry(id)}
              onDiscard={(id) => session.discard(id)}
              waitingForConnection={!live}
              messageMaxLength={messageMaxLength}
              // Not while the history up to the first unread message loads (chat-state.ts).
              onSeen={state.loadingToEntry ? undefined : (seq) => session.reading.seen(seq)}
              highlight={highlight}
              onReply={onReply}
              onReact={onReact}
              onJumpTo={onJumpTo}
              openAtEnd={backFromContext}
            />
          ) : (
            <div className="chat__loading muted">{t('chat.loading')}</div>
          )}
          <TypingIndicator typing={state.typing} />
          <Composer
            disabled={archived || forbidden}
            disabledReason={archived ? t('chat.archived') : undefined}
            maxLength={messageMaxLength}
            // Entering a room puts the keyboard in its message box (not on touch-only devices,
            // where it would cover the messages with the on-screen keyboard).
            autoFocus={focusTextOnEntry()}
            mentions={mentions}
            refused={refused}
            reply={reply}
            onCancelReply={() => setReplyId(null)}
            // What is sent shows in the timeline: a send from the context view goes back there.
            onSend={(body, mentioned) => {
              session.send(body, mentioned, reply?.quote);
              setReplyId(null);
              toPresent(false);
            }}
            inputRef={composerInput}
            onTyping={() => session.notifyTyping()}
          />
        </main>
        {search && showSearch ? (
          <div className="chat__search" id="room-search">
            {search({ slug, room, jumpTo: showFound, close: closeSearch })}
          </div>
        ) : null}
        <OnlinePanel online={state.online} count={state.onlineCount} youId={state.you.id} open={showOnline} stale={!live} />
      </div>
    </div>
  );
}
