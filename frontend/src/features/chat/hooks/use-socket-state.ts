import { useSyncExternalStore } from 'react';

import type { RoomSocket, SocketState } from '@/lib/socket';

/** Connection state of a room's socket, re-rendering only when it changes. */
export function useSocketState(socket: RoomSocket): SocketState {
  return useSyncExternalStore(socket.subscribe, socket.getState, socket.getState);
}
