import { ApiError } from './api-client';
import type { ApiClient } from './api-client';
import type { Memberships } from './memberships';
import { parseMembers, parseMembership, parseRoomList } from './protocol';
import type { Member, Membership, NotifyLevel, RoomList } from './protocol';

/**
 * The REST side of memberships, which both the room list and a room use: the unread summary,
 * reading and the notification level of one room, and who can be mentioned there.
 */

const base = (slug: string) => `/api/rooms/${encodeURIComponent(slug)}`;

function checked(v: unknown): Membership {
  const membership = parseMembership(v);
  if (!membership) throw new ApiError(200, 'invalid_response', 'The server sent an answer this client does not understand.');
  return membership;
}

export function createMembershipApi(api: ApiClient) {
  return {
    /** `GET /api/rooms/`: every room and the user's memberships. */
    summary: async (): Promise<RoomList> => parseRoomList(await api.get<unknown>('/api/rooms/')),
    get: async (slug: string): Promise<Membership> => checked(await api.get<unknown>(`${base(slug)}/membership/`)),
    /** Moves the read position (never back: the server ignores a smaller one) and/or the level. */
    update: async (slug: string, patch: { read_seq?: number; notify?: NotifyLevel }): Promise<Membership> =>
      checked(await api.patch<unknown>(`${base(slug)}/membership/`, patch)),
    /** At most 20 people who entered the room whose name contains `q`, online first. */
    members: async (slug: string, q: string): Promise<Member[]> =>
      parseMembers(await api.get<unknown>(`${base(slug)}/members/`, { q })),
  };
}

export type MembershipApi = ReturnType<typeof createMembershipApi>;

/**
 * "Mark all as read": counted as read here at once, then told to the server, whose answer (the
 * membership as stored) is taken. Throws the server's refusal.
 */
export async function markRoomRead(
  memberships: Memberships,
  api: Pick<MembershipApi, 'update'>,
  slug: string,
  seq: number,
): Promise<Membership> {
  memberships.dispatch({ type: 'read', room: slug, seq });
  const answer = await api.update(slug, { read_seq: seq });
  memberships.dispatch({ type: 'memberships', memberships: [answer] });
  return answer;
}

/** Changes a room's notification level, shown at once; put back if the server refuses. */
export async function setRoomNotify(
  memberships: Memberships,
  api: Pick<MembershipApi, 'update'>,
  slug: string,
  notify: NotifyLevel,
): Promise<Membership> {
  const before = memberships.getState().rooms[slug]?.notify;
  memberships.dispatch({ type: 'notify', room: slug, notify });
  try {
    const answer = await api.update(slug, { notify });
    memberships.dispatch({ type: 'memberships', memberships: [answer] });
    return answer;
  } catch (err) {
    if (before && memberships.getState().rooms[slug]?.notify === notify) {
      memberships.dispatch({ type: 'notify', room: slug, notify: before });
    }
    throw err;
  }
}
