// Shapes from docs/protocol.md. Incoming data is checked here so the rest of the app can trust it.

/** The server lists at most this many online users; `online_count` says how many there are. */
export const ONLINE_LIST_MAX = 100;

/**
 * The "Author" shape: whoever wrote a message, is online or is typing. `is_staff` is the server's
 * word that this is a staff account, the only thing the staff mark is drawn from (never the name,
 * which the user picks). Older payloads lack it: the parsers below fill in `false`, and whatever
 * else reaches the UI counts only an explicit `true` (see `isStaff`).
 */
export interface UserRef {
  id: number;
  display_name: string;
  avatar_url: string;
  is_staff?: boolean;
}

export interface User extends UserRef {
  is_staff: boolean;
  is_guest: boolean;
}

export interface Room {
  slug: string;
  name: string;
  description: string;
  is_archived: boolean;
  online_count?: number;
  last_message_at?: string | null;
  last_seq: number;
  /** The room's event head: the newest room event number taken. */
  last_event: number;
  /** Everyone may mention `@room` here (otherwise only moderators). Absent from older servers. */
  allow_room_mention?: boolean;
}

export interface Message {
  id: number;
  /** Display only: the room's message count, without gaps. */
  seq: number;
  /** The room event that last changed this message; of two copies, the larger one is current. */
  event: number;
  room: string;
  author: UserRef;
  body: string;
  client_id: string | null;
  created_at: string;
  edited_at: string | null;
  deleted: boolean;
  /**
   * The users the body mentions (`<@id>`), as they are named now; the server's reading, which is
   * what the client highlights from. Absent from older servers (the parsers fill in `[]`).
   */
  mentions?: UserRef[];
  /** The body mentions `@room`. */
  mentions_room?: boolean;
  /** The message this one answers, as it is now; null when it answers none. Absent from older servers (the parsers fill in null). */
  reply_to?: ReplyRef | null;
  /** Per emoji, in the order first used, who reacted. Absent from older servers (the parsers fill in `[]`). */
  reactions?: Reaction[];
}

/**
 * The message a reply answers, as it is now (docs/protocol.md, "Replies and reactions"): its
 * first line, at most 140 characters (empty once deleted).
 */
export interface ReplyRef {
  id: number;
  seq: number;
  author: UserRef;
  excerpt: string;
  deleted: boolean;
}

/** One emoji on a message and who reacted with it; the count is the number of users. */
export interface Reaction {
  emoji: string;
  users: UserRef[];
}

/** How the user wants to hear about a room. */
export type NotifyLevel = 'all' | 'mentions' | 'muted';
export const NOTIFY_LEVELS: readonly NotifyLevel[] = ['all', 'mentions', 'muted'];

/**
 * The user's place in a room they have entered (docs/protocol.md, "Unread"). `mention_seqs`
 * lists at most 100 of the `mention_count` unread mentions; `unread_count` is the room's
 * `last_seq` − `read_seq` when the server read it.
 */
export interface Membership {
  room: string;
  read_seq: number;
  notify: NotifyLevel;
  unread_count: number;
  mention_count: number;
  mention_seqs: number[];
}

/** Someone to mention, from `GET /api/rooms/<slug>/members/?q=`. */
export interface Member extends UserRef {
  online: boolean;
}

/** `GET /api/rooms/`: the list, and the user's memberships (the unread summary). */
export interface RoomList {
  rooms: Room[];
  memberships: Membership[];
}

export type AlertReason = 'mention' | 'room_mention' | 'watch';

/** One user's latest presence change in a `presence` frame; `version` orders it among all changes. */
export interface PresenceChange extends UserRef {
  version: number;
}

/** Who is online as of presence `version`; `online` is bounded, `online_count` is exact. */
export interface PresenceSnapshot {
  online: UserRef[];
  online_count: number;
  version: number;
}

export interface HelloFrame {
  type: 'hello';
  room: Room;
  /** The room event the answer brings the client up to: its new `head`. */
  event: number;
  you: User;
  /** At most ONLINE_LIST_MAX users, most recently arrived first; `online_count` is exact. */
  online: UserRef[];
  online_count: number;
  /** The presence version `online` reflects: only changes above it are news. */
  presence_version: number;
  messages: Message[];
  has_more: boolean;
  resync: boolean;
  /** The user's membership of the room (entering creates it). Absent from older servers. */
  membership?: Membership;
}
export interface AckFrame { type: 'ack'; client_id: string; message: Message }
export interface MessageNewFrame { type: 'message.new'; event: number; message: Message }
export interface MessageEditedFrame { type: 'message.edited'; event: number; message: Message }
export interface MessageDeletedFrame { type: 'message.deleted'; event: number; message: Message }
/** A message's reactions changed; it merges like an edit (the larger `event` wins). */
export interface MessageReactedFrame { type: 'message.reacted'; event: number; message: Message }
export interface RoomUpdatedFrame { type: 'room.updated'; event: number; room: Room }
export interface PresenceFrame {
  type: 'presence';
  version: number;
  online_count: number;
  joined: PresenceChange[];
  left: PresenceChange[];
}
export interface TypingFrame { type: 'typing'; user: UserRef }
/** `null` heads: the server answers the heartbeat while its database is unavailable. */
export interface PongFrame { type: 'pong'; last_seq?: number | null; last_event: number | null }
/** The user's read position, notification level or unread mentions changed, in any room. */
export interface MembershipFrame { type: 'membership'; membership: Membership }
/** A new message concerns the user (any room): it mentions them or @room, or the room is watched. */
export interface AlertFrame {
  type: 'alert';
  reason: AlertReason;
  room: { slug: string; name: string };
  message: Message;
}
export interface ErrorFrame {
  type: 'error';
  code: string;
  detail: string;
  client_id?: string;
  retry_after?: number;
}

