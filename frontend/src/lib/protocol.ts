// Shapes from docs/protocol.md. Incoming data is checked here so the rest of the app can trust it.

export interface UserRef {
  id: number;
  display_name: string;
  avatar_url: string;
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
}

export interface Message {
  id: number;
  seq: number;
  room: string;
  author: UserRef;
  body: string;
  client_id: string | null;
  created_at: string;
  edited_at: string | null;
  deleted: boolean;
}

export interface HelloFrame {
  type: 'hello';
  room: Room;
  you: User;
  online: UserRef[];
  online_count: number;
  messages: Message[];
  has_more: boolean;
  resync: boolean;
}
export interface AckFrame { type: 'ack'; client_id: string; message: Message }
export interface MessageNewFrame { type: 'message.new'; message: Message }
export interface MessageEditedFrame { type: 'message.edited'; message: Message }
export interface MessageDeletedFrame { type: 'message.deleted'; message: Message }
export interface PresenceFrame { type: 'presence'; event: 'join' | 'leave'; user: UserRef; online_count: number }
export interface TypingFrame { type: 'typing'; user: UserRef }
export interface PongFrame { type: 'pong'; last_seq: number }
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
  | PresenceFrame
  | TypingFrame
  | PongFrame
  | ErrorFrame;

export type ServerFrameType = ServerFrame['type'];

export type ClientFrame =
  | { type: 'send'; body: string; client_id: string }
  | { type: 'typing' }
  | { type: 'ping' };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

export function isUserRef(v: unknown): v is UserRef {
  return isObj(v) && isInt(v.id) && isStr(v.display_name) && (v.avatar_url === undefined || isStr(v.avatar_url));
}

export function isUser(v: unknown): v is User {
  return isUserRef(v) && typeof (v as unknown as Obj).is_staff === 'boolean';
}

export function isRoom(v: unknown): v is Room {
  return isObj(v) && isStr(v.slug) && isStr(v.name);
}

export function isMessage(v: unknown): v is Message {
  return (
    isObj(v) &&
    isInt(v.id) &&
    isInt(v.seq) &&
    isUserRef(v.author) &&
    isStr(v.body) &&
    isStr(v.created_at) &&
    typeof v.deleted === 'boolean'
  );
}

const validators: { [K in ServerFrameType]: (f: Obj) => boolean } = {
  hello: (f) =>
    isRoom(f.room) &&
    isUser(f.you) &&
    Array.isArray(f.online) &&
    f.online.every(isUserRef) &&
    isInt(f.online_count) &&
    Array.isArray(f.messages) &&
    f.messages.every(isMessage),
  ack: (f) => isStr(f.client_id) && isMessage(f.message),
  'message.new': (f) => isMessage(f.message),
  'message.edited': (f) => isMessage(f.message),
  'message.deleted': (f) => isMessage(f.message),
  presence: (f) => (f.event === 'join' || f.event === 'leave') && isUserRef(f.user) && isInt(f.online_count),
  typing: (f) => isUserRef(f.user),
  pong: (f) => f.last_seq === undefined || isInt(f.last_seq),
  error: (f) => isStr(f.code),
};

/** Parses one text frame; returns null for anything that is not a frame this client understands. */
export function parseServerFrame(data: unknown): ServerFrame | null {
  if (typeof data !== 'string') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObj(parsed) || !isStr(parsed.type)) return null;
  const validate = (validators as Record<string, ((f: Obj) => boolean) | undefined>)[parsed.type];
  if (!validate || !validate(parsed)) return null;
  const frame = parsed as unknown as ServerFrame;
  if (frame.type === 'hello') {
    frame.has_more = parsed.has_more === true;
    frame.resync = parsed.resync === true;
  }
  if (frame.type === 'error') frame.detail = isStr(parsed.detail) ? parsed.detail : '';
  return frame;
}
