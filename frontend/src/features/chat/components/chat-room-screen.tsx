import { useCallback, useEffect, useState } from 'react';

import { AppHeader } from '@/components/app-header';
import { ApiError } from '@/lib/api-client';
import { isLive } from '@/lib/connection';
import { t } from '@/lib/i18n';
import type { Message, User } from '@/lib/protocol';
import { focusTextOnEntry } from '@/utils/device';

import type { MessagesApi } from '../api/messages-api';
import type { RoomSession } from '../api/room-session';
import { useChatState, useConnectionState, useRoomSession } from '../hooks/use-room-session';
import type { SocketFactory } from '../hooks/use-room-session';
import { Composer } from './composer';
import { MessageList } from './message-list';
import { OnlinePanel } from './online-panel';
import { TypingIndicator } from './typing-indicator';

import './chat.css';

interface Props {
  slug: string;
  me: User;
  messagesApi: MessagesApi;
  createSocket: SocketFactory;
  /** The server's limit on a message's length (`GET /api/auth/config/`). */
  messageMaxLength: number;
  /** Back to the list; `notice` explains why when the server sent us there. */
  onLeave: (notice?: string) => void;
  onSignedOut: (notice: string) => void;
}

export function ChatRoomScreen({ slug, me, messagesApi, createSocket, messageMaxLength, onLeave, onSignedOut }: Props) {
  const session = useRoomSession(slug, me, messagesApi, createSocket);
  if (!session) return <div className="screen" />;
  return <ChatRoom key={slug} session={session} messageMaxLength={messageMaxLength} onLeave={onLeave} onSignedOut={onSignedOut} />;
}

interface RoomProps {
  session: RoomSession;
  messageMaxLength: number;
  onLeave: (notice?: string) => void;
  onSignedOut: (notice: string) => void;
}

export function ChatRoom({ session, messageMaxLength, onLeave, onSignedOut }: RoomProps) {
  const state = useChatState(session);
  const connection = useConnectionState(session);
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

  return (
    <div className="screen chat">
      <AppHeader
        leading={
          <button type="button" className="button button--ghost chat__leave" onClick={() => onLeave()} aria-label={t('chat.leaveLabel')} data-testid="leave-room">
            <span aria-hidden="true">←</span>
            <span className="chat__leave-text">{t('chat.leave')}</span>
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
        actions={
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
          {state.ready ? (
            <MessageList
              state={state}
              onLoadOlder={() => session.loadOlder()}
              onEdit={onEdit}
              onDelete={onDelete}
              onRetry={(id) => session.retry(id)}
              onDiscard={(id) => session.discard(id)}
              waitingForConnection={!live}
              messageMaxLength={messageMaxLength}
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
            onSend={(body) => session.send(body)}
            onTyping={() => session.notifyTyping()}
          />
        </main>
        <OnlinePanel online={state.online} count={state.onlineCount} youId={state.you.id} open={showOnline} stale={!live} />
      </div>
    </div>
  );
}
