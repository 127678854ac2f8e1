import type { AppConfig } from '@/config';
import { createAuthApi } from '@/features/auth/api/auth-api';
import { createMessagesApi } from '@/features/chat/api/messages-api';
import { createRoomsApi } from '@/features/rooms/api/rooms-api';
import { createApiClient } from '@/lib/api-client';
import { RoomSocket } from '@/lib/socket';

/** Everything that talks to the server, built once from the validated config. */
export function createServices(config: AppConfig) {
  const api = createApiClient(config.apiBase);
  return {
    api,
    authApi: createAuthApi(api),
    roomsApi: createRoomsApi(api),
    messagesApi: createMessagesApi(api),
    createSocket: (slug: string, resumeAfter: () => number | null) =>
      new RoomSocket({ url: `${config.wsBase}/ws/rooms/${encodeURIComponent(slug)}/`, resumeAfter }),
  };
}

export type Services = ReturnType<typeof createServices>;