export type ServerFrame =
  | HelloFrame
  | AckFrame
  | MessageNewFrame
  | MessageEditedFrame
  | MessageDeletedFrame
  | MessageReactedFrame
  | RoomUpdatedFrame
  | PresenceFrame
  | TypingFrame
  | PongFrame
  | MembershipFrame
  | AlertFrame
  | ErrorFrame;

export type ServerFrameType = ServerFrame['type'];

/** `GET /api/rooms/<slug>/changes/?since=<event>`: the catch-up (or, without `since`, the window). */
export interface Changes {
  room: Room;
  event: number;
  messages: Message[];
  has_more: boolean;
  resync: boolean;
  /** Who is online; absent when the server could not tell (presence unavailable). */
  presence?: PresenceSnapshot;
  /** Others typing right now (HTTP fallback). */
  typing?: UserRef[];
  /** The user's membership here, with every poll that carries a connection id (HTTP clients get no `membership` frames). */
  membership?: Membership;
}

/** The first lobby frame: every room, and (newer servers) every membership of the user. */
export interface LobbyFrame { type: 'lobby'; rooms: Room[]; memberships?: Membership[] }
/** Full rows of the rooms that changed, to replace by slug. */
export interface RoomsUpdatedFrame { type: 'rooms.updated'; rooms: Room[] }
export interface LobbyPongFrame { type: 'pong' }

export type LobbyServerFrame = LobbyFrame | RoomsUpdatedFrame | LobbyPongFrame | MembershipFrame | AlertFrame | ErrorFrame;
export type LobbyServerFrameType = LobbyServerFrame['type'];
export type LobbyClientFrame = { type: 'ping' };

export type ClientFrame =
  | { type: 'send'; body: string; client_id: string; reply_to?: number }
  | { type: 'react'; message_id: number; emoji: string; on: boolean }
  | { type: 'typing' }
  | { type: 'read'; seq: number }
  | { type: 'ping' };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

export function isUserRef(v: unknown): v is UserRef {
  return (
    isObj(v) &&
    isInt(v.id) &&
    isStr(v.display_name) &&
    (v.avatar_url === undefined || isStr(v.avatar_url)) &&
    (v.is_staff === undefined || typeof v.is_staff === 'boolean')
  );
}

/** Staff only on the server's explicit word: a missing (older payload) or odd value is not staff. */
export const isStaff = (user: Pick<UserRef, 'is_staff'>): boolean => user.is_staff === true;

/** The user with `is_staff` always present: what the parsers hand on. */
export function withStaffFlag<T extends UserRef>(user: T): T & { is_staff: boolean } {
  return { ...user, is_staff: isStaff(user) };
}

/**
 * The message with its author's `is_staff` always present, and its mentions, reply and reactions
 * (`[]`, `false`, `null` and `[]` from an older server, each user with `is_staff`).
 */
export function withAuthorStaffFlag(message: Message): Message {
  const reply = message.reply_to;
  return {
    ...message,
    author: withStaffFlag(message.author),
    mentions: (message.mentions ?? []).map(withStaffFlag),
    mentions_room: message.mentions_room === true,
    reply_to: reply ? { ...reply, author: withStaffFlag(reply.author) } : null,
    reactions: (message.reactions ?? []).map((r) => ({ emoji: r.emoji, users: r.users.map(withStaffFlag) })),
  };
}

export function isUser(v: unknown): v is User {
  return isUserRef(v) && typeof (v as unknown as Obj).is_staff === 'boolean';
}

export function isRoom(v: unknown): v is Room {
  return isObj(v) && isStr(v.slug) && isStr(v.name) && typeof v.is_archived === 'boolean' && isInt(v.last_event);
}

function isPresenceChange(v: unknown): v is PresenceChange {
  return isUserRef(v) && isInt((v as unknown as Obj).version);
}

