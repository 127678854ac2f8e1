import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ApiError } from '@/lib/api-client';
import type { Message } from '@/lib/protocol';
import { RoomSocket } from '@/lib/socket';
import { FakeServer, me, message } from '@/test/fake-websocket';

import type { MessagesApi } from './messages-api';
import { RoomSession } from './room-session';

function fakeApi(overrides: Record<string, unknown> = {}) {
  const defaults = {
    room: vi.fn(async () => ({ slug: 'general', name: 'General', description: '', is_archived: false, last_seq: 0, online_count: 2 })),
    latest: vi.fn(async () => ({ messages: [] as Message[], has_more: false })),
    before: vi.fn(async () => ({ messages: [] as Message[], has_more: false })),
    after: vi.fn(async () => ({ messages: [] as Message[], has_more: false })),
    send: vi.fn(async (_slug: string, body: string, clientId: string) => message(100, 1, { body, client_id: clientId, author: me })),
    edit: vi.fn(),
    remove: vi.fn(),
  };
  return { ...defaults, ...overrides } as typeof defaults;
}

function setup(api = fakeApi()) {
  const server = new FakeServer();
  let ids = 0;
  const session = new RoomSession({
    slug: 'general',
    me,
    api: api as unknown as MessagesApi,
    createSocket: (resumeAfter) =>
      new RoomSocket({ url: 'ws://chat.test/ws/rooms/general/', WebSocketImpl: server.Impl, random: () => 1, resumeAfter }),
    newClientId: () => `c${++ids}`,
  });
  session.start();
  return { server, session, api };
}

