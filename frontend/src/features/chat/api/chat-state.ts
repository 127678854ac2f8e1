import { ONLINE_LIST_MAX, isStaff } from '@/lib/protocol';
import type { Changes, HelloFrame, Message, PresenceFrame, PresenceSnapshot, ReplyRef, Room, User, UserRef } from '@/lib/protocol';

import { refreshQuotes } from '../utils/replies';

/**
 * Everything one open room shows, as a pure reducer. Messages are keyed by their global `id`, so
 * the same message arriving from `hello`, a live frame, an `ack` and a catch-up is held once, and
 * of two copies the one with the larger `event` wins. `head` is the room event up to which
 * everything is applied (docs/protocol.md, "Room events"); an own message waits in `pending`
 * under its `client_id` until the server's copy replaces it.
 *
 * Presence is numbered too, by its own version (docs/presence-protocol): the online list is
 * replaced by a snapshot (`hello`, an HTTP poll's `presence`) and then changed by `presence`
 * frames, each change applied only when newer than both the snapshot and that user's last change.
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
  /** The people its `<@id>` tokens name, so the row can show their names before the ack. */
  mentions?: UserRef[];
  /** The message it answers (sent as `reply_to`), quoted as it was when the reply was written. */
  replyTo?: ReplyRef;
}

/** A reaction the server refused (`react` error frame, or the REST answer), shown under its message. */
export interface ReactFailure {
  messageId: number;
  error: SendFailure;
}

/**
 * Where the user was when they entered the room (the first `hello`'s membership): the "New
 * messages" divider goes before the first message from someone else in `(readSeq, lastSeq]`,
 * and stays there while the room is open, however far the user reads since.
 */
export interface Entry {
  readSeq: number;
  lastSeq: number;
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
  /** Bounded like the server's list, most recently arrived first; may be shorter than `onlineCount`. */
  online: UserRef[];
  onlineCount: number;
  /** The newest presence version seen (snapshot or frame); only a newer frame moves the count. Null before any. */
  presenceVersion: number | null;
  /** The version of the snapshot the online list was last replaced with: changes up to it are in it. */
  presenceBase: number;
  /** Per user id, the version of the last presence change applied to the list. */
  presenceOf: Record<number, number>;
  typing: TypingEntry[];
  /** Set when REST says the room is gone (4404) or the session is (4401): the HTTP-mode twin of a close code. */
  endedBy: number | null;
  /** The room event up to which every change is applied; 0 before anything was. */
  head: number;
  /** Events above `head + 1` already applied out of order, ascending: non-empty means a gap to catch up. */
  ahead: number[];
  /** Set once the user's membership is known (a server that keeps read positions); never moves after. */
  entry: Entry | null;
  /**
   * Older history is loading at entry to reach the first unread message. What shows meanwhile
   * is a passing view, not reading: a read position covers every message before it, so counting
   * it would mark the older unread ones read unseen.
   */
  loadingToEntry: boolean;
  /** The latest refused reaction, until the user reacts again. */
  reactFailure: ReactFailure | null;
}

export type ChatAction =
  | { type: 'hello'; frame: HelloFrame }
  | { type: 'changes'; changes: Changes }
  | { type: 'message'; event: number; message: Message }
  | { type: 'roomUpdated'; event: number; room: Room }
  | { type: 'older'; messages: Message[]; hasMore: boolean }
  | { type: 'ack'; clientId: string; message: Message }
  /** The answer to an edit (PATCH): the message as stored, with its event. */
  | { type: 'edited'; message: Message }
  /** A delete the server accepted (204, no body): its frame with the real event follows. */
  | { type: 'removed'; id: number }
  | { type: 'rejected'; clientId: string; error: SendFailure }
  | { type: 'presence'; frame: PresenceFrame; at: string }
  /** An HTTP poll's snapshot; `announce` diffs it against the list held (not on the first of a run of polls). */
  | { type: 'presenceSnapshot'; snapshot: PresenceSnapshot; announce: boolean; at: string }
  | { type: 'typing'; user: UserRef; until: number }
  | { type: 'expireTyping'; now: number }
  | { type: 'send'; pending: PendingMessage }
  | { type: 'retry'; clientId: string }
  | { type: 'discard'; clientId: string }
  | { type: 'ended'; code: number }
  /** The membership at entry; only the first one counts. */
  | { type: 'entry'; entry: Entry }
  | { type: 'loadingToEntry'; loading: boolean }
  /** A reaction was refused (a failure), or one was asked for again (null: the last failure is old news). */
  | { type: 'reactFailed'; failure: ReactFailure | null };

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
    presenceVersion: null,
    presenceBase: 0,
    presenceOf: {},
    typing: [],
    endedBy: null,
    head: 0,
    ahead: [],
    entry: null,
    loadingToEntry: false,
    reactFailure: null,
  };
}