/** An optional list: absent is empty, present must be a list of valid items. */
const isOptionalList = (v: unknown, item: (x: unknown) => boolean) => v === undefined || (Array.isArray(v) && v.every(item));

export function isPresenceSnapshot(v: unknown): v is PresenceSnapshot {
  return isObj(v) && Array.isArray(v.online) && v.online.every(isUserRef) && isInt(v.online_count) && isInt(v.version);
}

function isReplyRef(v: unknown): v is ReplyRef {
  return isObj(v) && isInt(v.id) && isInt(v.seq) && isUserRef(v.author) && isStr(v.excerpt) && typeof v.deleted === 'boolean';
}

function isReaction(v: unknown): v is Reaction {
  return isObj(v) && isStr(v.emoji) && v.emoji !== '' && Array.isArray(v.users) && v.users.every(isUserRef);
}

export function isMessage(v: unknown): v is Message {
  return (
    isObj(v) &&
    isInt(v.id) &&
    isInt(v.seq) &&
    isInt(v.event) &&
    isUserRef(v.author) &&
    isStr(v.body) &&
    isStr(v.created_at) &&
    typeof v.deleted === 'boolean' &&
    isOptionalList(v.mentions, isUserRef) &&
    (v.mentions_room === undefined || typeof v.mentions_room === 'boolean') &&
    (v.reply_to === undefined || v.reply_to === null || isReplyRef(v.reply_to)) &&
    isOptionalList(v.reactions, isReaction)
  );
}

const isSeq = (v: unknown): v is number => isInt(v) && v >= 0;

export function isMembership(v: unknown): v is Membership {
  return (
    isObj(v) &&
    isStr(v.room) &&
    isSeq(v.read_seq) &&
    isStr(v.notify) &&
    (v.unread_count === undefined || isSeq(v.unread_count)) &&
    (v.mention_count === undefined || isSeq(v.mention_count)) &&
    isOptionalList(v.mention_seqs, isSeq)
  );
}

/**
 * The membership with every field present and coherent: mention seqs unread (above `read_seq`),
 * ascending and once each; `mention_count` never below their number; an unknown level is the
 * default, `mentions`.
 */
export function normalizeMembership(m: Membership): Membership {
  const seqs = [...new Set((m.mention_seqs ?? []).filter((seq) => seq > m.read_seq))].sort((a, b) => a - b);
  return {
    room: m.room,
    read_seq: m.read_seq,
    notify: NOTIFY_LEVELS.includes(m.notify) ? m.notify : 'mentions',
    unread_count: m.unread_count ?? 0,
    mention_count: Math.max(m.mention_count ?? seqs.length, seqs.length),
    mention_seqs: seqs,
  };
}

/** A membership from REST, checked and normalized, or null. */
export function parseMembership(v: unknown): Membership | null {
  return isMembership(v) ? normalizeMembership(v) : null;
}

/** `GET /api/rooms/`: the rooms as they come, the memberships checked (a malformed one is dropped). */
export function parseRoomList(v: unknown): RoomList {
  const answer = isObj(v) ? v : {};
  const rooms = Array.isArray(answer.rooms) ? (answer.rooms as Room[]) : [];
  const memberships = Array.isArray(answer.memberships) ? answer.memberships.filter(isMembership).map(normalizeMembership) : [];
  return { rooms, memberships };
}

/** `GET /api/rooms/<slug>/members/`: the people listed, malformed entries dropped. */
export function parseMembers(v: unknown): Member[] {
  const list = isObj(v) && Array.isArray(v.members) ? v.members : [];
  return list.filter(isUserRef).map((u) => ({ ...withStaffFlag(u), online: (u as unknown as Obj).online === true }));
}

const alertValid = (f: Obj) =>
  isStr(f.reason) && isObj(f.room) && isStr(f.room.slug) && isStr(f.room.name) && isMessage(f.message);

const validators: { [K in ServerFrameType]: (f: Obj) => boolean } = {
  hello: (f) =>
    isRoom(f.room) &&
    isInt(f.event) &&
    isUser(f.you) &&
    Array.isArray(f.online) &&
    f.online.every(isUserRef) &&
    isInt(f.online_count) &&
    (f.presence_version === undefined || isInt(f.presence_version)) &&
    Array.isArray(f.messages) &&
    f.messages.every(isMessage) &&
    (f.membership === undefined || isMembership(f.membership)),
  ack: (f) => isStr(f.client_id) && isMessage(f.message),
  'message.new': (f) => isInt(f.event) && isMessage(f.message),
  'message.edited': (f) => isInt(f.event) && isMessage(f.message),
  'message.deleted': (f) => isInt(f.event) && isMessage(f.message),
  'message.reacted': (f) => isInt(f.event) && isMessage(f.message),
  'room.updated': (f) => isInt(f.event) && isRoom(f.room),
  presence: (f) =>
    isInt(f.version) &&
    isInt(f.online_count) &&
    isOptionalList(f.joined, isPresenceChange) &&
    isOptionalList(f.left, isPresenceChange),
  typing: (f) => isUserRef(f.user),
  membership: (f) => isMembership(f.membership),
  alert: alertValid,
  pong: (f) => (f.last_event === null || isInt(f.last_event)) && (f.last_seq == null || isInt(f.last_seq)),
  error: (f) => isStr(f.code),
};

