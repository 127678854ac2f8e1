import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ApiError } from '@/lib/api-client';
import { createMemberships, roomCounts } from '@/lib/memberships';
import type { Room } from '@/lib/protocol';
import { LobbySocket } from '@/lib/socket';
import { FakeServer, message, room } from '@/test/fake-websocket';

import { LobbySession, mergeRooms } from './lobby-session';

const general = room({ slug: 'general', name: 'General', online_count: 1 });
const tech = room({ slug: 'tech', name: 'Tech', online_count: 0 });
const old = room({ slug: 'old', name: 'Old', is_archived: true });

function setup(list: () => Promise<Room[]> = async () => [general, tech], hidden = () => false) {
  const server = new FakeServer();
  const api = { list: vi.fn(async () => ({ rooms: await list(), memberships: [] })) };
  const onUnauthorized = vi.fn();
  const session = new LobbySession({
    socket: new LobbySocket({ url: 'ws://chat.test/ws/lobby/', WebSocketImpl: server.Impl, random: () => 1 }),
    api,
    onUnauthorized,
    isHidden: hidden,
  });
  session.start();
  return { server, session, api, onUnauthorized };
}

const slugs = (session: LobbySession) => session.state.rooms?.map((r) => r.slug);
const counts = (session: LobbySession) => session.state.rooms?.map((r) => r.online_count);
const status = (session: LobbySession) => session.state.connection.status;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('mergeRooms', () => {
  it('replaces rows by slug, adds new rooms, keeps archived rooms last in their order', () => {
    const held = [general, tech, old];
    const merged = mergeRooms(held, [room({ slug: 'tech', name: 'Tech', is_archived: true }), room({ slug: 'new', name: 'New' })]);
    expect(merged.map((r) => `${r.slug}${r.is_archived ? '*' : ''}`)).toEqual(['general', 'new', 'tech*', 'old*']);
  });
});

