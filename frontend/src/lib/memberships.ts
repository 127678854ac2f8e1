import type { AlertFrame, Membership, NotifyLevel } from './protocol';
import { createStore } from './store';
import type { ReadonlyStore } from './store';

/**
 * One user's unread summary across rooms: per room they have entered, how far they have read,
 * how they want to hear about it and which unread messages mention them; per room, the newest
 * `seq` known. Fed by whatever socket is open (the lobby's or a room's: both get `membership` and
 * `alert` for every room), by room rows and by REST answers. Everything here only moves forward:
 * frames from different server processes can arrive out of order, and an older one must not
 * undo a newer one.
 *
 * Counts are derived, never stored: unread = last seq − read seq, mentions = the unread
 * mention seqs (docs/protocol.md, "Unread, read positions, mentions and notifications").
 */

export interface RoomRead {
  readSeq: number;
  notify: NotifyLevel;
  /** Seqs of unread messages that mention the user (above `readSeq`), ascending. */
  mentionSeqs: number[];
  /**
   * Unread mentions the server counted but did not list (it lists at most 100). They all lie at
   * or below `snapshotSeq`, so reading that far clears them.
   */
  unlisted: number;
  /** The room's last seq when the server read the membership applied last (read + unread). */
  snapshotSeq: number;
}

export interface MembershipsState {
  /** By room slug: only rooms the user has entered. */
  rooms: Record<string, RoomRead>;
  /** By room slug: the newest message seq known, from any source. */
  lastSeq: Record<string, number>;
}

export type MembershipsAction =
  | { type: 'memberships'; memberships: Membership[] }
  /** Rooms' newest seqs: room rows, `hello`, live messages. */
  | { type: 'lastSeq'; rooms: { slug: string; last_seq: number }[] }
  /** A new message concerns the user: it moves the room's last seq, and counts if it mentions them. */
  | { type: 'alert'; room: string; seq: number; mention: boolean }
  /** The user read up to `seq` here (before the server says so). */
  | { type: 'read'; room: string; seq: number }
  | { type: 'notify'; room: string; notify: NotifyLevel };

export const emptyMemberships: MembershipsState = { rooms: {}, lastSeq: {} };

function withLastSeq(lastSeq: Record<string, number>, slug: string, seq: number): Record<string, number> {
  return seq > (lastSeq[slug] ?? -1) ? { ...lastSeq, [slug]: seq } : lastSeq;
}

/** The held room after reading up to `readSeq` (never back). */
function readUpTo(held: RoomRead, readSeq: number): RoomRead {
  if (readSeq <= held.readSeq) return held;
  return {
    ...held,
    readSeq,
    mentionSeqs: held.mentionSeqs.filter((seq) => seq > readSeq),
    unlisted: readSeq >= held.snapshotSeq ? 0 : held.unlisted,
  };
}

/**
 * A membership from the server. Its mentions are the truth as of its snapshot (mentions can go
 * away: an edit, a delete); mentions added since by alerts for newer messages are kept, and a
 * read position held further on (this tab read more meanwhile) is kept too.
 */
function applyMembership(state: MembershipsState, m: Membership): MembershipsState {
  const held = state.rooms[m.room];
  const snapshotSeq = m.read_seq + m.unread_count;
  const newer = held ? held.mentionSeqs.filter((seq) => seq > snapshotSeq && !m.mention_seqs.includes(seq)) : [];
  const fresh: RoomRead = {
    readSeq: m.read_seq,
    notify: m.notify,
    mentionSeqs: [...m.mention_seqs, ...newer].sort((a, b) => a - b),
    unlisted: Math.max(0, m.mention_count - m.mention_seqs.length),
    snapshotSeq,
  };
  const room = held && held.readSeq > fresh.readSeq ? readUpTo(fresh, held.readSeq) : fresh;
  return {
    rooms: { ...state.rooms, [m.room]: room },
    lastSeq: withLastSeq(state.lastSeq, m.room, snapshotSeq),
  };
}

export function membershipsReducer(state: MembershipsState, action: MembershipsAction): MembershipsState {
  switch (action.type) {
    case 'memberships':
      return action.memberships.reduce(applyMembership, state);
    case 'lastSeq': {
      const lastSeq = action.rooms.reduce((acc, r) => withLastSeq(acc, r.slug, r.last_seq), state.lastSeq);
      return lastSeq === state.lastSeq ? state : { ...state, lastSeq };
    }
    case 'alert': {
      const lastSeq = withLastSeq(state.lastSeq, action.room, action.seq);
      const held = state.rooms[action.room];
      // A mention the last membership already counted (listed or not) is not counted twice.
      const counts =
        action.mention && held && action.seq > held.readSeq && action.seq > held.snapshotSeq && !held.mentionSeqs.includes(action.seq);
      if (!counts) return lastSeq === state.lastSeq ? state : { ...state, lastSeq };
      const room = { ...held, mentionSeqs: [...held.mentionSeqs, action.seq].sort((a, b) => a - b) };
      return { rooms: { ...state.rooms, [action.room]: room }, lastSeq };
    }
    case 'read': {
      const held = state.rooms[action.room];
      if (!held) return state;
      const room = readUpTo(held, action.seq);
      return room === held ? state : { ...state, rooms: { ...state.rooms, [action.room]: room } };
    }
    case 'notify': {
      const held = state.rooms[action.room];
      if (!held || held.notify === action.notify) return state;
      return { ...state, rooms: { ...state.rooms, [action.room]: { ...held, notify: action.notify } } };
    }
  }
}

/** Unread messages and unread mentions in a room; null for a room the user never entered. */
export function roomCounts(state: MembershipsState, slug: string): { unread: number; mentions: number } | null {
  const room = state.rooms[slug];
  if (!room) return null;
  const unread = Math.max(0, (state.lastSeq[slug] ?? room.readSeq) - room.readSeq);
  // Mentions are unread messages: never more of them than those.
  return { unread, mentions: Math.min(unread, room.mentionSeqs.length + room.unlisted) };
}

/** Unread mentions across rooms, leaving out `except` (the room on screen). */
export function totalMentions(state: MembershipsState, except?: string): number {
  let total = 0;
  for (const slug of Object.keys(state.rooms)) if (slug !== except) total += roomCounts(state, slug)?.mentions ?? 0;
  return total;
}

export function notifyLevel(state: MembershipsState, slug: string): NotifyLevel {
  return state.rooms[slug]?.notify ?? 'mentions';
}

export interface Memberships extends ReadonlyStore<MembershipsState> {
  dispatch: (action: MembershipsAction) => void;
  /** An `alert` frame: counted here, then handed to whoever listens (notifications). */
  alert: (frame: AlertFrame) => void;
  onAlert: (listener: (frame: AlertFrame) => void) => () => void;
}

export function createMemberships(): Memberships {
  const store = createStore(membershipsReducer, emptyMemberships);
  const alertListeners = new Set<(frame: AlertFrame) => void>();
  return {
    ...store,
    alert(frame) {
      const mention = frame.reason === 'mention' || frame.reason === 'room_mention';
      store.dispatch({ type: 'alert', room: frame.room.slug, seq: frame.message.seq, mention });
      for (const listener of [...alertListeners]) listener(frame);
    },
    onAlert(listener) {
      alertListeners.add(listener);
      return () => alertListeners.delete(listener);
    },
  };
}