/** Where a reconnecting socket resumes (`?since=`): null until some event was applied. */
export function resumeSince(state: ChatState): number | null {
  return state.head > 0 ? state.head : null;
}

/** Whether events were applied beyond one that never arrived: time to catch up. */
export function hasGap(state: ChatState): boolean {
  return state.ahead.length > 0;
}

/** The newest message seq this room is known to have: the room's, or a newer message held. */
export function knownLastSeq(state: ChatState): number {
  return Math.max(state.room?.last_seq ?? 0, state.messages.at(-1)?.seq ?? 0);
}

function newestMessageId(state: ChatState): number {
  return state.messages.at(-1)?.id ?? 0;
}

type Position = Pick<ChatState, 'head' | 'ahead'>;

/** Moves `head` over every event already applied right above it. */
function closeUp(head: number, ahead: readonly number[]): Position {
  const rest = [...ahead];
  while (rest.length > 0 && (rest[0] as number) <= head + 1) head = Math.max(head, rest.shift() as number);
  return { head, ahead: rest };
}

/** Records that `event` was applied: the next one moves `head`, a later one waits in `ahead`. */
function applied(state: ChatState, event: number): Position {
  if (event <= state.head || state.ahead.includes(event)) return { head: state.head, ahead: state.ahead };
  return closeUp(state.head, [...state.ahead, event].sort((x, y) => x - y));
}

/**
 * Of two copies of one message the one with the larger `event` is current. On a tie the held copy
 * stays: it is the same version, unless it carries a delete the server confirmed with a 204 and
 * whose frame (with the real event) has not arrived yet.
 */
