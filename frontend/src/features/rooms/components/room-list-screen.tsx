import { AppHeader } from '@/components/app-header';
import { UserName } from '@/components/user-name';
import { t } from '@/lib/i18n';
import type { Room, User } from '@/lib/protocol';
import type { LobbySocket } from '@/lib/socket';
import { formatAgo, formatFull } from '@/utils/format';

import type { RoomsApi } from '../api/rooms-api';
import { useRoomList } from '../hooks/use-room-list';

import './room-list.css';

interface Props {
  user: User;
  roomsApi: RoomsApi;
  createLobbySocket: () => LobbySocket;
  onOpen: (slug: string) => void;
  onSignOut: () => void;
  onUnauthorized: () => void;
  notice?: string | null;
}

export function RoomListScreen({ user, roomsApi, createLobbySocket, onOpen, onSignOut, onUnauthorized, notice }: Props) {
  const { rooms, connection, failed } = useRoomList(roomsApi, createLobbySocket, onUnauthorized);

  return (
    <div className="screen">
      <AppHeader
        title={t('rooms.title')}
        // Signing in (or leaving a room) lands here: start keyboard and screen-reader users at the top.
        focusTitle
        status={connection.status}
        retryAt={connection.retryAt}
        actions={
          <>
            <span className="app-header__user">
              <UserName user={user} testId="current-user" className="app-header__user-name" />
            </span>
            <button type="button" className="button button--ghost" onClick={onSignOut} data-testid="sign-out">
              {t('signout')}
            </button>
          </>
        }
      />
      <main className="room-list">
        <p className="room-list__intro">{t('rooms.subtitle')}</p>
        {notice ? (
          <p className="banner banner--info" role="status">
            {notice}
          </p>
        ) : null}
        {failed ? (
          <p className="banner banner--warn" role="alert">
            {t('rooms.loadFailed')}
          </p>
        ) : null}
        {rooms === null ? (
          <p className="muted">{t('rooms.loading')}</p>
        ) : rooms.length === 0 ? (
          <p className="muted">{t('rooms.empty')}</p>
        ) : (
          <ul className="room-list__grid" data-testid="room-list">
            {rooms.map((room) => (
              <RoomCard key={room.slug} room={room} onOpen={onOpen} />
            ))}
          </ul>
        )}
      </main>
    </div>
  );
}

function RoomCard({ room, onOpen }: { room: Room; onOpen: (slug: string) => void }) {
  const online = room.online_count ?? 0;
  return (
    <li>
      <a
        className={`room-card${room.is_archived ? ' room-card--archived' : ''}`}
        href={`#/rooms/${encodeURIComponent(room.slug)}`}
        data-testid={`room-card-${room.slug}`}
        onClick={(e) => {
          e.preventDefault();
          onOpen(room.slug);
        }}
      >
        <span className="room-card__top">
          <bdi className="room-card__name">{room.name}</bdi>
          {room.is_archived ? <span className="tag">{t('rooms.archived')}</span> : null}
        </span>
        {room.description ? (
          <span className="room-card__desc" dir="auto">
            {room.description}
          </span>
        ) : null}
        <span className="room-card__meta">
          <span
            className={`room-card__online${online > 0 ? ' room-card__online--live' : ''}`}
            data-testid={`room-online-${room.slug}`}
            data-count={online}
          >
            <span className="dot" aria-hidden="true" />
            {t('rooms.online', { count: online })}
          </span>
          <span className="room-card__activity" title={room.last_message_at ? formatFull(room.last_message_at) : undefined}>
            {room.last_message_at ? t('rooms.lastActivity', { when: formatAgo(room.last_message_at) }) : t('rooms.noActivity')}
          </span>
        </span>
      </a>
    </li>
  );
}
