import type { Changes, Message, PresenceChange, PresenceFrame, Room, User, UserRef } from '../lib/protocol';
import type { WebSocketLike } from '../lib/socket';

/** Records every socket the client opens and lets a test play the server's part. */
export class FakeServer {
  sockets: FakeWebSocket[] = [];
  refuse = false;

  readonly Impl = fakeSocketClass(this);

  get last(): FakeWebSocket {
    const ws = this.sockets.at(-1);
    if (!ws) throw new Error('no socket was opened');
    return ws;
  }

  open(ws = this.last): void {
    ws.readyState = 1;
    ws.onopen?.({});
  }

  emit(frame: unknown, ws = this.last): void {
    ws.onmessage?.({ data: JSON.stringify(frame) });
  }

  hello(overrides: Record<string, unknown> = {}, ws = this.last): void {
    this.open(ws);
    this.emit(helloFrame(overrides), ws);
  }

  drop(code = 1006, ws = this.last): void {
    ws.readyState = 3;
    ws.onclose?.({ code });
  }
}

/** A WebSocket class whose instances register with `server` (refused while it says so). */
function fakeSocketClass(server: FakeServer) {
  return class implements WebSocketLike {
    readyState = 0;
    onopen: ((ev: unknown) => void) | null = null;
    onclose: ((ev: { code: number; reason?: string }) => void) | null = null;
    onmessage: ((ev: { data: unknown }) => void) | null = null;
    onerror: ((ev: unknown) => void) | null = null;
    sent: unknown[] = [];
    closedWith: number | null = null;
    constructor(public url: string) {
      if (server.refuse) throw new Error('blocked');
      server.sockets.push(this as unknown as FakeWebSocket);
    }
    send(data: string) {
      this.sent.push(JSON.parse(data));
    }
    close(code?: number) {
      this.closedWith = code ?? 1000;
      this.readyState = 3;
    }
  };
}

export interface FakeWebSocket extends WebSocketLike {
  url: string;
  readyState: number;
  sent: Record<string, unknown>[];
  closedWith: number | null;
}

export const me: User = { id: 1, display_name: 'Mina', avatar_url: '', is_staff: false, is_guest: true };
export const jun: UserRef = { id: 2, display_name: 'Jun', avatar_url: '', is_staff: false };

/** A message; its `event` is its `seq` unless given (a room where nothing was edited yet). */
export function message(id: number, seq: number, overrides: Partial<Message> = {}): Message {
  return {
    id,
    seq,
    event: seq,
    room: 'general',
    author: jun,
    body: `message ${id}`,
    client_id: null,
    created_at: new Date(Date.UTC(2026, 10, 23, 10, 0, id)).toISOString(),
    edited_at: null,
    deleted: false,
    mentions: [],
    mentions_room: false,
    reply_to: null,
    reactions: [],
    ...overrides,
  };
}

export function room(overrides: Partial<Room> = {}): Room {
  return { slug: 'general', name: 'General', description: '', is_archived: false, last_seq: 0, last_event: 0, ...overrides };
}

const newestEvent = (messages: unknown) =>
  Math.max(0, ...((Array.isArray(messages) ? messages : []) as Message[]).map((m) => m.event));

/** A `hello`; its `event` is the newest event among its messages unless given. */
export function helloFrame(overrides: Record<string, unknown> = {}) {
  const event = (overrides.event as number | undefined) ?? newestEvent(overrides.messages);
  return {
    type: 'hello',
    room: room({ last_event: event }),
    event,
    you: me,
    online: [me],
    online_count: 1,
    presence_version: 0,
    messages: [],
    has_more: false,
    resync: false,
    ...overrides,
  };
}

/** A live `message.new|edited|deleted` frame: its event is the message's. */
export function live(type: 'message.new' | 'message.edited' | 'message.deleted', m: Message) {
  return { type, event: m.event, message: m };
}

/** A `changes` answer; its `event` is the newest event among its messages unless given. */
export function changes(overrides: Partial<Changes> = {}): Changes {
  const event = overrides.event ?? newestEvent(overrides.messages);
  return { room: room({ last_event: event, online_count: 2 }), event, messages: [], has_more: false, resync: false, ...overrides };
}

/** One user's presence change at `version`. */
export function change(user: UserRef, version: number): PresenceChange {
  return { id: user.id, display_name: user.display_name, avatar_url: user.avatar_url, is_staff: user.is_staff === true, version };
}

/** A `presence` frame (the new shape): the frame's version, the exact count, the changes. */
export function presenceFrame(
  version: number,
  online_count: number,
  { joined = [], left = [] }: { joined?: PresenceChange[]; left?: PresenceChange[] } = {},
): PresenceFrame {
  return { type: 'presence', version, online_count, joined, left };
}
