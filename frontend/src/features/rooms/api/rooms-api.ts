import type { ApiClient } from '@/lib/api-client';
import type { Room } from '@/lib/protocol';

export function createRoomsApi(api: ApiClient) {
  return {
    list: async (): Promise<Room[]> => (await api.get<{ rooms: Room[] }>('/api/rooms/')).rooms,
  };
}

export type RoomsApi = ReturnType<typeof createRoomsApi>;
