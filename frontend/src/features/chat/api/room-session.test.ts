import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ApiError } from '@/lib/api-client';
import type { Changes, Message } from '@/lib/protocol';
import { RoomSocket } from '@/lib/socket';
import { FakeServer, change, changes, jun, live, me, message, presenceFrame, room } from '@/test/fake-websocket';

import { RoomSession } from './room-session';

function fakeApi(overrides: Record<string, unknown> = {}) {
  const defaults = {
    changes: vi.fn(async (_slug: string, _since?: number, _connection?: string): Promise<Changes> => changes()),
    before: vi.fn(async () => ({ messages: [] as Message[], has_more: false })),
    after: vi.fn(async () => ({ messages: [] as Message[], has_more: false })),
    send: vi.fn(async (_slug: string, body: string, clientId: string) => message(100, 1, { body, client_id: clientId, author: me })),
    edit: vi.fn(async (_slug: string, _id: number, _body: string): Promise<Message> => {
      throw new Error('not expected');
    }),
    remove: vi.fn(async (_slug: string, _id: number): Promise<void> => undefined),
    typing: vi.fn(async (_slug: string): Promise<void> => undefined),
    leave: vi.fn(async (_slug: string, _connection: string): Promise<void> => undefined),
    react: vi.fn(async (_slug: string, _id: number, _emoji: string, _on: boolean): Promise<Message> => {
      throw new Error('not expected');
    }),
  };
  return { ...defaults, ...overrides };
}

const CONN = 'tab-conn-1';

function setup(api = fakeApi()) {
  const server = new FakeServer();
  let ids = 0;
  const session = new RoomSession({
    slug: 'general',
    me,
    api,
    createSocket: (resumeSince) =>
      new RoomSocket({ url: 'ws://chat.test/ws/rooms/general/', WebSocketImpl: server.Impl, random: () => 1, resumeSince }),
    newClientId: () => `c${++ids}`,
    connectionId: CONN,
  });
  session.start();
  return { server, session, api };
}

const own = (id: number, seq: number, clientId: string, body = 'hi') =>
  message(id, seq, { author: { id: me.id, display_name: me.display_name, avatar_url: '' }, client_id: clientId, body });