const own = (id: number, seq: number, clientId: string, body = 'hi') =>
  message(id, seq, { author: { id: me.id, display_name: me.display_name, avatar_url: '' }, client_id: clientId, body });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('RoomSession over the WebSocket', () => {
  it('shows a send as pending at once and replaces it with the acked message', () => {
    const { server, session } = setup();
    server.hello();
    session.send('hi');
    expect(session.state.pending).toMatchObject([{ clientId: 'c1', body: 'hi', status: 'pending' }]);
    expect(server.last.sent).toEqual([{ type: 'send', body: 'hi', client_id: 'c1' }]);
    server.emit({ type: 'ack', client_id: 'c1', message: own(7, 1, 'c1') });
    server.emit({ type: 'message.new', message: own(7, 1, 'c1') });
    expect(session.state.pending).toEqual([]);
    expect(session.state.messages.map((m) => m.id)).toEqual([7]);
  });

  it('marks a rejected send as failed with the reason, and a retry reuses the client_id', () => {
    const { server, session } = setup();
    server.hello();
    session.send('hi');
    server.emit({ type: 'error', code: 'rate_limited', detail: 'wait', client_id: 'c1', retry_after: 3 });
    expect(session.state.pending[0]).toMatchObject({
      status: 'failed',
      error: { code: 'rate_limited', retryAfter: 3 },
    });
    session.retry('c1');
    expect(session.state.pending[0]?.status).toBe('pending');
    expect(server.last.sent.at(-1)).toEqual({ type: 'send', body: 'hi', client_id: 'c1' });
  });

  it('holds each message once when hello, live frames and catch-up overlap', () => {
    const { server, session } = setup();
    server.hello({ messages: [message(1, 1), message(2, 2)] });
    server.emit({ type: 'message.new', message: message(2, 2) });
    server.emit({ type: 'message.new', message: message(3, 3) });
    server.drop();
    vi.runOnlyPendingTimers();
    expect(new URL(server.last.url).searchParams.get('after')).toBe('3');
    server.hello({ messages: [message(3, 3), message(4, 4)] });
    expect(session.state.messages.map((m) => m.id)).toEqual([1, 2, 3, 4]);
  });

  it('resends an unacknowledged message after a reconnect with the same client_id, once', () => {
    const { server, session } = setup();
    server.hello();
    session.send('hi');
    server.drop();
    vi.runOnlyPendingTimers();
    server.hello();
    expect(server.last.sent).toEqual([{ type: 'send', body: 'hi', client_id: 'c1' }]);
  });

  it('does not resend what the catch-up shows was stored before the drop', () => {
    const { server, session } = setup();
    server.hello();
    session.send('hi');
    server.drop();
    vi.runOnlyPendingTimers();
    server.hello({ messages: [own(9, 1, 'c1')] });
    expect(server.last.sent).toEqual([]);
    expect(session.state.pending).toEqual([]);
    expect(session.state.messages.map((m) => m.id)).toEqual([9]);
  });

  it('catches up over REST when a seq is skipped', async () => {
    const api = fakeApi({ after: vi.fn(async () => ({ messages: [message(11, 2)], has_more: false })) });
    const { server, session } = setup(api);
    server.hello({ messages: [message(10, 1)] });
    server.emit({ type: 'message.new', message: message(12, 3) });
    await vi.waitFor(() => expect(session.state.messages.map((m) => m.id)).toEqual([10, 11, 12]));
    expect(api.after).toHaveBeenCalledWith('general', 10);
  });

  it('fills a hole left behind its own acked message', async () => {
    // The live frame for seq 2 was lost; the ack for our own seq 3 arrives first.
    const api = fakeApi({
      after: vi.fn(async () => ({ messages: [message(11, 2), own(12, 3, 'c1')], has_more: false })),
    });
    const { server, session } = setup(api);
    server.hello({ messages: [message(10, 1)] });
    session.send('hi');
    server.emit({ type: 'ack', client_id: 'c1', message: own(12, 3, 'c1') });
    await vi.waitFor(() => expect(session.state.messages.map((m) => m.id)).toEqual([10, 11, 12]));
    expect(api.after).toHaveBeenCalledWith('general', 10);
    server.emit({ type: 'pong', last_seq: 3 });
    expect(api.after).toHaveBeenCalledTimes(1);
  });

  it('catches up when a pong reports a higher last_seq than held', async () => {
    const api = fakeApi({ after: vi.fn(async () => ({ messages: [message(11, 2)], has_more: false })) });
    const { server, session } = setup(api);
    server.hello({ messages: [message(10, 1)] });
    server.emit({ type: 'pong', last_seq: 2 });
    await vi.waitFor(() => expect(session.state.messages.map((m) => m.id)).toEqual([10, 11]));
  });

  it('adds join and leave notices and tracks who is online', () => {
    const { server, session } = setup();
    server.hello();
    const jun = { id: 2, display_name: 'Jun', avatar_url: '' };
    server.emit({ type: 'presence', event: 'join', user: jun, online_count: 2 });
    expect(session.state.onlineCount).toBe(2);
    expect(session.state.online.map((u) => u.id)).toEqual([1, 2]);
    server.emit({ type: 'presence', event: 'leave', user: jun, online_count: 1 });
    expect(session.state.notices.map((n) => n.event)).toEqual(['join', 'leave']);
    expect(session.state.online.map((u) => u.id)).toEqual([1]);
  });

  it('sends typing at most once per 2 s', () => {
    const { server, session } = setup();
    server.hello();
    session.notifyTyping();
    session.notifyTyping();
    vi.advanceTimersByTime(1999);
    session.notifyTyping();
    vi.advanceTimersByTime(1);
    session.notifyTyping();
    expect(server.last.sent.filter((f) => f.type === 'typing')).toHaveLength(2);
  });
});

