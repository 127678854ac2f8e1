import { useCallback, useMemo, useState } from 'react';

import { AppHeader } from '@/components/app-header';
import { SignInScreen } from '@/features/auth/components/sign-in-screen';
import { useAuth } from '@/features/auth/hooks/use-auth';
import { ChatRoomScreen } from '@/features/chat/components/chat-room-screen';
import { RoomListScreen } from '@/features/rooms/components/room-list-screen';
import { SearchPanel } from '@/features/search/components/search-panel';
import { t } from '@/lib/i18n';
import type { Message, Room } from '@/lib/protocol';

import { navigate, roomHref, useRoute } from './router';
import type { Services } from './services';
import { useUnreadAlerts, useUserMemberships } from './use-unread-alerts';

export function App({ services }: { services: Services }) {
  const { state, signedIn, signedOut } = useAuth(services.authApi);
  const route = useRoute();
  const [notice, setNotice] = useState<string | null>(null);
  const signedInAs = state.status === 'signed-in' ? state.user.id : null;
  const memberships = useUserMemberships(signedInAs);
  useUnreadAlerts(memberships, route, signedInAs !== null);
  // A new object per visit of the address, so opening the same message again shows it again.
  const focusMessage = useMemo(() => (route.name === 'room' && route.message ? { id: route.message } : null), [route]);

  const leaveRoom = useCallback((why?: string) => {
    setNotice(why ?? null);
    navigate('#/');
  }, []);

  const endSession = useCallback(
    (why?: string) => {
      setNotice(why ?? null);
      signedOut();
    },
    [signedOut],
  );

  const signOut = useCallback(async () => {
    try {
      await services.authApi.logout();
    } finally {
      endSession();
    }
  }, [services.authApi, endSession]);

  // A search's session ended: to the sign-in screen, as any other 401 does.
  const searchSignedOut = useCallback(() => endSession(t('chat.signedOut')), [endSession]);
  // Rooms by name as the room list last showed them, so results from any room say where they are.
  const [roomNames, setRoomNames] = useState<readonly RoomName[]>([]);
  const rememberRooms = useCallback(
    (rooms: readonly Room[]) => setRoomNames((known) => (sameNames(known, rooms) ? known : rooms.map(({ slug, name }) => ({ slug, name })))),
    [],
  );

  if (state.status === 'loading' || state.status === 'unreachable') {
    return (
      <div className="screen">
        {/* While the config loads nothing has connected, so no status; once it failed, Offline. */}
        <AppHeader title={t('appName')} status={state.status === 'unreachable' ? 'offline' : undefined} />
        <main className="splash">
          {state.status === 'unreachable' ? <p className="banner banner--warn">{t('signin.unreachable')}</p> : null}
        </main>
      </div>
    );
  }

  if (state.status === 'signed-out') {
    return (
      <SignInScreen
        config={state.config}
        authApi={services.authApi}
        notice={notice}
        onSignedIn={(user) => {
          setNotice(null);
          signedIn(user);
        }}
      />
    );
  }

  const searchMaxLength = state.config.limits.search_query_max_length;
  const resultHref = (m: Message) => roomHref(m.room, m.id);

  if (route.name === 'room') {
    return (
      <ChatRoomScreen
        key={route.slug}
        slug={route.slug}
        me={state.user}
        messageMaxLength={state.config.limits.message_max_length}
        mentionsMax={state.config.limits.mentions_max}
        messagesApi={services.messagesApi}
        membershipApi={services.membershipApi}
        memberships={memberships}
        focusMessage={focusMessage}
        createSocket={services.createSocket}
        search={({ slug, room, jumpTo, close }) => (
          <SearchPanel
            api={services.searchApi}
            room={{ slug, name: room?.name ?? slug }}
            rooms={roomNames}
            maxLength={searchMaxLength}
            hrefFor={resultHref}
            // A message of this room is shown in place (its seq says how far back it is); one of
            // another room opens that room at it.
            onOpen={(m) => (m.room === slug ? jumpTo(m.id, m.seq) : navigate(resultHref(m)))}
            onClose={close}
            onUnauthorized={searchSignedOut}
            autoFocus
          />
        )}
        onLeave={leaveRoom}
        onSignedOut={endSession}
      />
    );
  }

  return (
    <RoomListScreen
      user={state.user}
      roomsApi={services.roomsApi}
      membershipApi={services.membershipApi}
      memberships={memberships}
      createLobbySocket={services.createLobbySocket}
      notice={notice}
      onRooms={rememberRooms}
      search={
        <SearchPanel
          api={services.searchApi}
          rooms={roomNames}
          maxLength={searchMaxLength}
          hrefFor={resultHref}
          onOpen={(m) => {
            setNotice(null);
            navigate(resultHref(m));
          }}
          onUnauthorized={searchSignedOut}
        />
      }
      onOpen={(slug) => {
        setNotice(null);
        navigate(roomHref(slug));
      }}
      onSignOut={() => void signOut()}
      onUnauthorized={endSession}
    />
  );
}

type RoomName = Pick<Room, 'slug' | 'name'>;

const sameNames = (known: readonly RoomName[], rooms: readonly RoomName[]) =>
  known.length === rooms.length && known.every((r, i) => r.slug === rooms[i]?.slug && r.name === rooms[i]?.name);
