import type { HelloFrame, Message, Room, User, UserRef } from '@/lib/protocol';

/**
 * Everything one open room shows, as a pure reducer. Messages are keyed by their global `id`, so
 * the same message arriving from `hello`, a live frame, an `ack` and a catch-up is held once; an
 * own message waits in `pending` under its `client_id` until the server's copy replaces it.
 */

export interface SendFailure {
  code: string;
  detail: string;
  retryAfter: number | null;
}

export interface PendingMessage {
  clientId: string;
  body: string;
  createdAt: string;
  status: 'pending' | 'failed';
  error: SendFailure | null;
}

export interface Notice {
  key: string;
  event: 'join' | 'leave';
  user: UserRef;
  at: string;
  /** The newest message id held when it happened: the notice is drawn after that message. */
  afterId: number;
}

export interface TypingEntry {
  user: UserRef;
  until: number;
}

export interface ChatState {
  ready: boolean;
  room: Room | null;
  you: User;
  messages: Message[];
  pending: PendingMessage[];
  notices: Notice[];
  hasMore: boolean;
  online: UserRef[];
  onlineCount: number;
  typing: TypingEntry[];
  /** Set when REST says the room is gone (4404) or the session is (4401): the HTTP-mode twin of a close code. */
  endedBy: number | null;
}

export type ChatAction =
  | { type: 'hello'; frame: HelloFrame }
  | { type: 'loaded'; room: Room | null; messages: Message[]; hasMore: boolean }
  | { type: 'older'; messages: Message[]; hasMore: boolean }
  | { type: 'messages'; messages: Message[] }
  | { type: 'ack'; clientId: string; message: Message }
  | { type: 'updated'; message: Message }
  | { type: 'rejected'; clientId: string; error: SendFailure }
  | { type: 'presence'; event: 'join' | 'leave'; user: UserRef; onlineCount: number; at: string }
  | { type: 'onlineCount'; count: number }
  | { type: 'typing'; user: UserRef; until: number }
  | { type: 'expireTyping'; now: number }
  | { type: 'send'; pending: PendingMessage }
  | { type: 'retry'; clientId: string }
  | { type: 'discard'; clientId: string }
  | { type: 'ended'; code: number };

const MAX_NOTICES = 200;

export function initialChatState(you: User): ChatState {
  return {
    ready: false,
    room: null,
    you,
    messages: [],
    pending: [],
    notices: [],
    hasMore: false,
    online: [],
    onlineCount: 0,
    typing: [],
    endedBy: null,
  };
}

/**
 * The newest message with nothing missing before it (back to the oldest one loaded). Not simply
 * the newest message held: after a lost live frame the client can hold later ones — its own
 * acks, say — beyond the hole, and catching up after those would never fill it.
 */
function lastContiguous(state: ChatState): Message | undefined {
  const messages = state.messages;
  let last = messages[0];
  for (const next of messages.slice(1)) {
    if (!last || next.seq !== last.seq + 1) break;
    last = next;
  }
  return last;
}

/** Where catch-up (`?after=`) resumes. */
export function lastMessageId(state: ChatState): number | null {
  return lastContiguous(state)?.id ?? null;
}

/** The room position the client holds everything up to. */
export function lastSeq(state: ChatState): number {
  return lastContiguous(state)?.seq ?? 0;
}

/** Prefers the copy that has seen more of the message's life: deleted beats edited beats new. */
function newer(a: Message, b: Message): Message {
  if (a.deleted !== b.deleted) return a.deleted ? a : b;
  if ((a.edited_at ?? '') !== (b.edited_at ?? '')) return (a.edited_at ?? '') > (b.edited_at ?? '') ? a : b;
  return b;
}

export function mergeMessages(held: Message[], incoming: Message[]): Message[] {
  if (incoming.length === 0) return held;
  const byId = new Map(held.map((m) => [m.id, m]));
  for (const m of incoming) {
    const existing = byId.get(m.id);
    byId.set(m.id, existing ? newer(existing, m) : m);
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

function settle(state: ChatState, incoming: Message[]): ChatState {
  const mine = new Set(
    incoming.filter((m) => m.author.id === state.you.id && m.client_id).map((m) => m.client_id as string),
  );
  const authors = new Set(incoming.map((m) => m.author.id));
  return {
    ...state,
    messages: mergeMessages(state.messages, incoming),
    pending: mine.size ? state.pending.filter((p) => !mine.has(p.clientId)) : state.pending,
    typing: state.typing.some((t) => authors.has(t.user.id))
      ? state.typing.filter((t) => !authors.has(t.user.id))
      : state.typing,
  };
}

function updatePending(state: ChatState, clientId: string, patch: Partial<PendingMessage>): ChatState {
  if (!state.pending.some((p) => p.clientId === clientId)) return state;
  return { ...state, pending: state.pending.map((p) => (p.clientId === clientId ? { ...p, ...patch } : p)) };
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'hello': {
      const f = action.frame;
      const next = settle(state, f.messages);
      return {
        ...next,
        ready: true,
        room: f.room,
        you: f.you,
        online: f.online,
        onlineCount: f.online_count,
        // Only the first load knows whether older history exists; a catch-up hello speaks of the tail.
        hasMore: state.messages.length === 0 ? f.has_more : state.hasMore,
      };
    }
    case 'loaded': {
      const next = settle({ ...state, messages: [] }, action.messages);
      return {
        ...next,
        ready: true,
        room: action.room ?? state.room,
        hasMore: action.hasMore,
        onlineCount: action.room?.online_count ?? state.onlineCount,
      };
    }
    case 'older':
      return { ...settle(state, action.messages), hasMore: action.hasMore };
    case 'messages':
      return settle(state, action.messages);
    case 'ack': {
      const next = settle(state, [action.message]);
      return { ...next, pending: next.pending.filter((p) => p.clientId !== action.clientId) };
    }
    case 'updated':
      // Edits and deletes of messages never loaded (older than the history shown) are not news.
      if (!state.messages.some((m) => m.id === action.message.id)) return state;
      return { ...state, messages: mergeMessages(state.messages, [action.message]) };
    case 'rejected':
      return updatePending(state, action.clientId, { status: 'failed', error: action.error });
    case 'presence': {
      const others = state.online.filter((u) => u.id !== action.user.id);
      const notice: Notice = {
        key: `${action.event}-${action.user.id}-${action.at}-${state.notices.length}`,
        event: action.event,
        user: action.user,
        at: action.at,
        afterId: lastMessageId(state) ?? 0,
      };
      return {
        ...state,
        online: action.event === 'join' ? [...others, action.user] : others,
        onlineCount: action.onlineCount,
        notices: [...state.notices, notice].slice(-MAX_NOTICES),
        typing: action.event === 'leave' ? state.typing.filter((t) => t.user.id !== action.user.id) : state.typing,
      };
    }
    case 'onlineCount':
      return action.count === state.onlineCount ? state : { ...state, onlineCount: action.count };
    case 'typing':
      return {
        ...state,
        typing: [...state.typing.filter((t) => t.user.id !== action.user.id), { user: action.user, until: action.until }],
      };
    case 'expireTyping': {
      const typing = state.typing.filter((t) => t.until > action.now);
      return typing.length === state.typing.length ? state : { ...state, typing };
    }
    case 'send':
      return { ...state, pending: [...state.pending, action.pending] };
    case 'retry':
      return updatePending(state, action.clientId, { status: 'pending', error: null });
    case 'discard':
      return { ...state, pending: state.pending.filter((p) => p.clientId !== action.clientId) };
    case 'ended':
      return { ...state, endedBy: action.code };
  }
}
