import { useEffect, useState } from 'react';

import { ApiError } from '@/lib/api-client';
import type { Room } from '@/lib/protocol';
import type { ConnectionStatus } from '@/lib/socket';

import type { RoomsApi } from '../api/rooms-api';

export interface RoomListState {
  rooms: Room[] | null;
  status: ConnectionStatus;
  failed: boolean;
}

/**
 * Polls the room list while the page is visible: online counts change all the time and the list
 * is cheap; a hidden tab stops asking and refreshes as soon as it is shown again.
 */
export function useRoomList(roomsApi: RoomsApi, onUnauthorized: () => void, intervalMs = 3000): RoomListState {
  const [state, setState] = useState<RoomListState>({ rooms: null, status: 'connecting', failed: false });

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight = false;

    const poll = async () => {
      clearTimeout(timer);
      if (inFlight) return;
      inFlight = true;
      try {
        const rooms = await roomsApi.list();
        if (!cancelled) setState({ rooms, status: 'connected', failed: false });
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) {
          if (!cancelled) onUnauthorized();
          return;
        }
        if (!cancelled) setState((s) => ({ ...s, status: 'offline', failed: true }));
      } finally {
        inFlight = false;
      }
      if (!cancelled && document.visibilityState !== 'hidden') timer = setTimeout(poll, intervalMs);
    };

    const onVisibility = () => {
      if (document.visibilityState === 'visible') void poll();
      else clearTimeout(timer);
    };

    void poll();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      cancelled = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [roomsApi, onUnauthorized, intervalMs]);

  return state;
}
