import type { ApiClient } from '@/lib/api-client';
import type { Message, Room } from '@/lib/protocol';

export interface MessagePage {
  messages: Message[];
  has_more: boolean;
}

const base = (slug: string) => `/api/rooms/${encodeURIComponent(slug)}`;

export function createMessagesApi(api: ApiClient) {
  return {
    room: (slug: string) => api.get<Room>(`${base(slug)}/`),
    /** Newest first from the server; returned oldest first like everything else in the app. */
    async latest(slug: string): Promise<MessagePage> {
      const page = await api.get<MessagePage>(`${base(slug)}/messages/`);
      return { ...page, messages: [...page.messages].reverse() };
    },
    async before(slug: string, id: number): Promise<MessagePage> {
      const page = await api.get<MessagePage>(`${base(slug)}/messages/`, { before: id });
      return { ...page, messages: [...page.messages].reverse() };
    },
    after: (slug: string, id: number) =>
      api.get<MessagePage>(`${base(slug)}/messages/`, { after: id, limit: 200 }),
    send: (slug: string, body: string, clientId: string) =>
      api.post<Message>(`${base(slug)}/messages/`, { body, client_id: clientId }),
    edit: (slug: string, id: number, body: string) => api.patch<Message>(`${base(slug)}/messages/${id}/`, { body }),
    remove: (slug: string, id: number) => api.del(`${base(slug)}/messages/${id}/`),
  };
}

export type MessagesApi = ReturnType<typeof createMessagesApi>;
