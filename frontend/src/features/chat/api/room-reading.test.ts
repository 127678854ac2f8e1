import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { createMemberships, roomCounts } from '@/lib/memberships';
import type { Changes, Membership, Message, NotifyLevel } from '@/lib/protocol';
import { RoomSocket } from '@/lib/socket';
import { FakeServer, changes, me, message, room } from '@/test/fake-websocket';

import { RoomSession } from './room-session';

function membership(overrides: Partial<Membership> = {}): Membership {
  return { room: 'general', read_seq: 2, notify: 'mentions', unread_count: 0, mention_count: 0, mention_seqs: [], ...overrides };
}

function setup(changesAnswer: () => Changes = () => changes()) {
  const server = new FakeServer();
  const memberships = createMemberships();
  const membershipApi = {
    update: vi.fn(async (slug: string, patch: { read_seq?: number; notify?: NotifyLevel }) =>
      membership({ room: slug, read_seq: patch.read_seq ?? 2, notify: patch.notify ?? 'mentions' }),
    ),
    summary: vi.fn(async () => ({
      rooms: [room({ slug: 'tech', last_seq: 9 })],
      memberships: [membership({ room: 'tech', read_seq: 5, unread_count: 4, mention_count: 1, mention_seqs: [7] })],
    })),
  };
  const api = {
    changes: vi.fn(async () => changesAnswer()),
    before: vi.fn(async () => ({ messages: [] as Message[], has_more: false })),
    after: vi.fn(async () => ({ messages: [] as Message[], has_more: false })),
    send: vi.fn(async (_slug: string, body: string, clientId: string) => own(100, 5, clientId, body)),
    edit: vi.fn(),
    remove: vi.fn(),
    react: vi.fn(),
    typing: vi.fn(async () => undefined),
    leave: vi.fn(async () => undefined),
  };
  let ids = 0;
  const session = new RoomSession({
    slug: 'general',
    me,
    api,
    memberships,
    membershipApi,
    createSocket: (resumeSince) =>
      new RoomSocket({ url: 'ws://chat.test/ws/rooms/general/', WebSocketImpl: server.Impl, random: () => 1, resumeSince }),
    newClientId: () => `c${++ids}`,
    connectionId: 'conn',
  });
  session.start();
  return { server, session, memberships, membershipApi, api };
}

const own = (id: number, seq: number, clientId: string, body = 'hi') =>
  message(id, seq, { author: { id: me.id, display_name: me.display_name, avatar_url: '' }, client_id: clientId, body });

