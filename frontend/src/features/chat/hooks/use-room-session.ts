import { useEffect, useState, useSyncExternalStore } from 'react';

import type { ConnectionState } from '@/lib/connection';
import type { MembershipApi } from '@/lib/membership-api';
import type { Memberships } from '@/lib/memberships';
import type { User } from '@/lib/protocol';
import type { RoomSocket } from '@/lib/socket';

import type { ChatState } from '../api/chat-state';
import type { MessagesApi } from '../api/messages-api';
import { RoomSession } from '../api/room-session';

export type SocketFactory = (slug: string, resumeSince: () => number | null) => RoomSocket;

/**
 * Owns the session of the open room. It is created inside the effect, not during render, because
 * a closed socket cannot be reopened and React may run effects twice in development.
 */
export function useRoomSession(
  slug: string,
  me: User,
  api: MessagesApi,
  createSocket: SocketFactory,
  memberships?: Memberships,
  membershipApi?: MembershipApi,
): RoomSession | null {
  const [session, setSession] = useState<RoomSession | null>(null);

  useEffect(() => {
    const s = new RoomSession({
      slug,
      me,
      api,
      memberships,
      membershipApi,
      createSocket: (resumeSince) => createSocket(slug, resumeSince),
    });
    s.start();
    // Published from the effect that owns it (and stops it): the session cannot be made during
    // render, since its socket cannot be reopened once a development double-run has closed it.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setSession(s);
    const reconnect = () => s.retryNow();
    const onVisible = () => {
      if (document.visibilityState === 'visible') reconnect();
    };
    window.addEventListener('online', reconnect);
    document.addEventListener('visibilitychange', onVisible);
    const typingTimer = setInterval(() => s.expireTyping(), 1000);
    return () => {
      clearInterval(typingTimer);
      window.removeEventListener('online', reconnect);
      document.removeEventListener('visibilitychange', onVisible);
      s.stop();
    };
    // `me` is keyed by id: a new object for the same user must not reopen the room.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [slug, me.id, api, createSocket, memberships, membershipApi]);

  return session;
}

export function useChatState(session: RoomSession): ChatState {
  return useSyncExternalStore(session.store.subscribe, session.store.getState, session.store.getState);
}

/** The room's connection indicator state, re-rendering only when it changes. */
export function useConnectionState(session: RoomSession): ConnectionState {
  return useSyncExternalStore(session.connection.subscribe, session.connection.getState, session.connection.getState);
}
