import type { ConnectionStatus } from '@/lib/connection';
import { markRoomRead, setRoomNotify } from '@/lib/membership-api';
import type { MembershipApi } from '@/lib/membership-api';
import type { Memberships } from '@/lib/memberships';
import type { AlertFrame, Changes, HelloFrame, Membership, NotifyLevel, Room } from '@/lib/protocol';
import type { Store } from '@/lib/store';

import { knownLastSeq } from './chat-state';
import type { ChatAction, ChatState } from './chat-state';
import { ReadTracker } from './read-tracker';

/**
 * The open room's part in the user's unread summary (docs/protocol.md, "Unread, read positions,
 * mentions and notifications"): the membership at entry (where the "New messages" divider goes),
 * what the user reads here and telling the server (a `read` frame over the socket, a PATCH in
 * HTTP mode), and the `membership` and `alert` frames the room socket gets for every room of
 * the user, which go to the shared memberships store.
 */

export interface RoomReadingOptions {
  slug: string;
  memberships: Memberships;
  /** Absent: nothing is read over HTTP, nor the summary of other rooms fetched. */
  api?: Pick<MembershipApi, 'update' | 'summary'>;
  chat: Store<ChatState, ChatAction>;
  /** Which transport answers now. */
  status: () => ConnectionStatus;
  /** Writes a `read` frame on the socket; false when it is not connected. */
  sendRead: (seq: number) => boolean;
  /** The membership at entry is known (once per session): where the divider goes is set. */
  onEntry: () => void;
  debounceMs?: number;
}

export class RoomReading {
  private readonly tracker: ReadTracker;
  private stopped = false;

  constructor(private readonly o: RoomReadingOptions) {
    this.tracker = new ReadTracker({
      debounceMs: o.debounceMs,
      lastSeq: () => this.lastSeq(),
      deliver: (seq) => this.deliver(seq),
      onRead: (seq) => o.memberships.dispatch({ type: 'read', room: o.slug, seq }),
    });
  }

  get memberships(): Memberships {
    return this.o.memberships;
  }

  /** The newest seq known here: the room's, a message held, or what any frame said. */
  lastSeq(): number {
    return Math.max(knownLastSeq(this.o.chat.getState()), this.o.memberships.getState().lastSeq[this.o.slug] ?? 0);
  }

  /** The other rooms' unread summary, for the way back to the list. */
  start(): void {
    this.o.api
      ?.summary()
      .then(({ rooms, memberships }) => {
        if (this.stopped) return;
        this.o.memberships.dispatch({ type: 'lastSeq', rooms });
        this.o.memberships.dispatch({ type: 'memberships', memberships });
      })
      .catch(() => undefined);
  }

  stop(): void {
    this.stopped = true;
    this.tracker.stop();
  }

  hello(frame: HelloFrame): void {
    this.roomSeen(frame.room);
    if (frame.membership) {
      this.entered(frame.membership, frame.room.last_seq);
      this.tracker.reconnected(frame.membership.read_seq);
    }
  }

  /**
   * A `changes` answer: the room's newest seq, and in HTTP mode (a poll with a connection id)
   * the membership, which is how an HTTP client hears of it; its first one enters the room as a
   * `hello`'s does.
   */
  changes(changes: Changes): void {
    this.roomSeen(changes.room);
    const m = changes.membership;
    if (!m) return;
    if (this.o.chat.getState().entry) {
      this.membership(m);
    } else {
      this.entered(m, changes.room.last_seq);
      this.tracker.reconnected(m.read_seq);
    }
  }

  /** A transport answers again: send what waits. */
  flush(): void {
    this.tracker.flush();
  }

  roomSeen(room: Room): void {
    this.o.memberships.dispatch({ type: 'lastSeq', rooms: [{ slug: this.o.slug, last_seq: room.last_seq }] });
  }

  messageSeen(seq: number): void {
    this.o.memberships.dispatch({ type: 'lastSeq', rooms: [{ slug: this.o.slug, last_seq: seq }] });
  }

  membership(m: Membership): void {
    this.o.memberships.dispatch({ type: 'memberships', memberships: [m] });
    if (m.room === this.o.slug) this.tracker.confirm(m.read_seq);
  }

  alert(frame: AlertFrame): void {
    this.o.memberships.alert(frame);
  }

  /** A message was (half) on screen while the page was visible. */
  seen(seq: number): void {
    this.tracker.seen(seq);
  }

  /** The user's own message is stored: it is read. */
  ownMessage(seq: number): void {
    this.messageSeen(seq);
    this.tracker.readNow(seq);
  }

  /** "Mark all as read": up to the newest seq known, by PATCH. Throws the server's refusal. */
  async markAllRead(): Promise<void> {
    if (!this.o.api) return;
    const seq = this.lastSeq();
    const answer = await markRoomRead(this.o.memberships, this.o.api, this.o.slug, seq);
    this.tracker.confirm(answer.read_seq);
  }

  /** Throws the server's refusal; the level shown is put back. */
  async setNotify(notify: NotifyLevel): Promise<void> {
    if (!this.o.api) return;
    await setRoomNotify(this.o.memberships, this.o.api, this.o.slug, notify);
  }

  private entered(membership: Membership, lastSeq: number): void {
    this.o.memberships.dispatch({ type: 'memberships', memberships: [membership] });
    if (this.o.chat.getState().entry) return;
    this.o.chat.dispatch({ type: 'entry', entry: { readSeq: membership.read_seq, lastSeq } });
    this.o.onEntry();
  }

  private deliver(seq: number): boolean | Promise<boolean> {
    const status = this.o.status();
    if (status === 'connected') return this.o.sendRead(seq);
    if (status !== 'http' || !this.o.api) return false;
    return this.o.api.update(this.o.slug, { read_seq: seq }).then(
      (answer) => {
        if (!this.stopped) this.membership(answer);
        return true;
      },
      () => false,
    );
  }
}