const window5 = [1, 2, 3, 4, 5].map((n) => message(n, n));
const reads = (server: FakeServer) => server.last.sent.filter((f) => f.type === 'read');

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('RoomSession reading', () => {
  it('gathers what is seen and sends one read after the debounce', () => {
    const { server, session, memberships } = setup();
    server.hello({ messages: window5, room: room({ last_seq: 5, last_event: 5 }), membership: membership({ unread_count: 3 }) });
    session.reading.seen(3);
    session.reading.seen(4);
    expect(reads(server)).toEqual([]);
    vi.advanceTimersByTime(400);
    expect(reads(server)).toEqual([{ type: 'read', seq: 4 }]);
    // Counted at once, before the server's membership comes back.
    expect(roomCounts(memberships.getState(), 'general')).toEqual({ unread: 1, mentions: 0 });
  });

  it('never sends a smaller seq than sent or known, nor one beyond the last seq known', () => {
    const { server, session } = setup();
    server.hello({ messages: window5, room: room({ last_seq: 5, last_event: 5 }), membership: membership({ read_seq: 3, unread_count: 2 }) });
    session.reading.seen(2);
    vi.advanceTimersByTime(500);
    expect(reads(server)).toEqual([]);
    session.reading.seen(99);
    vi.advanceTimersByTime(500);
    expect(reads(server)).toEqual([{ type: 'read', seq: 5 }]);
    session.reading.seen(4);
    vi.advanceTimersByTime(500);
    expect(reads(server)).toEqual([{ type: 'read', seq: 5 }]);
    // Another tab read further: nothing to send for less.
    server.emit({ type: 'membership', membership: membership({ read_seq: 7, unread_count: 0 }) });
    server.emit({ type: 'message.new', event: 6, message: message(6, 6) });
    session.reading.seen(6);
    vi.advanceTimersByTime(500);
    expect(reads(server)).toEqual([{ type: 'read', seq: 5 }]);
  });

  it('reads an own message as soon as its ack comes', () => {
    const { server, session } = setup();
    server.hello({ messages: window5, room: room({ last_seq: 5, last_event: 5 }), membership: membership({ unread_count: 3 }) });
    session.send('mine');
    server.emit({ type: 'ack', client_id: 'c1', message: own(6, 6, 'c1', 'mine') });
    expect(reads(server)).toEqual([{ type: 'read', seq: 6 }]);
  });

  it('sends nothing to a server that keeps no read positions', () => {
    const { server, session } = setup();
    server.hello({ messages: window5 });
    session.reading.seen(5);
    vi.advanceTimersByTime(500);
    session.send('mine');
    server.emit({ type: 'ack', client_id: 'c1', message: own(6, 6, 'c1', 'mine') });
    expect(reads(server)).toEqual([]);
  });

  it('sends again after a reconnect what the server did not get', () => {
    const { server, session } = setup();
    server.hello({ messages: window5, room: room({ last_seq: 5, last_event: 5 }), membership: membership() });
    session.reading.seen(4);
    vi.advanceTimersByTime(400);
    server.drop();
    vi.runOnlyPendingTimers();
    server.hello({ event: 5, room: room({ last_seq: 5, last_event: 5 }), membership: membership() });
    expect(reads(server)).toEqual([{ type: 'read', seq: 4 }]);
  });

  it('routes membership and alert frames of other rooms to the shared summary, and fetches it at start', async () => {
    const { server, memberships, membershipApi } = setup();
    await vi.advanceTimersByTimeAsync(0);
    expect(membershipApi.summary).toHaveBeenCalledTimes(1);
    expect(roomCounts(memberships.getState(), 'tech')).toEqual({ unread: 4, mentions: 1 });
    server.hello({ messages: window5, membership: membership() });
    server.emit({ type: 'alert', reason: 'mention', room: { slug: 'tech', name: 'Tech' }, message: message(50, 10, { room: 'tech' }) });
    expect(roomCounts(memberships.getState(), 'tech')).toEqual({ unread: 5, mentions: 2 });
    server.emit({ type: 'membership', membership: membership({ room: 'tech', read_seq: 10, unread_count: 0 }) });
    expect(roomCounts(memberships.getState(), 'tech')).toEqual({ unread: 0, mentions: 0 });
  });

  it('loads older pages at entry until the first unread message is in the window', async () => {
    const { server, session, api } = setup();
    api.before.mockImplementationOnce(async () => ({ messages: [message(20, 20), message(21, 21)], has_more: true }));
    api.before.mockImplementationOnce(async () => ({ messages: [message(18, 18), message(19, 19)], has_more: true }));
    const latest = [22, 23, 24].map((n) => message(n, n));
    server.hello({ messages: latest, has_more: true, room: room({ last_seq: 24, last_event: 24 }), membership: membership({ read_seq: 18, unread_count: 6 }) });
    // Meanwhile what shows is not reading (the list does not report it).
    expect(session.state.loadingToEntry).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(session.state.loadingToEntry).toBe(false);
    expect(api.before).toHaveBeenCalledTimes(2);
    expect(session.state.messages.map((m) => m.seq)).toEqual([18, 19, 20, 21, 22, 23, 24]);
    expect(session.state.entry).toEqual({ readSeq: 18, lastSeq: 24 });
  });

  it('marks all as read and changes the level by PATCH', async () => {
    const { server, session, membershipApi, memberships } = setup();
    server.hello({ messages: window5, room: room({ last_seq: 5, last_event: 5 }), membership: membership({ unread_count: 3 }) });
    await session.reading.markAllRead();
    expect(membershipApi.update).toHaveBeenCalledWith('general', { read_seq: 5 });
    await session.reading.setNotify('all');
    expect(membershipApi.update).toHaveBeenLastCalledWith('general', { notify: 'all' });
    expect(memberships.getState().rooms.general?.notify).toBe('all');
  });
});

describe('RoomSession reading in HTTP mode', () => {
  it('takes the membership from the polls and reads with PATCH', async () => {
    const { server, session, membershipApi } = setup(() =>
      changes({ messages: window5, room: room({ last_seq: 5, last_event: 5 }), membership: membership({ unread_count: 3 }) }),
    );
    server.drop();
    vi.advanceTimersByTime(600);
    server.drop();
    await vi.waitFor(() => expect(session.connection.getState().status).toBe('http'));
    await vi.waitFor(() => expect(session.state.entry).toEqual({ readSeq: 2, lastSeq: 5 }));
    session.reading.seen(5);
    await vi.advanceTimersByTimeAsync(400);
    expect(membershipApi.update).toHaveBeenCalledWith('general', { read_seq: 5 });
    expect(server.sockets.flatMap((s) => s.sent).filter((f) => f.type === 'read')).toEqual([]);
  });
});