describe('LobbySession', () => {
  it('takes the list from the lobby frame and replaces rows from rooms.updated, without polling', async () => {
    const { server, session, api } = setup();
    expect(status(session)).toBe('connecting');
    server.open();
    server.emit({ type: 'lobby', rooms: [general, tech, old] });
    expect(status(session)).toBe('connected');
    expect(slugs(session)).toEqual(['general', 'tech', 'old']);
    server.emit({ type: 'rooms.updated', rooms: [room({ slug: 'tech', name: 'Tech', online_count: 4 })] });
    expect(counts(session)).toEqual([1, 4, undefined]);
    // The heartbeat keeps the socket alive (the server closes one that stops pinging with 4408).
    for (let i = 0; i < 2; i++) {
      await vi.advanceTimersByTimeAsync(25_000);
      server.emit({ type: 'pong' });
    }
    expect(server.last.sent.filter((f) => f.type === 'ping')).toHaveLength(2);
    expect(api.list).not.toHaveBeenCalled();
    expect(status(session)).toBe('connected');
  });

  it('polls GET /api/rooms/ every 3 s only while the socket cannot connect, in HTTP mode while that answers', async () => {
    const { server, session, api } = setup();
    server.drop();
    expect(api.list).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(status(session)).toBe('http');
    expect(slugs(session)).toEqual(['general', 'tech']);
    await vi.advanceTimersByTimeAsync(3000);
    expect(api.list).toHaveBeenCalledTimes(2);

    await vi.advanceTimersByTimeAsync(2000);
    server.open();
    server.emit({ type: 'lobby', rooms: [tech] });
    expect(status(session)).toBe('connected');
    const calls = api.list.mock.calls.length;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(api.list).toHaveBeenCalledTimes(calls);
    expect(slugs(session)).toEqual(['tech']);
  });

  it('ignores a poll answered after the socket connected: its frames are newer', async () => {
    let answer: (rooms: Room[]) => void = () => undefined;
    const { server, session } = setup(() => new Promise((resolve) => (answer = resolve)));
    server.drop();
    await vi.advanceTimersByTimeAsync(500);
    server.open();
    server.emit({ type: 'lobby', rooms: [tech] });
    answer([general, tech]);
    await vi.advanceTimersByTimeAsync(0);
    expect(slugs(session)).toEqual(['tech']);
    expect(status(session)).toBe('connected');
  });

  it('is Offline while neither answers and comes back when one does', async () => {
    let down = true;
    const { server, session } = setup(async () => {
      if (down) throw new ApiError(0, 'network', 'down');
      return [general];
    });
    server.drop();
    expect(status(session)).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(0);
    expect(status(session)).toBe('offline');
    down = false;
    await vi.advanceTimersByTimeAsync(3000);
    // The list came by HTTP, and the socket tries again at once: Reconnecting until it fails.
    expect(slugs(session)).toEqual(['general']);
    expect(status(session)).toBe('reconnecting');
    server.drop();
    await vi.advanceTimersByTimeAsync(3000);
    expect(status(session)).toBe('http');
  });

  it('reconnects at once after 4408 and stays on the socket', async () => {
    const { server, session, api } = setup();
    server.open();
    server.emit({ type: 'lobby', rooms: [general] });
    server.drop(4408);
    await vi.advanceTimersByTimeAsync(0);
    expect(server.sockets).toHaveLength(2);
    server.open();
    server.emit({ type: 'lobby', rooms: [general, tech] });
    expect(status(session)).toBe('connected');
    expect(slugs(session)).toEqual(['general', 'tech']);
    await vi.advanceTimersByTimeAsync(9000);
    expect(api.list).not.toHaveBeenCalled();
  });

  it('with a list held, polls only once a reconnect failed too', async () => {
    const { server, session, api } = setup();
    server.open();
    server.emit({ type: 'lobby', rooms: [general] });
    server.drop();
    expect(status(session)).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(500);
    expect(api.list).not.toHaveBeenCalled();
    server.drop();
    expect(api.list).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(status(session)).toBe('http');
  });

  it('hands over to sign-in on 4401 from the socket, without polling', async () => {
    const { server, api, onUnauthorized } = setup();
    server.open();
    server.drop(4401);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(api.list).not.toHaveBeenCalled();
  });

  it('hands over to sign-in on a 401 from the poll and stops', async () => {
    const { server, api, onUnauthorized } = setup(async () => {
      throw new ApiError(401, 'not_authenticated', 'Sign in.');
    });
    server.drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(api.list).toHaveBeenCalledTimes(1);
    expect(server.sockets).toHaveLength(1);
  });

  it('does not poll while the tab is hidden, and catches up when asked to retry', async () => {
    let hidden = true;
    const { server, session, api } = setup(undefined, () => hidden);
    server.drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.list).not.toHaveBeenCalled();
    hidden = false;
    session.retryNow();
    expect(api.list).toHaveBeenCalledTimes(1);
    expect(server.sockets).toHaveLength(2);
  });

  it('closes the socket and stops polling when stopped', async () => {
    const { server, session, api } = setup();
    server.drop();
    session.stop();
    const calls = api.list.mock.calls.length;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(api.list).toHaveBeenCalledTimes(calls);
    expect(server.sockets).toHaveLength(1);
  });

  it('keeps the unread summary from the lobby frame, rows, membership and alert frames, and the poll', async () => {
    const server = new FakeServer();
    const memberships = createMemberships();
    const mine = { room: 'general', read_seq: 5, notify: 'mentions' as const, unread_count: 1, mention_count: 0, mention_seqs: [] };
    const api = { list: vi.fn(async () => ({ rooms: [room({ slug: 'general', last_seq: 9 })], memberships: [{ ...mine, unread_count: 4 }] })) };
    const session = new LobbySession({
      socket: new LobbySocket({ url: 'ws://chat.test/ws/lobby/', WebSocketImpl: server.Impl, random: () => 1 }),
      api,
      onUnauthorized: vi.fn(),
      memberships,
      isHidden: () => false,
    });
    session.start();
    server.open();
    server.emit({ type: 'lobby', rooms: [room({ slug: 'general', last_seq: 6 })], memberships: [mine] });
    expect(roomCounts(memberships.getState(), 'general')).toEqual({ unread: 1, mentions: 0 });
    server.emit({ type: 'rooms.updated', rooms: [room({ slug: 'general', last_seq: 7 })] });
    server.emit({ type: 'alert', reason: 'mention', room: { slug: 'general', name: 'General' }, message: message(30, 8) });
    expect(roomCounts(memberships.getState(), 'general')).toEqual({ unread: 3, mentions: 1 });
    server.emit({ type: 'membership', membership: { ...mine, read_seq: 8, unread_count: 0 } });
    expect(roomCounts(memberships.getState(), 'general')).toEqual({ unread: 0, mentions: 0 });
    // Polling while the socket cannot connect brings the summary too.
    server.drop();
    await vi.advanceTimersByTimeAsync(500);
    server.drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.list).toHaveBeenCalled();
    expect(roomCounts(memberships.getState(), 'general')).toEqual({ unread: 1, mentions: 0 });
  });
});
