import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { FakeServer, helloFrame, live, message, room } from '../test/fake-websocket';
import { LobbySocket, RoomSocket, backoffDelay } from './socket';
import type { SocketOptions } from './socket';

const URL_ = 'ws://chat.test/ws/rooms/general/';

function setup(overrides: Partial<SocketOptions> = {}) {
  const server = new FakeServer();
  let head: number | null = null;
  const socket = new RoomSocket({
    url: URL_,
    WebSocketImpl: server.Impl,
    random: () => 1,
    resumeSince: () => head,
    ...overrides,
  });
  return {
    server,
    socket,
    setHead: (event: number | null) => {
      head = event;
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('backoffDelay', () => {
  it('doubles the ceiling per failure and stays within its upper half', () => {
    for (let failures = 1; failures <= 6; failures++) {
      const ceiling = Math.min(8000, 500 * 2 ** (failures - 1));
      expect(backoffDelay(failures, () => 0, 500, 8000)).toBe(ceiling / 2);
      expect(backoffDelay(failures, () => 0.999999, 500, 8000)).toBeLessThanOrEqual(ceiling);
      expect(backoffDelay(failures, () => 0.999999, 500, 8000)).toBeGreaterThan(ceiling * 0.99);
    }
  });

  it('never exceeds the maximum however many failures', () => {
    expect(backoffDelay(40, () => 1, 500, 15_000)).toBe(15_000);
  });

  it('spreads clients out: different random draws give different delays', () => {
    expect(backoffDelay(3, () => 0.1, 500, 15_000)).not.toBe(backoffDelay(3, () => 0.9, 500, 15_000));
  });
});

describe('RoomSocket connection lifecycle', () => {
  it('reports connecting, then connected after hello', () => {
    const { server, socket } = setup();
    socket.connect();
    expect(socket.getState().status).toBe('connecting');
    expect(server.last.url).toBe(URL_);
    server.hello();
    expect(socket.getState()).toEqual({ status: 'connected', failures: 0, stoppedBy: null, retryAt: null });
  });

  it('reconnects after a network drop, waiting the backoff delay, and says when it tries again', () => {
    const { server, socket } = setup({ random: () => 0 });
    socket.connect();
    server.hello();
    server.drop(1006);
    expect(socket.getState()).toEqual({ status: 'reconnecting', failures: 1, stoppedBy: null, retryAt: Date.now() + 250 });
    vi.advanceTimersByTime(249);
    expect(server.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(server.sockets).toHaveLength(2);
    // Trying now: no countdown, still reconnecting until hello.
    expect(socket.getState()).toMatchObject({ status: 'reconnecting', retryAt: null });
    server.hello();
    expect(socket.getState()).toMatchObject({ status: 'connected', retryAt: null });
  });

  it.each([4408, 1012])('reconnects at once with since after close code %i', (code) => {
    const { server, socket, setHead } = setup();
    socket.connect();
    server.hello();
    setHead(12);
    server.drop(code);
    expect(socket.getState()).toMatchObject({ status: 'reconnecting', retryAt: Date.now() });
    vi.advanceTimersByTime(0);
    expect(server.sockets).toHaveLength(2);
    expect(new URL(server.last.url).searchParams.get('since')).toBe('12');
  });

  it('backs off as usual when a 4408 comes before the connection ever worked', () => {
    const { server, socket } = setup({ random: () => 0 });
    socket.connect();
    server.open();
    server.drop(4408);
    vi.advanceTimersByTime(249);
    expect(server.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(server.sockets).toHaveLength(2);
  });

  it('gives up on an attempt that never opens', () => {
    const { server, socket } = setup({ pongTimeoutMs: 10_000 });
    socket.connect();
    vi.advanceTimersByTime(9_999);
    expect(socket.getState().status).toBe('connecting');
    vi.advanceTimersByTime(1);
    expect(server.sockets[0]?.closedWith).toBe(4000);
    expect(socket.getState()).toMatchObject({ status: 'reconnecting', failures: 1 });
  });

  it('passes the event head it holds as ?since= on reconnect, and no after=', () => {
    const { server, socket, setHead } = setup();
    socket.connect();
    expect(new URL(server.last.url).searchParams.has('since')).toBe(false);
    server.hello();
    setHead(64);
    server.drop(1011);
    vi.runOnlyPendingTimers();
    const params = new URL(server.last.url).searchParams;
    expect(params.get('since')).toBe('64');
    expect(params.has('after')).toBe(false);
  });

  it('does not reconnect after an intentional close', () => {
    const { server, socket } = setup();
    socket.connect();
    server.hello();
    socket.close();
    expect(server.sockets[0]?.closedWith).toBe(1000);
    vi.advanceTimersByTime(120_000);
    expect(server.sockets).toHaveLength(1);
    expect(socket.getState().status).toBe('closed');
  });

  it.each([4401, 4403, 4404])('does not reconnect after close code %i and says why', (code) => {
    const { server, socket } = setup();
    socket.connect();
    server.open();
    server.drop(code);
    vi.advanceTimersByTime(120_000);
    expect(server.sockets).toHaveLength(1);
    expect(socket.getState()).toMatchObject({ status: 'closed', stoppedBy: code, retryAt: null });
  });

  it('waits longer after 4429 (too many connections)', () => {
    const { server, socket } = setup({ tooManyDelayMs: 30_000 });
    socket.connect();
    server.open();
    server.drop(4429);
    vi.advanceTimersByTime(29_999);
    expect(server.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(server.sockets).toHaveLength(2);
  });

  it('grows the delay with each consecutive failure', () => {
    const { server, socket } = setup({ random: () => 1, backoffBaseMs: 100, backoffMaxMs: 10_000 });
    socket.connect();
    const opened: number[] = [];
    let t = 0;
    for (let i = 0; i < 4; i++) {
      server.drop(1006);
      const before = server.sockets.length;
      while (server.sockets.length === before) {
        vi.advanceTimersByTime(10);
        t += 10;
      }
      opened.push(t);
    }
    const gaps = opened.map((v, i) => v - (opened[i - 1] ?? 0));
    expect(gaps).toEqual([100, 200, 400, 800]);
  });
});

describe('RoomSocket auth params', () => {
  it('fetches fresh params (a one-time ticket) before every attempt', async () => {
    let n = 0;
    const { server, socket, setHead } = setup({ authParams: async () => ({ ticket: `t${++n}` }) });
    socket.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(new URL(server.last.url).searchParams.get('ticket')).toBe('t1');
    server.hello();
    setHead(7);
    server.drop(1006);
    await vi.advanceTimersByTimeAsync(1000);
    const url = new URL(server.last.url);
    expect([url.searchParams.get('ticket'), url.searchParams.get('since')]).toEqual(['t2', '7']);
  });

  it('counts a failed ticket request as a failed attempt and retries', async () => {
    let fail = true;
    const { server, socket } = setup({
      authParams: async () => {
        if (fail) throw new Error('offline');
        return { ticket: 'ok' };
      },
    });
    socket.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(socket.getState()).toMatchObject({ status: 'reconnecting', failures: 1 });
    fail = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(server.sockets).toHaveLength(1);
  });
});

describe('RoomSocket heartbeat', () => {
  it('pings every 25 s and reconnects when no pong comes within 10 s', () => {
    const { server, socket } = setup();
    socket.connect();
    server.hello();
    vi.advanceTimersByTime(25_000);
    expect(server.last.sent).toEqual([{ type: 'ping' }]);
    server.emit({ type: 'pong', last_seq: 0, last_event: 0 });
    vi.advanceTimersByTime(25_000);
    expect(server.last.sent).toHaveLength(2);
    vi.advanceTimersByTime(10_000);
    expect(server.sockets[0]?.closedWith).toBe(4000);
    vi.runOnlyPendingTimers();
    expect(server.sockets).toHaveLength(2);
  });

  it('counts a pong without heads (the server’s database is away) as an answer', () => {
    const { server, socket } = setup();
    socket.connect();
    server.hello();
    vi.advanceTimersByTime(25_000);
    server.emit({ type: 'pong', last_seq: null, last_event: null });
    vi.advanceTimersByTime(10_000);
    expect(server.sockets[0]?.closedWith).toBeNull();
    expect(socket.getState().status).toBe('connected');
  });

  it('drops a socket that opens but never says hello', () => {
    const { server, socket } = setup();
    socket.connect();
    server.open();
    vi.advanceTimersByTime(10_000);
    expect(server.sockets[0]?.closedWith).toBe(4000);
    expect(socket.getState().failures).toBe(1);
  });
});

describe('RoomSocket frames', () => {
  it('dispatches valid frames by type and stops after unsubscribe', () => {
    const { server, socket } = setup();
    const seen: number[] = [];
    const off = socket.on('message.new', (f) => seen.push(f.message.id));
    socket.connect();
    server.hello();
    server.emit(live('message.new', message(5, 1)));
    off();
    server.emit(live('message.new', message(6, 2)));
    expect(seen).toEqual([5]);
  });

  it('passes room.updated on, and refuses room-event frames without an integer event', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { server, socket } = setup();
    const messages = vi.fn();
    const rooms = vi.fn();
    const pongs = vi.fn();
    socket.on('message.edited', messages);
    socket.on('room.updated', rooms);
    socket.on('pong', pongs);
    socket.connect();
    server.hello();
    server.emit({ type: 'message.edited', message: message(5, 1) });
    server.emit({ type: 'message.edited', event: '2', message: message(5, 1, { event: 2 }) });
    server.emit({ type: 'message.edited', event: 2, message: { ...message(5, 1), event: undefined } });
    server.emit({ type: 'room.updated', room: room({ is_archived: true, last_event: 3 }) });
    server.emit({ type: 'room.updated', event: 3, room: { slug: 'general', name: 'General' } });
    server.emit({ type: 'pong', last_seq: 1 });
    server.emit({ type: 'pong', last_seq: 1, last_event: '3' });
    expect([messages, rooms, pongs].map((f) => f.mock.calls.length)).toEqual([0, 0, 0]);
    server.emit({ type: 'room.updated', event: 3, room: room({ is_archived: true, last_event: 3 }) });
    server.emit({ type: 'pong', last_seq: 1, last_event: 3 });
    expect(rooms).toHaveBeenCalledTimes(1);
    expect(rooms.mock.lastCall?.[0]).toMatchObject({ event: 3, room: { is_archived: true } });
    expect(pongs).toHaveBeenCalledTimes(1);
  });

  it('refuses a hello without an integer event', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { server, socket } = setup();
    socket.connect();
    server.open();
    server.emit({ ...helloFrame(), event: undefined });
    expect(socket.getState().status).toBe('connecting');
    server.emit(helloFrame({ event: 4 }));
    expect(socket.getState().status).toBe('connected');
  });

  it('ignores malformed frames instead of passing them on', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { server, socket } = setup();
    const seen = vi.fn();
    socket.on('message.new', seen);
    socket.connect();
    server.hello();
    server.last.onmessage?.({ data: 'not json' });
    server.emit({ type: 'message.new', event: 1, message: { id: 'x' } });
    server.emit({ kind: 'message.new' });
    expect(seen).not.toHaveBeenCalled();
  });

  it('buffers chat sends while offline and flushes them after hello, once per key', () => {
    const { server, socket } = setup();
    socket.connect();
    expect(socket.send({ type: 'send', body: 'a', client_id: 'c1' }, 'c1')).toBe('queued');
    expect(socket.send({ type: 'send', body: 'a', client_id: 'c1' }, 'c1')).toBe('queued');
    expect(socket.send({ type: 'typing' })).toBe('dropped');
    server.hello();
    expect(server.last.sent).toEqual([{ type: 'send', body: 'a', client_id: 'c1' }]);
  });

  it('lets hello listeners resend before the buffer flushes, without sending twice', () => {
    const { server, socket } = setup();
    socket.on('hello', () => socket.send({ type: 'send', body: 'a', client_id: 'c1' }, 'c1'));
    socket.connect();
    socket.send({ type: 'send', body: 'a', client_id: 'c1' }, 'c1');
    server.hello();
    expect(server.last.sent).toHaveLength(1);
  });
});

describe('RoomSocket while failing', () => {
  it('speaks only for the WebSocket: keeps retrying, counting failures, until a connection works', () => {
    const { server, socket } = setup();
    socket.connect();
    for (let i = 1; i <= 5; i++) {
      server.drop(1006);
      expect(socket.getState()).toMatchObject({ status: 'reconnecting', failures: i });
      vi.runOnlyPendingTimers();
    }
    expect(server.sockets).toHaveLength(6);
    server.hello();
    expect(socket.getState()).toMatchObject({ status: 'connected', failures: 0 });
  });

  it('counts a WebSocket constructor that throws as a failed attempt', () => {
    const { server, socket } = setup();
    server.refuse = true;
    socket.connect();
    vi.runOnlyPendingTimers();
    vi.runOnlyPendingTimers();
    expect(socket.getState()).toMatchObject({ status: 'reconnecting', failures: 3 });
  });

  it('skips the wait on reconnectNow', () => {
    const { server, socket } = setup({ backoffBaseMs: 10_000 });
    socket.connect();
    server.drop(1006);
    socket.reconnectNow();
    expect(server.sockets).toHaveLength(2);
    expect(socket.getState().retryAt).toBeNull();
  });

  it('notifies subscribers on each status change only', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { server, socket } = setup();
    const listener = vi.fn();
    socket.subscribe(listener);
    socket.connect();
    server.open();
    server.emit({ type: 'hello', ...{} });
    expect(listener).toHaveBeenCalledTimes(0);
    server.hello();
    expect(listener).toHaveBeenCalledTimes(1);
  });
});

describe('LobbySocket', () => {
  const LOBBY = 'ws://chat.test/ws/lobby/';
  const rooms = [room({ slug: 'general', online_count: 2 }), room({ slug: 'tech', name: 'Tech' })];

  function lobby(overrides: Partial<SocketOptions> = {}) {
    const server = new FakeServer();
    const socket = new LobbySocket({ url: LOBBY, WebSocketImpl: server.Impl, random: () => 1, ...overrides });
    return { server, socket };
  }

  it('is connected at the lobby frame, passes rooms.updated on and pings every 25 s', () => {
    const { server, socket } = lobby();
    const lists = vi.fn();
    const updates = vi.fn();
    socket.on('lobby', (f) => {
      lists(f.rooms.map((r) => r.slug));
    });
    socket.on('rooms.updated', (f) => {
      updates(f.rooms.map((r) => r.online_count));
    });
    socket.connect();
    expect(server.last.url).toBe(LOBBY);
    server.open();
    expect(socket.getState().status).toBe('connecting');
    server.emit({ type: 'lobby', rooms });
    expect(socket.getState().status).toBe('connected');
    expect(lists).toHaveBeenCalledWith(['general', 'tech']);
    server.emit({ type: 'rooms.updated', rooms: [room({ slug: 'tech', online_count: 5 })] });
    expect(updates).toHaveBeenCalledWith([5]);
    vi.advanceTimersByTime(25_000);
    expect(server.last.sent).toEqual([{ type: 'ping' }]);
    server.emit({ type: 'pong' });
    vi.advanceTimersByTime(10_000);
    expect(server.last.closedWith).toBeNull();
  });

  it('refuses frames with invalid rooms and the room socket’s frames', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { server, socket } = lobby();
    const updates = vi.fn();
    socket.on('rooms.updated', updates);
    socket.connect();
    server.open();
    server.emit(helloFrame());
    expect(socket.getState().status).toBe('connecting');
    server.emit({ type: 'lobby', rooms });
    server.emit({ type: 'rooms.updated', rooms: [{ slug: 'x' }] });
    server.emit({ type: 'rooms.updated' });
    expect(updates).not.toHaveBeenCalled();
  });

  it('asks for a ticket per attempt, never sends since, and stops on 4401', async () => {
    let n = 0;
    const { server, socket } = lobby({ authParams: async () => ({ ticket: `t${++n}` }), resumeSince: undefined });
    socket.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(server.last.url).toBe(`${LOBBY}?ticket=t1`);
    server.open();
    server.drop(4401);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.sockets).toHaveLength(1);
    expect(socket.getState()).toMatchObject({ status: 'closed', stoppedBy: 4401 });
  });
});
