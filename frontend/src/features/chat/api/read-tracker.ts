/**
 * How far the user has read in one room, and telling the server. What is seen is gathered and
 * sent at most once per `debounceMs` (the server holds reads to 10 a second per user); an own
 * message is read at once. A read never goes back, never beyond the newest seq known, and is
 * never sent twice: only a position above both what was sent and what the server confirmed
 * (its `membership`, which may come from another tab) goes out.
 *
 * A read that could not go out (no connection), or whose connection dropped before the server
 * confirmed it, goes out again at the next `confirm` from a fresh connection (`reconnected`).
 */

/** `true`: on its way; `false`: nothing to send it by now; a promise: it settles whether it was taken. */
export type ReadDelivery = boolean | Promise<boolean>;

export interface ReadTrackerOptions {
  debounceMs?: number;
  /** The newest message seq known in the room. */
  lastSeq: () => number;
  deliver: (seq: number) => ReadDelivery;
  /** A read on its way: shown in the counts at once. */
  onRead: (seq: number) => void;
}

export class ReadTracker {
  private wanted = 0;
  private sent = 0;
  private confirmed = 0;
  /** Off until the server says it keeps read positions (a membership in `hello`, or its REST twin). */
  private enabled = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly debounceMs: number;

  constructor(private readonly o: ReadTrackerOptions) {
    this.debounceMs = o.debounceMs ?? 400;
  }

  /** The server's read position at a fresh connection: what was sent before may never have arrived. */
  reconnected(serverRead: number): void {
    this.enabled = true;
    this.sent = 0;
    this.confirm(serverRead);
    this.flush();
  }

  /** The server's word on the read position (a `membership` frame or answer). */
  confirm(serverRead: number): void {
    this.confirmed = Math.max(this.confirmed, serverRead);
  }

  /** A message was seen: read up to it, soon. */
  seen(seq: number): void {
    if (seq <= this.wanted) return;
    this.wanted = seq;
    if (this.timer === null) this.timer = setTimeout(() => this.flush(), this.debounceMs);
  }

  /** Read up to `seq` now: an own message. */
  readNow(seq: number): void {
    this.wanted = Math.max(this.wanted, seq);
    this.flush();
  }

  /** Sends what is wanted and not yet sent or known, if a transport is there. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (!this.enabled) return;
    const target = Math.min(this.wanted, this.o.lastSeq());
    if (target <= Math.max(this.sent, this.confirmed)) return;
    const delivery = this.o.deliver(target);
    if (delivery === false) return;
    this.sent = target;
    this.o.onRead(target);
    if (delivery !== true) {
      void delivery.then((taken) => {
        // Not taken: the next flush tries again from what the server confirmed.
        if (!taken && this.sent === target) this.sent = this.confirmed;
      });
    }
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.enabled = false;
  }
}