const since = (server: FakeServer) => new URL(server.last.url).searchParams.get('since');
const bodies = (session: RoomSession) => session.state.messages.map((m) => (m.deleted ? `${m.id}:deleted` : `${m.id}:${m.body}`));

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
    server.emit(live('message.new', own(7, 1, 'c1')));
    expect(session.state.pending).toEqual([]);
    expect(session.state.messages.map((m) => m.id)).toEqual([7]);
    expect(session.state.head).toBe(1);
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

  it('holds each message once when hello, live frames and catch-up overlap, and resumes with since=head', () => {
    const { server, session } = setup();
    server.hello({ messages: [message(1, 1), message(2, 2)] });
    server.emit(live('message.new', message(2, 2)));
    server.emit(live('message.new', message(3, 3)));
    server.drop();
    vi.runOnlyPendingTimers();
    expect(since(server)).toBe('3');
    expect(new URL(server.last.url).searchParams.has('after')).toBe(false);
    server.hello({ messages: [message(3, 3), message(4, 4)] });
    expect(session.state.messages.map((m) => m.id)).toEqual([1, 2, 3, 4]);
    expect(session.state.head).toBe(4);
  });

  it('opens without since before anything was applied', () => {
    const { server } = setup();
    server.drop();
    vi.runOnlyPendingTimers();
    expect(new URL(server.last.url).searchParams.has('since')).toBe(false);
  });

  it('applies an edit and a delete missed during a disconnect from the catch-up hello', () => {
    const { server, session, api } = setup();
    server.hello({ messages: [message(1, 1), message(2, 2), message(3, 3)] });
    server.drop();
    vi.runOnlyPendingTimers();
    expect(since(server)).toBe('3');
    server.hello({
      event: 6,
      messages: [
        message(1, 1, { event: 4, body: 'fixed', edited_at: '2026-11-23T10:05:00Z' }),
        message(2, 2, { event: 5, deleted: true, body: '' }),
        message(4, 4, { event: 6 }),
      ],
    });
    expect(bodies(session)).toEqual(['1:fixed', '2:deleted', '3:message 3', '4:message 4']);
    expect(session.state.head).toBe(6);
    expect(api.changes).not.toHaveBeenCalled();
  });

  it('replaces the window on a resync hello without a REST reload, and resends pending sends', () => {
    const { server, session, api } = setup();
    server.hello({ messages: [message(1, 1), message(2, 2)], has_more: false });
    session.send('hi');
    server.drop();
    vi.runOnlyPendingTimers();
    server.hello({ resync: true, event: 700, has_more: true, messages: [message(600, 550, { event: 690 }), message(601, 551, { event: 700 })] });
    expect(session.state.messages.map((m) => m.id)).toEqual([600, 601]);
    expect(session.state.hasMore).toBe(true);
    expect(session.state.head).toBe(700);
    expect(session.state.pending).toMatchObject([{ clientId: 'c1', status: 'pending' }]);
    expect(server.last.sent).toEqual([{ type: 'send', body: 'hi', client_id: 'c1' }]);
    expect(api.changes).not.toHaveBeenCalled();
  });

  it('never lets a stale copy (a lower event) overwrite a newer one', async () => {
    const api = fakeApi({
      changes: vi.fn(async () => changes({ event: 5, messages: [message(1, 1, { event: 3, body: 'v1', edited_at: '2026-11-23T10:01:00Z' })] })),
    });
    const { server, session } = setup(api);
    server.hello({ messages: [message(1, 1)] });
    server.emit(live('message.edited', message(1, 1, { event: 4, body: 'v2', edited_at: '2026-11-23T10:02:00Z' })));
    server.emit(live('message.edited', message(1, 1, { event: 3, body: 'v1', edited_at: '2026-11-23T10:01:00Z' })));
    await vi.waitFor(() => expect(session.state.head).toBe(5));
    expect(bodies(session)).toEqual(['1:v2']);
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

  it('catches up with one changes call when a live frame skips an event, and head ends at the answer', async () => {
    const api = fakeApi({
      changes: vi.fn(async () => changes({ event: 9, messages: [message(11, 2, { event: 3 }), message(10, 1, { event: 9, body: 'edited' })] })),
    });
    const { server, session } = setup(api);
    server.hello({ messages: [message(10, 1)] });
    server.emit(live('message.new', message(12, 3, { event: 4 })));
    expect(session.state.messages.map((m) => m.id)).toEqual([10, 12]);
    await vi.waitFor(() => expect(session.state.head).toBe(9));
    expect(api.changes).toHaveBeenCalledTimes(1);
    expect(api.changes).toHaveBeenCalledWith('general', 1);
    expect(bodies(session)).toEqual(['10:edited', '11:message 11', '12:message 12']);
    expect(session.state.ahead).toEqual([]);
  });

  it('does not catch up for frames that arrive in order or repeat what hello held', async () => {
    const { server, session, api } = setup();
    server.hello({ messages: [message(10, 1), message(11, 2)] });
    server.emit(live('message.new', message(11, 2)));
    server.emit(live('message.new', message(12, 3)));
    server.emit(live('message.edited', message(12, 3, { event: 4, body: 'x' })));
    server.emit({ type: 'room.updated', event: 5, room: room({ last_event: 5, description: 'new' }) });
    server.emit({ type: 'pong', last_seq: 3, last_event: 5 });
    await vi.advanceTimersByTimeAsync(0);
    expect(api.changes).not.toHaveBeenCalled();
    expect(session.state.head).toBe(5);
    expect(session.state.room?.description).toBe('new');
  });

  it('shares one catch-up among concurrent gaps, plus one rerun', async () => {
    const answers: ((c: Changes) => void)[] = [];
    const api = fakeApi({ changes: vi.fn(() => new Promise<Changes>((resolve) => answers.push(resolve))) });
    const { server, session } = setup(api);
    server.hello({ messages: [message(10, 1)] });
    server.emit(live('message.new', message(12, 3)));
    server.emit(live('message.new', message(14, 5)));
    server.emit({ type: 'pong', last_event: 6 });
    expect(api.changes).toHaveBeenCalledTimes(1);
    answers[0]?.(changes({ event: 5, messages: [message(11, 2), message(13, 4)] }));
    await vi.waitFor(() => expect(api.changes).toHaveBeenCalledTimes(2));
    expect(api.changes).toHaveBeenLastCalledWith('general', 5);
    answers[1]?.(changes({ event: 6, messages: [message(15, 6)] }));
    await vi.waitFor(() => expect(session.state.head).toBe(6));
    expect(session.state.messages.map((m) => m.id)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(api.changes).toHaveBeenCalledTimes(2);
  });

  it('fills a hole left behind its own acked message', async () => {
    // The live frame for event 2 was lost; the ack for our own event 3 arrives first.
    const api = fakeApi({
      changes: vi.fn(async () => changes({ messages: [message(11, 2), own(12, 3, 'c1')] })),
    });
    const { server, session } = setup(api);
    server.hello({ messages: [message(10, 1)] });
    session.send('hi');
    server.emit({ type: 'ack', client_id: 'c1', message: own(12, 3, 'c1') });
    await vi.waitFor(() => expect(session.state.messages.map((m) => m.id)).toEqual([10, 11, 12]));
    expect(api.changes).toHaveBeenCalledWith('general', 1);
    expect(session.state.head).toBe(3);
    server.emit({ type: 'pong', last_seq: 3, last_event: 3 });
    await vi.advanceTimersByTimeAsync(0);
    expect(api.changes).toHaveBeenCalledTimes(1);
  });

  it('catches up when a pong reports a last_event ahead of head', async () => {
    const api = fakeApi({
      changes: vi.fn(async () => changes({ event: 3, messages: [message(10, 1, { event: 2, body: 'edited' }), message(11, 2, { event: 3 })] })),
    });
    const { server, session } = setup(api);
    server.hello({ messages: [message(10, 1)] });
    // last_seq says nothing was posted; the missed events are an edit and a post.
    server.emit({ type: 'pong', last_seq: 1, last_event: 3 });
    await vi.waitFor(() => expect(session.state.head).toBe(3));
    expect(api.changes).toHaveBeenCalledWith('general', 1);
    expect(bodies(session)).toEqual(['10:edited', '11:message 11']);
  });

  it('survives a failed catch-up and tries again on the next pong', async () => {
    let fail = true;
    const api = fakeApi({
      changes: vi.fn(async () => {
        if (fail) throw new ApiError(0, 'network', 'down');
        return changes({ event: 2, messages: [message(11, 2)] });
      }),
    });
    const { server, session } = setup(api);
    server.hello({ messages: [message(10, 1)] });
    server.emit({ type: 'pong', last_event: 2 });
    await vi.advanceTimersByTimeAsync(0);
    expect(session.state.head).toBe(1);
    fail = false;
    server.emit({ type: 'pong', last_event: 2 });
    await vi.waitFor(() => expect(session.state.head).toBe(2));
  });

  it('follows room.updated: archived and back', () => {
    const { server, session } = setup();
    server.hello({ messages: [message(10, 1)] });
    server.emit({ type: 'room.updated', event: 2, room: room({ is_archived: true, last_event: 2 }) });
    expect(session.state.room?.is_archived).toBe(true);
    server.emit({ type: 'room.updated', event: 3, room: room({ is_archived: false, last_event: 3 }) });
    expect(session.state.room?.is_archived).toBe(false);
    expect(session.state.head).toBe(3);
  });

  it('applies the message an edit returns, and marks a delete locally until its frame comes', async () => {
    const api = fakeApi({
      edit: vi.fn(async () => message(10, 1, { event: 2, body: 'new', edited_at: '2026-11-23T10:05:00Z' })),
    });
    const { server, session } = setup(api);
    server.hello({ messages: [message(10, 1), message(11, 2)] });
    await session.edit(10, 'new');
    await session.remove(message(11, 2));
    expect(bodies(session)).toEqual(['10:new', '11:deleted']);
    server.emit(live('message.edited', message(10, 1, { event: 3, body: 'new', edited_at: '2026-11-23T10:05:00Z' })));
    server.emit(live('message.deleted', message(11, 2, { event: 4, deleted: true, body: '' })));
    expect(session.state.head).toBe(4);
    expect(bodies(session)).toEqual(['10:new', '11:deleted']);
  });

  it('throws an edit refusal without changing the state, and catches up on it', async () => {
    const api = fakeApi({
      edit: vi.fn(async () => {
        throw new ApiError(403, 'room_archived', 'This room is archived.');
      }),
      changes: vi.fn(async () => changes({ event: 2, room: room({ is_archived: true, last_event: 2 }) })),
    });
    const { server, session } = setup(api);
    server.hello({ messages: [message(10, 1)] });
    const before = session.state.messages;
    await expect(session.edit(10, 'new')).rejects.toMatchObject({ code: 'room_archived' });
    expect(session.state.messages).toBe(before);
    await vi.waitFor(() => expect(session.state.room?.is_archived).toBe(true));
  });

  it('adds join and leave notices and tracks who is online, by presence version', () => {
    const { server, session } = setup();
    server.hello({ presence_version: 40 });
    server.emit(presenceFrame(41, 2, { joined: [change(jun, 41)] }));
    expect(session.state.onlineCount).toBe(2);
    expect(session.state.online.map((u) => u.id)).toEqual([2, 1]);
    // Already held by the frame before: no second notice.
    server.emit(presenceFrame(41, 2, { joined: [change(jun, 41)] }));
    server.emit(presenceFrame(42, 1, { left: [change(jun, 42)] }));
    expect(session.state.notices.map((n) => n.event)).toEqual(['join', 'leave']);
    expect(session.state.online.map((u) => u.id)).toEqual([1]);
  });

  it('ignores presence frames of the old shape', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { server, session } = setup();
    server.hello();
    server.emit({ type: 'presence', event: 'join', user: jun, online_count: 2 });
    expect(session.state.notices).toEqual([]);
    expect(session.state.onlineCount).toBe(1);
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

  it('loads the window with changes, sends with POST and polls changes?since=head', async () => {
    const api = fakeApi({
      changes: vi.fn(async (_slug: string, since?: number) =>
        since === undefined ? changes({ messages: [message(5, 1)], has_more: true }) : changes({ event: 2 }),
      ),
      send: vi.fn(async (_slug: string, body: string, clientId: string) => own(100, 2, clientId, body)),
    });
    const { server, session } = setup(api);
    failThreeTimes(server);
    await vi.waitFor(() => expect(session.connection.getState().status).toBe('http'));
    expect(session.state.ready).toBe(true);
    expect(session.state.messages.map((m) => m.id)).toEqual([5]);
    expect(session.state.hasMore).toBe(true);
    expect(session.state.onlineCount).toBe(2);
    expect(api.changes).toHaveBeenCalledWith('general', undefined, CONN);

    session.send('over http');
    await vi.waitFor(() => expect(session.state.pending).toEqual([]));
    expect(api.send).toHaveBeenCalledWith('general', 'over http', 'c1');
    expect(session.state.messages.map((m) => m.body)).toContain('over http');
    expect(session.state.head).toBe(2);

    const calls = api.changes.mock.calls.length;
    await vi.advanceTimersByTimeAsync(2000);
    expect(api.changes.mock.calls.slice(calls)).toEqual([['general', 2, CONN]]);
  });

  it('applies edits, deletes and the room from each poll', async () => {
    const answers = [
      changes({ event: 2, messages: [message(5, 1), message(6, 2)] }),
      changes({
        event: 5,
        room: room({ is_archived: true, last_event: 5, online_count: 4 }),
        messages: [message(5, 1, { event: 3, body: 'fixed', edited_at: '2026-11-23T10:05:00Z' }), message(6, 2, { event: 4, deleted: true, body: '' })],
      }),
    ];
    const api = fakeApi({ changes: vi.fn(async () => answers.shift() ?? changes({ event: 5, room: room({ is_archived: true, last_event: 5 }) })) });
    const { server, session } = setup(api);
    failThreeTimes(server);
    await vi.waitFor(() => expect(session.state.head).toBe(2));
    await vi.advanceTimersByTimeAsync(2000);
    expect(bodies(session)).toEqual(['5:fixed', '6:deleted']);
    expect(session.state.head).toBe(5);
    expect(session.state.room?.is_archived).toBe(true);
    expect(session.state.onlineCount).toBe(4);
    expect(api.changes).toHaveBeenLastCalledWith('general', 2, CONN);
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
      changes: vi.fn(async () => {
        throw new ApiError(404, 'not_found', 'No such room.');
      }),
    });
    const { server, session } = setup(api);
    failThreeTimes(server);
    await vi.waitFor(() => expect(session.state.endedBy).toBe(4404));
    const sockets = server.sockets.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.sockets).toHaveLength(sockets);
    expect(api.changes).toHaveBeenCalledTimes(1);
  });

  it('stops polling once the WebSocket works again, and ends the HTTP connection', async () => {
    const { server, session, api } = setup();
    failThreeTimes(server);
    // The fourth attempt, after its backoff (2 s with this random draw).
    await vi.advanceTimersByTimeAsync(2000);
    expect(server.sockets).toHaveLength(4);
    expect(api.leave).not.toHaveBeenCalled();
    server.hello();
    expect(session.connection.getState().status).toBe('connected');
    expect(api.leave).toHaveBeenCalledWith('general', CONN);
    const calls = api.changes.mock.calls.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(api.changes.mock.calls.length).toBe(calls);
  });

  it('sends the same connection id on every poll and ends the HTTP connection when leaving the room', async () => {
    const { server, session, api } = setup();
    failThreeTimes(server);
    await vi.advanceTimersByTimeAsync(4000);
    expect(api.changes.mock.calls.length).toBeGreaterThanOrEqual(3);
    expect(api.changes.mock.calls.every((call) => call[2] === CONN)).toBe(true);
    session.stop();
    expect(api.leave).toHaveBeenCalledTimes(1);
    expect(api.leave).toHaveBeenCalledWith('general', CONN);
  });

  it('does not end an HTTP connection it never opened', () => {
    const { server, session, api } = setup();
    server.hello();
    session.stop();
    expect(api.leave).not.toHaveBeenCalled();
  });

  it('applies each poll’s presence snapshot by version, and announces changes from the second one on', async () => {
    const ara = { id: 3, display_name: 'Ara', avatar_url: '' };
    const answers = [
      changes({ presence: { online: [me, ara], online_count: 2, version: 50 } }),
      changes({ presence: { online: [jun, me, ara], online_count: 3, version: 52 } }),
      // An older snapshot (another server process, a slow answer): ignored.
      changes({ presence: { online: [me], online_count: 1, version: 51 } }),
      changes({ presence: { online: [jun, me], online_count: 2, version: 53 } }),
    ];
    const api = fakeApi({ changes: vi.fn(async () => answers.shift() ?? changes({ presence: { online: [jun, me], online_count: 2, version: 53 } })) });
    const { server, session } = setup(api);
    failThreeTimes(server);
    await vi.waitFor(() => expect(session.state.presenceVersion).toBe(50));
    expect(session.state.online.map((u) => u.id)).toEqual([1, 3]);
    expect(session.state.notices).toEqual([]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(session.state.online.map((u) => u.id)).toEqual([2, 1, 3]);
    expect(session.state.onlineCount).toBe(3);
    await vi.advanceTimersByTimeAsync(2000);
    expect(session.state.onlineCount).toBe(3);
    await vi.advanceTimersByTimeAsync(2000);
    expect(session.state.notices.map((n) => `${n.event}:${n.user.display_name}`)).toEqual(['join:Jun', 'leave:Ara']);
    expect(session.state.onlineCount).toBe(2);
  });

  it('shows the poll’s typing users for a while, never yourself', async () => {
    let typing = [jun, me];
    const api = fakeApi({ changes: vi.fn(async () => changes({ typing })) });
    const { server, session } = setup(api);
    failThreeTimes(server);
    await vi.waitFor(() => expect(session.state.typing.map((t) => t.user.id)).toEqual([2]));
    typing = [];
    await vi.advanceTimersByTimeAsync(3000);
    session.expireTyping();
    expect(session.state.typing.map((t) => t.user.id)).toEqual([2]);
    await vi.advanceTimersByTimeAsync(1000);
    session.expireTyping();
    expect(session.state.typing).toEqual([]);
  });

  it('sends typing with POST in HTTP mode, at most once per 2 s, and not while nothing answers', async () => {
    let down = false;
    const api = fakeApi({
      changes: vi.fn(async () => {
        if (down) throw new ApiError(0, 'network', 'down');
        return changes();
      }),
    });
    const { server, session } = setup(api);
    failThreeTimes(server);
    await vi.waitFor(() => expect(session.connection.getState().status).toBe('http'));
    session.notifyTyping();
    session.notifyTyping();
    expect(api.typing).toHaveBeenCalledTimes(1);
    expect(api.typing).toHaveBeenCalledWith('general');
    expect(server.last.sent.filter((f) => f.type === 'typing')).toEqual([]);
    down = true;
    await vi.advanceTimersByTimeAsync(2000);
    expect(session.connection.getState().status).toBe('offline');
    session.notifyTyping();
    expect(api.typing).toHaveBeenCalledTimes(1);
  });
});

