import { ApiError } from '@/lib/api-client';
import { connectionState, sameConnectionState } from '@/lib/connection';
import type { ConnectionState, HttpHealth } from '@/lib/connection';
import { createMemberships } from '@/lib/memberships';
import type { Memberships } from '@/lib/memberships';
import type { Membership, Room } from '@/lib/protocol';
import type { LobbySocket } from '@/lib/socket';
import { createStore } from '@/lib/store';
import type { ReadonlyStore, Store } from '@/lib/store';

import type { RoomsApi } from './rooms-api';

/**
 * The live room list: the lobby socket's `lobby` frame is the whole list, each `rooms.updated`
 * replaces the rows it carries. Only while that socket cannot connect (its first attempt failed
 * with no list yet, or two in a row failed) does the list come from polling GET /api/rooms/
 * (every 3 s, paused while the tab is hidden); the poll's outcome is what the indicator says
 * then, as in a room (lib/connection.ts).
 *
 * The user's unread summary comes along (lib/memberships.ts): the memberships in the `lobby`
 * frame and the poll's answer, each row's `last_seq`, and the `membership` and `alert` frames
 * the lobby socket gets for every room.
 */

export interface LobbyState {
  rooms: Room[] | null;
  connection: ConnectionState;
}

export interface LobbySessionOptions {
  socket: LobbySocket;
  api: RoomsApi;
  onUnauthorized: () => void;
  /** The user's unread summary to keep up to date; a private one when not given. */
  memberships?: Memberships;
  pollMs?: number;
  isHidden?: () => boolean;
  timers?: { setInterval(fn: () => void, ms: number): unknown; clearInterval(id: unknown): void };
}

const UNAUTHORIZED = 4401;
const POLL_AFTER_FAILURES = 2;

/** Replaces rows by slug, adds rooms not held; archived rooms stay last, as the server orders them. */
export function mergeRooms(held: Room[], updated: Room[]): Room[] {
  const bySlug = new Map(updated.map((r) => [r.slug, r]));
  const merged = held.map((r) => bySlug.get(r.slug) ?? r);
  const known = new Set(held.map((r) => r.slug));
  merged.push(...updated.filter((r) => !known.has(r.slug)));
  // Stable: the order among open rooms, and among archived ones, is kept.
  return merged.sort((a, b) => Number(a.is_archived) - Number(b.is_archived));
}

export class LobbySession {
  private readonly o: Required<LobbySessionOptions>;
  private readonly store: Store<LobbyState, Partial<LobbyState>>;
  private readonly offs: (() => void)[] = [];
  private pollTimer: unknown = null;
  private pollRun = 0;
  private polling = false;
  private httpHealth: HttpHealth = 'unknown';
  private stopped = false;

  constructor(options: LobbySessionOptions) {
    this.o = {
      pollMs: 3000,
      memberships: createMemberships(),
      isHidden: () => document.visibilityState === 'hidden',
      timers: {
        setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
        clearInterval: (id) => globalThis.clearInterval(id as ReturnType<typeof setInterval>),
      },
      ...options,
    };
    this.store = createStore<LobbyState, Partial<LobbyState>>(
      (state, patch) => {
        const next = { ...state, ...patch };
        return next.rooms === state.rooms && sameConnectionState(next.connection, state.connection) ? state : next;
      },
      { rooms: null, connection: connectionState(this.o.socket.getState(), 'unknown') },
    );
  }

  get state(): LobbyState {
    return this.store.getState();
  }

  get changes(): ReadonlyStore<LobbyState> {
    return this.store;
  }

  get memberships(): Memberships {
    return this.o.memberships;
  }

  start(): void {
    const s = this.o.socket;
    const m = this.o.memberships;
    this.offs.push(
      s.on('lobby', (f) => this.takeList(f.rooms, f.memberships)),
      s.on('rooms.updated', (f) => {
        m.dispatch({ type: 'lastSeq', rooms: f.rooms });
        this.store.dispatch({ rooms: mergeRooms(this.state.rooms ?? [], f.rooms) });
      }),
      s.on('membership', (f) => m.dispatch({ type: 'memberships', memberships: [f.membership] })),
      s.on('alert', (f) => m.alert(f)),
      s.subscribe(() => this.onSocketState()),
    );
    s.connect();
  }

  stop(): void {
    this.stopped = true;
    for (const off of this.offs.splice(0)) off();
    this.stopPolling();
    this.o.socket.close();
  }

  /** The tab is visible or the browser online again: try now instead of waiting. */
  retryNow(): void {
    this.o.socket.reconnectNow();
    if (this.pollTimer !== null) void this.pollOnce();
  }

  /** The whole list (a `lobby` frame, a poll): rows, their seqs, and the memberships it carries. */
  private takeList(rooms: Room[], memberships?: Membership[]): void {
    const m = this.o.memberships;
    m.dispatch({ type: 'lastSeq', rooms });
    if (memberships) m.dispatch({ type: 'memberships', memberships });
    this.store.dispatch({ rooms });
  }

  private onSocketState(): void {
    const socket = this.o.socket.getState();
    if (socket.stoppedBy === UNAUTHORIZED) {
      this.stopPolling();
      this.o.onUnauthorized();
    } else if (socket.status === 'connected') {
      this.stopPolling();
    } else if (socket.status === 'closed' || (socket.status === 'reconnecting' && this.cannotConnect(socket.failures))) {
      this.startPolling();
    }
    this.publishConnection();
  }

  /**
   * One drop with a list held is usually a blip the next attempt mends; a list still missing, or
   * a second failure in a row, means the socket cannot connect and the list must come by polling.
   */
  private cannotConnect(failures: number): boolean {
    return this.state.rooms === null || failures >= POLL_AFTER_FAILURES;
  }

  private publishConnection(): void {
    if (this.stopped) return;
    this.store.dispatch({ connection: connectionState(this.o.socket.getState(), this.httpHealth) });
  }

  private startPolling(): void {
    if (this.pollTimer !== null || this.stopped) return;
    this.pollTimer = this.o.timers.setInterval(() => void this.pollOnce(), this.o.pollMs);
    void this.pollOnce();
  }

  private stopPolling(): void {
    if (this.pollTimer === null) return;
    this.o.timers.clearInterval(this.pollTimer);
    this.pollTimer = null;
    this.pollRun++;
    this.httpHealth = 'unknown';
  }

  private async pollOnce(): Promise<void> {
    if (this.polling || this.stopped || this.o.isHidden()) return;
    this.polling = true;
    const run = this.pollRun;
    let health: HttpHealth = 'down';
    try {
      const list = await this.o.api.list();
      // The socket came back meanwhile: its frames are newer than this answer.
      if (run === this.pollRun && !this.stopped) this.takeList(list.rooms, list.memberships);
      health = 'ok';
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        if (!this.stopped) {
          this.stop();
          this.o.onUnauthorized();
        }
        return;
      }
    } finally {
      this.polling = false;
    }
    if (run !== this.pollRun || this.stopped) return;
    // The server answers again after nothing did: the socket tries at once, and the status says
    // Reconnecting until the next poll shows whether it still fails (as in room-session.ts).
    const recovered = this.httpHealth === 'down' && health === 'ok';
    this.httpHealth = recovered ? 'unknown' : health;
    this.publishConnection();
    if (recovered) this.o.socket.reconnectNow();
  }
}
