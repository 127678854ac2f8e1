import type { ApiClient } from '@/lib/api-client';
import { parseRoomList } from '@/lib/protocol';
import type { RoomList } from '@/lib/protocol';

export function createRoomsApi(api: ApiClient) {
  return {
    /** The rooms in display order, and the user's memberships (the unread summary). */
    list: async (): Promise<RoomList> => parseRoomList(await api.get<unknown>('/api/rooms/')),
  };
}

export type RoomsApi = ReturnType<typeof createRoomsApi>;