describe('RoomSession connection indicator', () => {
  const status = (session: RoomSession) => session.connection.getState().status;

  it('says Connecting first, then Connected', () => {
    const { server, session } = setup();
    expect(status(session)).toBe('connecting');
    server.hello();
    expect(session.connection.getState()).toEqual({ status: 'connected', retryAt: null, stoppedBy: null });
  });

  it('is Reconnecting with the time of the next try after a drop, and does not probe HTTP for one drop', async () => {
    const { server, session, api } = setup();
    server.hello();
    server.drop();
    // random = 1: the first retry waits the full 500 ms.
    expect(session.connection.getState()).toEqual({ status: 'reconnecting', retryAt: Date.now() + 500, stoppedBy: null });
    await vi.advanceTimersByTimeAsync(500);
    expect(api.changes).not.toHaveBeenCalled();
    server.hello();
    expect(status(session)).toBe('connected');
  });

  it('switches to HTTP mode only when the HTTP API answers while the socket keeps failing', async () => {
    let answer: (c: Changes) => void = () => undefined;
    const api = fakeApi({ changes: vi.fn(() => new Promise<Changes>((resolve) => (answer = resolve))) });
    const { server, session } = setup(api);
    server.drop();
    await vi.advanceTimersByTimeAsync(500);
    server.drop();
    // The probe is out, unanswered: still reconnecting.
    expect(api.changes).toHaveBeenCalledWith('general', undefined, CONN);
    expect(status(session)).toBe('reconnecting');
    answer(changes());
    await vi.advanceTimersByTimeAsync(0);
    expect(status(session)).toBe('http');
  });

  it('is Offline while neither answers, keeps trying both, and comes back as soon as one does', async () => {
    let down = true;
    const api = fakeApi({
      changes: vi.fn(async () => {
        if (down) throw new ApiError(0, 'network', 'down');
        return changes();
      }),
    });
    const { server, session } = setup(api);
    server.hello();
    server.drop();
    await vi.advanceTimersByTimeAsync(500);
    server.drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(status(session)).toBe('offline');
    expect(session.connection.getState().retryAt).toBe(Date.now() + 1000);
    await vi.advanceTimersByTimeAsync(1000);
    server.drop();
    expect(status(session)).toBe('offline');
    expect(api.changes).toHaveBeenCalledTimes(1);

    // The server is back: the next poll answers while the socket waits out its 2 s backoff, and
    // the socket tries at once instead of waiting. Until that try is known to fail, the status is
    // Reconnecting, not HTTP mode: a restarted server is not a blocked WebSocket.
    down = false;
    const sockets = server.sockets.length;
    await vi.advanceTimersByTimeAsync(1000);
    expect(api.changes).toHaveBeenCalledTimes(2);
    expect(status(session)).toBe('reconnecting');
    expect(server.sockets).toHaveLength(sockets + 1);
    server.hello();
    expect(status(session)).toBe('connected');
  });

  it('turns to HTTP mode after a recovery only when the socket still fails and a poll answers', async () => {
    let down = true;
    const api = fakeApi({
      changes: vi.fn(async () => {
        if (down) throw new ApiError(0, 'network', 'down');
        return changes();
      }),
    });
    const { server, session } = setup(api);
    server.hello();
    server.drop();
    await vi.advanceTimersByTimeAsync(500);
    server.drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(status(session)).toBe('offline');
    down = false;
    await vi.advanceTimersByTimeAsync(2000);
    expect(status(session)).toBe('reconnecting');
    server.drop(); // the immediate try fails: WebSockets are what is blocked
    await vi.advanceTimersByTimeAsync(2000);
    expect(status(session)).toBe('http');
  });

  it('goes from Offline straight to Connected when the socket answers first', async () => {
    const api = fakeApi({
      changes: vi.fn(async () => {
        throw new ApiError(0, 'network', 'down');
      }),
    });
    const { server, session } = setup(api);
    server.drop();
    await vi.advanceTimersByTimeAsync(500);
    server.drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(status(session)).toBe('offline');
    await vi.advanceTimersByTimeAsync(1000);
    server.hello();
    expect(status(session)).toBe('connected');
  });

  it('counts a refused poll (too many connections) as not answering', async () => {
    const api = fakeApi({
      changes: vi.fn(async () => {
        throw new ApiError(429, 'too_many_connections', 'Too many connections.');
      }),
    });
    const { server, session } = setup(api);
    server.drop();
    await vi.advanceTimersByTimeAsync(500);
    server.drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(status(session)).toBe('offline');
  });

  it('ignores a poll answered after the socket came back: the next outage starts from Reconnecting', async () => {
    let answer: (c: Changes) => void = () => undefined;
    const api = fakeApi({ changes: vi.fn(() => new Promise<Changes>((resolve) => (answer = resolve))) });
    const { server, session } = setup(api);
    server.drop();
    await vi.advanceTimersByTimeAsync(500);
    server.drop();
    await vi.advanceTimersByTimeAsync(1000);
    server.hello();
    answer(changes());
    await vi.advanceTimersByTimeAsync(0);
    expect(status(session)).toBe('connected');
    server.drop();
    expect(status(session)).toBe('reconnecting');
  });

  it('keeps sends waiting while nothing answers and posts them after the first answer, once', async () => {
    let down = true;
    const api = fakeApi({
      changes: vi.fn(async () => {
        if (down) throw new ApiError(0, 'network', 'down');
        return changes();
      }),
      send: vi.fn(async (_slug: string, body: string, clientId: string) => own(100, 1, clientId, body)),
    });
    const { server, session } = setup(api);
    server.hello();
    server.drop();
    await vi.advanceTimersByTimeAsync(500);
    server.drop();
    await vi.advanceTimersByTimeAsync(0);
    session.send('while down');
    await vi.advanceTimersByTimeAsync(2000);
    expect(api.send).not.toHaveBeenCalled();
    expect(session.state.pending).toMatchObject([{ clientId: 'c1', status: 'pending' }]);
    down = false;
    await vi.advanceTimersByTimeAsync(2000);
    expect(api.send).toHaveBeenCalledTimes(1);
    expect(api.send).toHaveBeenCalledWith('general', 'while down', 'c1');
    expect(session.state.pending).toEqual([]);
    // The socket the HTTP answer woke up must not send it again.
    server.hello({ messages: [own(100, 1, 'c1', 'while down')] });
    expect(server.last.sent).toEqual([]);
  });

  it('reconnects at once with since after 4408 (the server stopped hearing pings)', () => {
    const { server, session } = setup();
    server.hello({ messages: [message(1, 1)] });
    server.drop(4408);
    vi.advanceTimersByTime(0);
    expect(server.sockets).toHaveLength(2);
    expect(since(server)).toBe('1');
    expect(session.connection.getState().status).toBe('reconnecting');
  });

  it('reports the close code that ended the socket for good', () => {
    const { server, session } = setup();
    server.drop(4403);
    expect(session.connection.getState()).toEqual({ status: 'offline', retryAt: null, stoppedBy: 4403 });
  });
});

