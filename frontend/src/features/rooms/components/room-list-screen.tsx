import { useCallback, useEffect, useState } from 'react';
import type { ReactNode } from 'react';

import { AppHeader } from '@/components/app-header';
import { UserName } from '@/components/user-name';
import { useMemberships } from '@/hooks/use-memberships';
import { t } from '@/lib/i18n';
import { markRoomRead } from '@/lib/membership-api';
import type { MembershipApi } from '@/lib/membership-api';
import { createMemberships, roomCounts } from '@/lib/memberships';
import type { Memberships } from '@/lib/memberships';
import type { Room, User } from '@/lib/protocol';
import type { LobbySocket } from '@/lib/socket';

import type { RoomsApi } from '../api/rooms-api';
import { useRoomList } from '../hooks/use-room-list';
import { RoomCard } from './room-card';

import './room-list.css';

interface Props {
  user: User;
  roomsApi: RoomsApi;
  createLobbySocket: () => LobbySocket;
  onOpen: (slug: string) => void;
  onSignOut: () => void;
  onUnauthorized: () => void;
  /** For "Mark as read". */
  membershipApi: Pick<MembershipApi, 'update'>;
  /** The user's unread summary, shared with the rooms; a private one when not given. */
  memberships?: Memberships;
  notice?: string | null;
  /** The search box across rooms, drawn by whoever provides search. */
  search?: ReactNode;
  /** The rooms as the list now shows them (for naming rooms elsewhere, such as in search results). */
  onRooms?: (rooms: readonly Room[]) => void;
}

export function RoomListScreen(props: Props) {
  const { user, roomsApi, createLobbySocket, onOpen, onSignOut, onUnauthorized, membershipApi, notice, search, onRooms } = props;
  const [ownMemberships] = useState(createMemberships);
  const memberships = props.memberships ?? ownMemberships;
  const { rooms, connection, failed } = useRoomList(roomsApi, createLobbySocket, onUnauthorized, memberships);
  const unread = useMemberships(memberships);
  useEffect(() => {
    if (rooms) onRooms?.(rooms);
  }, [rooms, onRooms]);
  const markRead = useCallback(
    (slug: string) => {
      const lastSeq = memberships.getState().lastSeq[slug];
      // Refused or unanswered: the counts stay as the server's next word says.
      if (lastSeq !== undefined) markRoomRead(memberships, membershipApi, slug, lastSeq).catch(() => undefined);
    },
    [memberships, membershipApi],
  );

  return (
    <div className="screen">
      <AppHeader
        title={t('rooms.title')}
        // Signing in (or leaving a room) lands here: start keyboard and screen-reader users at the top.
        focusTitle
        offerNotifications
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
        {search ? <div className="room-list__search">{search}</div> : null}
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
              <RoomCard key={room.slug} room={room} counts={roomCounts(unread, room.slug)} onOpen={onOpen} onMarkRead={markRead} />
            ))}
          </ul>
        )}
      </main>
    </div>
  );
}
