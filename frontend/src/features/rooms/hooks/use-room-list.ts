import { useEffect, useState } from 'react';

import type { ConnectionState } from '@/lib/connection';
import type { Memberships } from '@/lib/memberships';
import type { Room } from '@/lib/protocol';
import type { LobbySocket } from '@/lib/socket';

import { LobbySession } from '../api/lobby-session';
import type { RoomsApi } from '../api/rooms-api';

export interface RoomListState {
  rooms: Room[] | null;
  connection: ConnectionState;
  /** Neither the lobby socket nor the list API answers. */
  failed: boolean;
}

/**
 * The room list, live from the lobby socket (polling GET /api/rooms/ only while that cannot
 * connect), keeping the user's unread summary in `memberships` up to date. The session is
 * created inside the effect: a closed socket cannot be reopened and React may run effects twice
 * in development.
 */
export function useRoomList(
  roomsApi: RoomsApi,
  createLobbySocket: () => LobbySocket,
  onUnauthorized: () => void,
  memberships: Memberships,
  pollMs = 3000,
): RoomListState {
  const [state, setState] = useState<RoomListState>({
    rooms: null,
    connection: { status: 'connecting', retryAt: null, stoppedBy: null },
    failed: false,
  });

  useEffect(() => {
    const session = new LobbySession({ socket: createLobbySocket(), api: roomsApi, onUnauthorized, memberships, pollMs });
    const publish = () => {
      const { rooms, connection } = session.state;
      setState({ rooms, connection, failed: connection.status === 'offline' });
    };
    const offState = session.changes.subscribe(publish);
    session.start();
    publish();
    const retry = () => session.retryNow();
    const onVisible = () => {
      if (document.visibilityState === 'visible') retry();
    };
    window.addEventListener('online', retry);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.removeEventListener('online', retry);
      document.removeEventListener('visibilitychange', onVisible);
      offState();
      session.stop();
    };
  }, [roomsApi, createLobbySocket, onUnauthorized, memberships, pollMs]);

  return state;
}