describe('RoomSession: replies and reactions', () => {
  const quote = { id: 10, seq: 1, author: jun, excerpt: 'the question', deleted: false };
  const reacted = (event: number, users = [jun, me]) => message(10, 1, { event, reactions: [{ emoji: '👍', users }] });

  function httpMode(server: FakeServer) {
    server.drop();
    vi.advanceTimersByTime(600);
    server.drop();
    vi.advanceTimersByTime(1100);
    server.drop();
  }

  it('sends reply_to with a reply over the socket, and again when it is resent', () => {
    const { server, session } = setup();
    server.hello({ messages: [message(10, 1)] });
    session.send('the answer', undefined, quote);
    expect(server.last.sent).toEqual([{ type: 'send', body: 'the answer', client_id: 'c1', reply_to: 10 }]);
    expect(session.state.pending[0]?.replyTo).toEqual(quote);
    server.drop();
    vi.runOnlyPendingTimers();
    server.hello({ messages: [message(10, 1)] });
    expect(server.last.sent).toEqual([{ type: 'send', body: 'the answer', client_id: 'c1', reply_to: 10 }]);
  });

  it('posts reply_to with a reply in HTTP mode', async () => {
    const api = fakeApi();
    const { server, session } = setup(api);
    httpMode(server);
    await vi.waitFor(() => expect(session.state.ready).toBe(true));
    session.send('the answer', undefined, quote);
    await vi.waitFor(() => expect(session.state.pending).toEqual([]));
    expect(api.send).toHaveBeenCalledWith('general', 'the answer', 'c1', 10);
  });

  it('reacts with a react frame and applies message.reacted like an edit', () => {
    const { server, session } = setup();
    server.hello({ messages: [message(10, 1)] });
    session.react(10, '👍', true);
    expect(server.last.sent).toEqual([{ type: 'react', message_id: 10, emoji: '👍', on: true }]);
    server.emit({ type: 'message.reacted', event: 2, message: reacted(2) });
    expect(session.state.messages[0]?.reactions).toEqual([{ emoji: '👍', users: [jun, me] }]);
    expect(session.state.head).toBe(2);
    expect(session.state.reactFailure).toBeNull();
  });

  it('shows a refused react under its message, and forgets it at the next react', () => {
    const { server, session } = setup();
    server.hello({ messages: [message(10, 1), message(11, 2)] });
    session.react(11, 'nope', true);
    server.emit({ type: 'error', code: 'invalid_emoji', detail: '`emoji` must be one emoji.' });
    expect(session.state.reactFailure).toEqual({ messageId: 11, error: { code: 'invalid_emoji', detail: '`emoji` must be one emoji.', retryAfter: null } });
    session.react(10, '👍', true);
    expect(session.state.reactFailure).toBeNull();
    server.emit({ type: 'error', code: 'rate_limited', detail: 'wait', retry_after: 2 });
    expect(session.state.reactFailure).toMatchObject({ messageId: 10, error: { code: 'rate_limited', retryAfter: 2 } });
    // A refusal comes back at once, a success later through the fan-out: the refusal is the latest react's.
    session.react(10, '🎉', true);
    session.react(11, '🎉', true);
    server.emit({ type: 'error', code: 'message_deleted', detail: 'deleted' });
    expect(session.state.reactFailure).toMatchObject({ messageId: 11, error: { code: 'message_deleted' } });
  });

  it('does not take an error for a react that was answered, or one not about reactions, as a refusal', () => {
    const { server, session } = setup();
    server.hello({ messages: [message(10, 1)] });
    session.react(10, '👍', true);
    server.emit({ type: 'message.reacted', event: 2, message: reacted(2) });
    server.emit({ type: 'error', code: 'rate_limited', detail: 'reads' });
    expect(session.state.reactFailure).toBeNull();
    session.react(10, '🎉', true);
    server.emit({ type: 'error', code: 'invalid_json', detail: '' });
    expect(session.state.reactFailure).toBeNull();
    // A react that changed nothing gets no answer; it stops waiting for one.
    vi.advanceTimersByTime(11_000);
    server.emit({ type: 'error', code: 'rate_limited', detail: 'reads' });
    expect(session.state.reactFailure).toBeNull();
  });

  it('catches up when a react is refused because the client is behind (archived, deleted)', async () => {
    const api = fakeApi({ changes: vi.fn(async () => changes({ event: 2, room: room({ is_archived: true, last_event: 2 }) })) });
    const { server, session } = setup(api);
    server.hello({ messages: [message(10, 1)] });
    session.react(10, '👍', true);
    server.emit({ type: 'error', code: 'room_archived', detail: 'archived' });
    expect(session.state.reactFailure?.error.code).toBe('room_archived');
    await vi.waitFor(() => expect(session.state.room?.is_archived).toBe(true));
  });

  it('reacts over REST in HTTP mode and applies the message it answers with', async () => {
    const api = fakeApi({
      changes: vi.fn(async (_slug: string, since?: number) => (since === undefined ? changes({ messages: [message(10, 1)] }) : changes({ event: 1 }))),
      react: vi.fn(async () => reacted(2, [me])),
    });
    const { server, session } = setup(api);
    httpMode(server);
    await vi.waitFor(() => expect(session.connection.getState().status).toBe('http'));
    session.react(10, '👍', true);
    await vi.waitFor(() => expect(session.state.messages[0]?.reactions).toEqual([{ emoji: '👍', users: [me] }]));
    expect(api.react).toHaveBeenCalledWith('general', 10, '👍', true);
    expect(server.sockets.every((ws) => ws.sent.every((f) => f.type !== 'react'))).toBe(true);
  });

  it('shows a REST refusal of a reaction under its message', async () => {
    const api = fakeApi({
      react: vi.fn(async () => {
        throw new ApiError(400, 'too_many_reactions', 'Too many.');
      }),
    });
    const { server, session } = setup(api);
    httpMode(server);
    await vi.waitFor(() => expect(session.state.ready).toBe(true));
    session.react(10, '🦄', true);
    await vi.waitFor(() => expect(session.state.reactFailure).toMatchObject({ messageId: 10, error: { code: 'too_many_reactions' } }));
  });
});
