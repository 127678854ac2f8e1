import type { Message, User } from '../lib/protocol';
import type { WebSocketLike } from '../lib/socket';

/** Records every socket the client opens and lets a test play the server's part. */
export class FakeServer {
  sockets: FakeWebSocket[] = [];
  refuse = false;

  readonly Impl = (() => {
    const server = this;
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
  })();

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

export interface FakeWebSocket extends WebSocketLike {
  url: string;
  readyState: number;
  sent: Record<string, unknown>[];
  closedWith: number | null;
}

export const me: User = { id: 1, display_name: 'Mina', avatar_url: '', is_staff: false, is_guest: true };
export const jun = { id: 2, display_name: 'Jun', avatar_url: '' };

export function message(id: number, seq: number, overrides: Partial<Message> = {}): Message {
  return {
    id,
    seq,
    room: 'general',
    author: jun,
    body: `message ${id}`,
    client_id: null,
    created_at: new Date(Date.UTC(2026, 10, 23, 10, 0, id)).toISOString(),
    edited_at: null,
    deleted: false,
    ...overrides,
  };
}

export function helloFrame(overrides: Record<string, unknown> = {}) {
  return {
    type: 'hello',
    room: { slug: 'general', name: 'General', description: '', is_archived: false, last_seq: 0 },
    you: me,
    online: [me],
    online_count: 1,
    messages: [],
    has_more: false,
    resync: false,
    ...overrides,
  };
}
