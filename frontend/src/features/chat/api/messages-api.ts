import { ApiError } from '@/lib/api-client';
import type { ApiClient } from '@/lib/api-client';
import { parseChanges, withAuthorStaffFlag } from '@/lib/protocol';
import type { Changes, Message } from '@/lib/protocol';

export interface MessagePage {
  messages: Message[];
  has_more: boolean;
}

const base = (slug: string) => `/api/rooms/${encodeURIComponent(slug)}`;

export function createMessagesApi(api: ApiClient) {
  return {
    /**
     * What changed after room event `since` (the catch-up, also the HTTP fallback's poll), or
     * without it the latest window; with the room itself either way. With `connection` (the HTTP
     * fallback's id for this tab and room) the call is also that connection's presence heartbeat.
     */
    async changes(slug: string, since?: number, connection?: string): Promise<Changes> {
      const answer = parseChanges(await api.get<unknown>(`${base(slug)}/changes/`, { since, connection }));
      if (!answer) {
        throw new ApiError(200, 'invalid_response', 'The server sent an answer this client does not understand.');
      }
      return answer;
    },
    /** The HTTP fallback's `typing` frame. */
    typing: (slug: string) => api.post<void>(`${base(slug)}/typing/`),
    /** Ends the HTTP fallback's connection at once instead of letting it expire. */
    leave: (slug: string, connection: string) =>
      api.del(`${base(slug)}/changes/?${new URLSearchParams({ connection }).toString()}`),
    /**
     * Older history, newest first from the server; returned oldest first like everything else in
     * the app. Without `limit`, the server's page size.
     */
    async before(slug: string, id: number, limit?: number): Promise<MessagePage> {
      const page = await api.get<MessagePage>(`${base(slug)}/messages/`, { before: id, limit });
      return { ...page, messages: [...page.messages].reverse().map(withAuthorStaffFlag) };
    },
    /** Newer history than message `id`, oldest first (the server's order too); `has_more`: newer ones follow. */
    async after(slug: string, id: number, limit?: number): Promise<MessagePage> {
      const page = await api.get<MessagePage>(`${base(slug)}/messages/`, { after: id, limit });
      return { ...page, messages: page.messages.map(withAuthorStaffFlag) };
    },
    /** `replyTo`: the id of the message it answers. */
    async send(slug: string, body: string, clientId: string, replyTo?: number): Promise<Message> {
      const payload = replyTo === undefined ? { body, client_id: clientId } : { body, client_id: clientId, reply_to: replyTo };
      return withAuthorStaffFlag(await api.post<Message>(`${base(slug)}/messages/`, payload));
    },
    /** Adds (`on`) or removes one's `emoji` on message `id`; idempotent. The message with its reactions now. */
    react: async (slug: string, id: number, emoji: string, on: boolean) =>
      withAuthorStaffFlag(await api.post<Message>(`${base(slug)}/messages/${id}/reactions/`, { emoji, on })),
    edit: async (slug: string, id: number, body: string) =>
      withAuthorStaffFlag(await api.patch<Message>(`${base(slug)}/messages/${id}/`, { body })),
    remove: (slug: string, id: number) => api.del(`${base(slug)}/messages/${id}/`),
  };
}

export type MessagesApi = ReturnType<typeof createMessagesApi>;