export function mergeMessages(held: Message[], incoming: Message[]): Message[] {
  if (incoming.length === 0) return held;
  const byId = new Map(held.map((m) => [m.id, m]));
  for (const m of incoming) {
    const existing = byId.get(m.id);
    if (!existing || m.event > existing.event) byId.set(m.id, m);
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/**
 * Merges into the window held: a message not held is added only if it is newer than the oldest
 * one held (or nothing is held); an older one is outside the window and is read in its current
 * state when the user scrolls up to it.
 */
export function mergeIntoWindow(held: Message[], incoming: Message[]): Message[] {
  const oldest = held[0]?.id;
  return mergeMessages(held, oldest === undefined ? incoming : incoming.filter((m) => m.id >= oldest));
}

/**
 * The window with the quotes of every reply to one of `incoming` brought up to date. Each
 * original is taken as held after the merge (so a stale copy changes nothing), or as it came
 * when it lies outside the window.
 */
function withQuotes(messages: Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0 || !messages.some((m) => m.reply_to)) return messages;
  const held = new Map(messages.map((m) => [m.id, m]));
  return refreshQuotes(messages, incoming.map((m) => held.get(m.id) ?? m));
}

/**
 * Messages from the server; `replace` swaps the whole window (a fresh join or a resync).
 * `quotes`: they are news (not a frame already applied), so replies held quote them as they are.
 */
function settle(state: ChatState, incoming: Message[], replace = false, quotes = true): ChatState {
  const mine = new Set(
    incoming.filter((m) => m.author.id === state.you.id && m.client_id).map((m) => m.client_id as string),
  );
  // A new message from someone ends their typing notice; an edit or a delete says nothing about it.
  const held = new Set(state.messages.map((m) => m.id));
  const authors = new Set(incoming.filter((m) => !held.has(m.id) && !m.deleted).map((m) => m.author.id));
  const merged = replace ? mergeMessages([], incoming) : mergeIntoWindow(state.messages, incoming);
  return {
    ...state,
    messages: quotes ? withQuotes(merged, incoming) : merged,
    // Pending sends survive a replace: they are resent after `hello` unless the server holds them.
    pending: mine.size ? state.pending.filter((p) => !mine.has(p.clientId)) : state.pending,
    typing: state.typing.some((t) => authors.has(t.user.id))
      ? state.typing.filter((t) => !authors.has(t.user.id))
      : state.typing,
  };
}

/**
 * A `hello` or a `changes` answer. A resync is the latest window: it replaces what is held and
 * `head` becomes its event. Otherwise (a catch-up after `head`, or the first window) it is merged,
 * or taken whole when nothing is held, and `head` moves up to its event.
 */
function synced(state: ChatState, a: Changes): ChatState {
  const replace = a.resync || state.messages.length === 0;
  const next = settle(state, a.messages, replace);
  // A resync's window is the room as of its event, whatever was applied before: head goes there.
  const position = a.resync ? { head: a.event, ahead: [] } : closeUp(Math.max(state.head, a.event), state.ahead);
  return {
    ...next,
    ...position,
    ready: true,
    room: a.room,
    // Only a window knows whether older history exists; a catch-up speaks of what changed.
    hasMore: replace ? a.has_more : state.hasMore,
  };
}

const userRef = (u: UserRef): UserRef => ({
  id: u.id,
  display_name: u.display_name,
  avatar_url: u.avatar_url ?? '',
  is_staff: isStaff(u),
});

/** The state after replacing the online list with a snapshot taken at `version`. */
function presenceSnapshot(state: ChatState, online: UserRef[], count: number, version: number): ChatState {
  return {
    ...state,
    online: online.map(userRef),
    onlineCount: count,
    presenceVersion: version,
    presenceBase: version,
    // Every change up to `version` is in the snapshot; the base alone now decides what is news.
    presenceOf: {},
  };
}

function withNotices(state: ChatState, added: { event: Notice['event']; user: UserRef }[], at: string): Notice[] {
  if (added.length === 0) return state.notices;
  const afterId = newestMessageId(state);
  const fresh = added.map(({ event, user }, i) => ({
    key: `${event}-${user.id}-${at}-${state.notices.length + i}`,
    event,
    user,
    at,
    afterId,
  }));
  return [...state.notices, ...fresh].slice(-MAX_NOTICES);
}

/**
 * A `presence` frame: each change newer than what the list holds for that user is applied, in
 * version order; notices only for those, never for yourself, a join only for someone not listed
 * (already here: nothing to tell) and a leave only for someone listed.
 * The count comes only from a frame newer than every version seen.
 */
function applyPresence(state: ChatState, frame: PresenceFrame, at: string): ChatState {
  const presenceOf = { ...state.presenceOf };
  let online = state.online;
  const gone = new Set<number>();
  const added: { event: Notice['event']; user: UserRef }[] = [];
  const changes = [
    ...frame.joined.map((change) => ({ change, joined: true })),
    ...frame.left.map((change) => ({ change, joined: false })),
  ].sort((a, b) => a.change.version - b.change.version);
  for (const { change, joined } of changes) {
    if (change.version <= Math.max(state.presenceBase, presenceOf[change.id] ?? 0)) continue;
    presenceOf[change.id] = change.version;
    const user = userRef(change);
    const listed = online.some((u) => u.id === user.id);
    const others = listed ? online.filter((u) => u.id !== user.id) : online;
    const mine = user.id === state.you.id;
    if (joined) {
      online = [user, ...others].slice(0, ONLINE_LIST_MAX);
      gone.delete(user.id);
      if (!mine && !listed) added.push({ event: 'join', user });
    } else {
      online = others;
      gone.add(user.id);
      if (listed && !mine) added.push({ event: 'leave', user });
    }
  }
  const newest = state.presenceVersion === null || frame.version > state.presenceVersion;
  return {
    ...state,
    online,
    presenceOf,
    onlineCount: newest ? frame.online_count : state.onlineCount,
    presenceVersion: newest ? frame.version : state.presenceVersion,
    notices: withNotices(state, added, at),
    typing: gone.size ? state.typing.filter((t) => !gone.has(t.user.id)) : state.typing,
  };
}

/**
 * An HTTP poll's snapshot replaces the list when newer than anything seen. Notices come from
 * diffing it with the list held (the previous snapshot), and only where a bounded list cannot
 * mislead: someone missing from a list that is cut short may still be online beyond its end, and
 * someone new in it may only have moved up into view.
 */
function applySnapshot(state: ChatState, snap: PresenceSnapshot, announce: boolean, at: string): ChatState {
  if (state.presenceVersion !== null && snap.version <= state.presenceVersion) return state;
  const next = presenceSnapshot(state, snap.online, snap.online_count, snap.version);
  const before = new Set(state.online.map((u) => u.id));
  const after = new Set(next.online.map((u) => u.id));
  const left = state.online.filter((u) => !after.has(u.id));
  const added: { event: Notice['event']; user: UserRef }[] = [];
  if (announce) {
    const wasComplete = state.onlineCount <= state.online.length;
    const isComplete = next.onlineCount <= next.online.length;
    const others = (u: UserRef) => u.id !== state.you.id;
    if (wasComplete) for (const user of next.online.filter((u) => !before.has(u.id) && others(u))) added.push({ event: 'join', user });
    if (isComplete) for (const user of left.filter(others)) added.push({ event: 'leave', user });
  }
  const gone = new Set(left.map((u) => u.id));
  return {
    ...next,
    notices: withNotices(state, added, at),
    typing: gone.size ? state.typing.filter((t) => !gone.has(t.user.id)) : state.typing,
  };
}

/**
 * A room row's `online_count` carries no presence version, so it may be older than what a frame
 * said: it is used only until a versioned count (hello, frame, snapshot) has been seen.
 */
function unversionedCount(state: ChatState, room: Room): number {
  return state.presenceVersion === null ? (room.online_count ?? state.onlineCount) : state.onlineCount;
}

function updatePending(state: ChatState, clientId: string, patch: Partial<PendingMessage>): ChatState {
  if (!state.pending.some((p) => p.clientId === clientId)) return state;
  return { ...state, pending: state.pending.map((p) => (p.clientId === clientId ? { ...p, ...patch } : p)) };
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'hello': {
      const f = action.frame;
      // A hello is a fresh snapshot, even at a lower version (the server's presence store restarted).
      return { ...presenceSnapshot(synced(state, f), f.online, f.online_count, f.presence_version), you: f.you };
    }
    case 'changes': {
      const c = action.changes;
      return { ...synced(state, c), onlineCount: unversionedCount(state, c.room) };
    }
    case 'message': {
      // A frame already applied (a repeat after `hello`) may be older than the quotes held.
      const news = action.event > state.head && !state.ahead.includes(action.event);
      return { ...settle(state, [action.message], false, news), ...applied(state, action.event) };
    }
    case 'roomUpdated':
      return {
        ...state,
        ...applied(state, action.event),
        room: action.room,
        onlineCount: unversionedCount(state, action.room),
      };
    case 'older':
      return { ...state, messages: mergeMessages(state.messages, action.messages), hasMore: action.hasMore };
    case 'ack': {
      const next = settle(state, [action.message]);
      return {
        ...next,
        ...applied(state, action.message.event),
        pending: next.pending.filter((p) => p.clientId !== action.clientId),
      };
    }
    case 'edited':
      return { ...state, messages: withQuotes(mergeIntoWindow(state.messages, [action.message]), [action.message]) };
    case 'removed': {
      const held = state.messages.find((m) => m.id === action.id);
      if (!held || held.deleted) return state;
      const tombstone = { ...held, deleted: true, body: '', mentions: [], mentions_room: false, reactions: [] };
      const messages = state.messages.map((m) => (m.id === action.id ? tombstone : m));
      return { ...state, messages: withQuotes(messages, [tombstone]) };
    }
    case 'rejected':
      return updatePending(state, action.clientId, { status: 'failed', error: action.error });
    case 'presence':
      return applyPresence(state, action.frame, action.at);
    case 'presenceSnapshot':
      return applySnapshot(state, action.snapshot, action.announce, action.at);
    case 'typing':
      // The HTTP poll's list may hold yourself; a typing notice never does.
      if (action.user.id === state.you.id) return state;
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
    case 'entry':
      return state.entry ? state : { ...state, entry: action.entry };
    case 'loadingToEntry':
      return state.loadingToEntry === action.loading ? state : { ...state, loadingToEntry: action.loading };
    case 'reactFailed':
      return state.reactFailure === action.failure ? state : { ...state, reactFailure: action.failure };
  }
}
