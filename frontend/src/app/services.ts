import type { AppConfig } from '@/config';
import { createAuthApi } from '@/features/auth/api/auth-api';
import { createMessagesApi } from '@/features/chat/api/messages-api';
import { createRoomsApi } from '@/features/rooms/api/rooms-api';
import { createSearchApi } from '@/features/search/api/search-api';
import { createApiClient } from '@/lib/api-client';
import { createMembershipApi } from '@/lib/membership-api';
import { LobbySocket, RoomSocket } from '@/lib/socket';

/** Everything that talks to the server, built once from the validated config. */
export function createServices(config: AppConfig, pageOrigin = window.location.origin) {
  const api = createApiClient(config.apiBase);
  // The session cookie only reaches a socket on the page's own origin; elsewhere the server
  // takes a short-lived one-time ticket instead, fetched afresh for every attempt.
  const wsOrigin = new URL(config.wsBase).origin.replace(/^ws/, 'http');
  const authParams =
    wsOrigin === pageOrigin
      ? undefined
      : async () => ({ ticket: (await api.post<{ ticket: string }>('/api/ws-ticket/')).ticket });
  return {
    api,
    authApi: createAuthApi(api),
    roomsApi: createRoomsApi(api),
    messagesApi: createMessagesApi(api),
    membershipApi: createMembershipApi(api),
    searchApi: createSearchApi(api),
    createSocket: (slug: string, resumeSince: () => number | null) =>
      new RoomSocket({ url: `${config.wsBase}/ws/rooms/${encodeURIComponent(slug)}/`, resumeSince, authParams }),
    createLobbySocket: () => new LobbySocket({ url: `${config.wsBase}/ws/lobby/`, authParams }),
  };
}

export type Services = ReturnType<typeof createServices>;