/**
 * Checks a `changes` answer from REST, which the socket's validation does not cover, and returns
 * it or null. A malformed `presence` or `typing` part is dropped rather than failing the answer:
 * the messages matter more than who is online.
 */
export function parseChanges(v: unknown): Changes | null {
  if (
    !(
      isObj(v) &&
      isRoom(v.room) &&
      isInt(v.event) &&
      Array.isArray(v.messages) &&
      v.messages.every(isMessage) &&
      typeof v.has_more === 'boolean' &&
      typeof v.resync === 'boolean'
    )
  ) {
    return null;
  }
  const changes = { ...v } as unknown as Changes;
  changes.messages = changes.messages.map(withAuthorStaffFlag);
  if (isPresenceSnapshot(v.presence)) changes.presence = { ...v.presence, online: v.presence.online.map(withStaffFlag) };
  else delete changes.presence;
  if (Array.isArray(v.typing)) changes.typing = v.typing.filter(isUserRef).map(withStaffFlag);
  else delete changes.typing;
  if (isMembership(v.membership)) changes.membership = normalizeMembership(v.membership);
  else delete changes.membership;
  return changes;
}

const lobbyValidators: { [K in LobbyServerFrameType]: (f: Obj) => boolean } = {
  lobby: (f) => Array.isArray(f.rooms) && f.rooms.every(isRoom) && isOptionalList(f.memberships, isMembership),
  'rooms.updated': (f) => Array.isArray(f.rooms) && f.rooms.every(isRoom),
  membership: (f) => isMembership(f.membership),
  alert: alertValid,
  pong: () => true,
  error: (f) => isStr(f.code),
};

/** The JSON object of one text frame whose `type` passes its validator, or null. */
function validFrame(data: unknown, validators: Record<string, ((f: Obj) => boolean) | undefined>): Obj | null {
  if (typeof data !== 'string') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObj(parsed) || !isStr(parsed.type)) return null;
  const validate = validators[parsed.type];
  return validate && validate(parsed) ? parsed : null;
}

/** Parses one text frame; returns null for anything that is not a frame this client understands. */
export function parseServerFrame(data: unknown): ServerFrame | null {
  const parsed = validFrame(data, validators);
  if (!parsed) return null;
  const frame = parsed as unknown as ServerFrame;
  if (frame.type === 'hello') {
    frame.has_more = parsed.has_more === true;
    frame.resync = parsed.resync === true;
    frame.presence_version = isInt(parsed.presence_version) ? parsed.presence_version : 0;
    frame.online = frame.online.map(withStaffFlag);
    frame.messages = frame.messages.map(withAuthorStaffFlag);
    if (frame.membership) frame.membership = normalizeMembership(frame.membership);
  }
  normalizeShared(frame);
  if (
    frame.type === 'ack' ||
    frame.type === 'message.new' ||
    frame.type === 'message.edited' ||
    frame.type === 'message.deleted' ||
    frame.type === 'message.reacted'
  ) {
    frame.message = withAuthorStaffFlag(frame.message);
  }
  if (frame.type === 'presence') {
    frame.joined = Array.isArray(parsed.joined) ? frame.joined.map(withStaffFlag) : [];
    frame.left = Array.isArray(parsed.left) ? frame.left.map(withStaffFlag) : [];
  }
  if (frame.type === 'typing') frame.user = withStaffFlag(frame.user);
  if (frame.type === 'error') frame.detail = isStr(parsed.detail) ? parsed.detail : '';
  return frame;
}

/** The lobby socket's twin of parseServerFrame. */
export function parseLobbyFrame(data: unknown): LobbyServerFrame | null {
  const parsed = validFrame(data, lobbyValidators);
  if (!parsed) return null;
  const frame = parsed as unknown as LobbyServerFrame;
  if (frame.type === 'lobby' && frame.memberships) frame.memberships = frame.memberships.map(normalizeMembership);
  normalizeShared(frame);
  if (frame.type === 'error') frame.detail = isStr(parsed.detail) ? parsed.detail : '';
  return frame;
}

/** The frames every socket of the user gets, room and lobby alike. */
function normalizeShared(frame: ServerFrame | LobbyServerFrame): void {
  if (frame.type === 'membership') frame.membership = normalizeMembership(frame.membership);
  if (frame.type === 'alert') frame.message = withAuthorStaffFlag(frame.message);
}