describe('RoomSession in HTTP mode', () => {
  function failThreeTimes(server: FakeServer) {
    server.drop();
    vi.advanceTimersByTime(600);
    server.drop();
    vi.advanceTimersByTime(1100);
    server.drop();
  }

  it('loads the room over REST, sends with POST and polls ?after=', async () => {
    const api = fakeApi({
      latest: vi.fn(async () => ({ messages: [message(5, 1)], has_more: true })),
      send: vi.fn(async (_slug: string, body: string, clientId: string) => own(100, 2, clientId, body)),
    });
    const { server, session } = setup(api);
    failThreeTimes(server);
    expect(session.socket.getState().status).toBe('http');
    await vi.waitFor(() => expect(session.state.ready).toBe(true));
    expect(session.state.messages.map((m) => m.id)).toEqual([5]);

    session.send('over http');
    await vi.waitFor(() => expect(session.state.pending).toEqual([]));
    expect(api.send).toHaveBeenCalledWith('general', 'over http', 'c1');
    expect(session.state.messages.map((m) => m.body)).toContain('over http');

    await vi.advanceTimersByTimeAsync(2000);
    expect(api.after).toHaveBeenCalledWith('general', 100);
  });

  it('keeps a message pending while the server is unreachable and posts it on a later poll', async () => {
    let down = true;
    const api = fakeApi({
      send: vi.fn(async (_s: string, body: string, clientId: string) => {
        if (down) throw new ApiError(0, 'network', 'down');
        return own(50, 1, clientId, body);
      }),
    });
    const { server, session } = setup(api);
    failThreeTimes(server);
    await vi.waitFor(() => expect(session.state.ready).toBe(true));
    session.send('hi');
    await vi.advanceTimersByTimeAsync(0);
    expect(session.state.pending[0]?.status).toBe('pending');
    down = false;
    await vi.advanceTimersByTimeAsync(2000);
    expect(session.state.pending).toEqual([]);
    expect(api.send.mock.calls.every(([, , id]) => id === 'c1')).toBe(true);
  });

  it('marks an HTTP rejection as failed', async () => {
    const api = fakeApi({
      send: vi.fn(async () => {
        throw new ApiError(400, 'body_too_long', 'too long');
      }),
    });
    const { server, session } = setup(api);
    failThreeTimes(server);
    await vi.waitFor(() => expect(session.state.ready).toBe(true));
    session.send('x'.repeat(5000));
    await vi.waitFor(() => expect(session.state.pending[0]?.status).toBe('failed'));
    expect(session.state.pending[0]?.error?.code).toBe('body_too_long');
  });

  it('hands a POST that failed while the socket came back over to the socket', async () => {
    let rejectPost: (e: unknown) => void = () => undefined;
    const api = fakeApi({
      send: vi.fn(
        () =>
          new Promise((_resolve, reject) => {
            rejectPost = reject;
          }),
      ),
    });
    const { server, session } = setup(api);
    failThreeTimes(server);
    await vi.waitFor(() => expect(session.state.ready).toBe(true));
    session.send('in flight');
    await vi.advanceTimersByTimeAsync(0);
    vi.runOnlyPendingTimers();
    server.hello();
    expect(server.last.sent).toEqual([]);
    rejectPost(new ApiError(0, 'network', 'down'));
    await vi.advanceTimersByTimeAsync(0);
    expect(server.last.sent).toEqual([{ type: 'send', body: 'in flight', client_id: 'c1' }]);
  });

  it('ends the room when REST says it does not exist, and stops trying', async () => {
    const api = fakeApi({
      room: vi.fn(async () => {
        throw new ApiError(404, 'not_found', 'No such room.');
      }),
    });
    const { server, session } = setup(api);
    failThreeTimes(server);
    await vi.waitFor(() => expect(session.state.endedBy).toBe(4404));
    const sockets = server.sockets.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.sockets).toHaveLength(sockets);
    expect(api.room).toHaveBeenCalledTimes(1);
  });

  it('stops polling once the WebSocket works again', async () => {
    const { server, session, api } = setup();
    failThreeTimes(server);
    await vi.advanceTimersByTimeAsync(2000);
    vi.runOnlyPendingTimers();
    server.hello();
    expect(session.socket.getState().status).toBe('connected');
    const calls = api.after.mock.calls.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(api.after.mock.calls.length).toBe(calls);
  });
});
