import { ApiError } from '@/lib/api-client';
import { connectionState, sameConnectionState } from '@/lib/connection';
import type { ConnectionState, ConnectionStatus, HttpHealth } from '@/lib/connection';
import { newClientId, tabConnectionId } from '@/lib/ids';
import type { MembershipApi } from '@/lib/membership-api';
import { createMemberships } from '@/lib/memberships';
import type { Memberships } from '@/lib/memberships';
import type { Changes, ClientFrame, ErrorFrame, Message, ReplyRef, User, UserRef } from '@/lib/protocol';
import type { RoomSocket } from '@/lib/socket';
import { createStore } from '@/lib/store';
import type { ReadonlyStore, Store } from '@/lib/store';

import { chatReducer, hasGap, initialChatState, resumeSince } from './chat-state';
import type { ChatAction, ChatState, PendingMessage, SendFailure } from './chat-state';
import type { MessagesApi } from './messages-api';
import { RoomReading } from './room-reading';

/**
 * One open room: joins the socket's frames, the REST API and the chat state. Everything the room
 * shows is numbered by room events; the state keeps `head`, the socket resumes with `?since=head`
 * and every gap (a live frame beyond `head + 1`, a pong ahead of it) is filled by one `changes`
 * call. Once the socket has failed twice in a row it polls `changes?since=head&connection=<id>`
 * every 2 s: the poll is both the probe that tells "HTTP mode" (it answers) from "Offline" (it
 * does not) and, while it answers, the transport: sends go by POST, presence and typing come
 * with each answer. When the socket is back, its `hello` and the resend of unacknowledged
 * messages (same `client_id`) make the switch seamless.
 *
 * Read positions and mentions are `reading`'s (room-reading.ts): the session hands it the frames
 * and answers that concern them.
 */

export interface RoomSessionOptions {
  slug: string;
  me: User;
  api: MessagesApi;
  /** Builds the socket; it receives the function that tells it the event to resume after. */
  createSocket: (resumeSince: () => number | null) => RoomSocket;
  /** The user's unread summary, shared with the room list; a private one when not given. */
  memberships?: Memberships;
  /** Membership REST calls (HTTP-mode reads, "Mark all as read", the level, the summary). */
  membershipApi?: Pick<MembershipApi, 'update' | 'summary'>;
  /** How long reads are gathered before one `read` goes out. */
  readDebounceMs?: number;
  pollMs?: number;
  /** Failed WebSocket attempts in a row before the HTTP API is probed (the poll starts). */
  httpProbeAfter?: number;
  /** The HTTP fallback's connection id (`A-Za-z0-9_-`, 1–64), the same on every poll. */
  connectionId?: string;
  typingThrottleMs?: number;
  typingShowMs?: number;
  now?: () => number;
  newClientId?: () => string;
  timers?: { setInterval(fn: () => void, ms: number): unknown; clearInterval(id: unknown): void };
}

/** Pages of history loaded at entry to reach the first unread message; past them the divider sits on top. */
const UNREAD_PAGES_MAX = 4;
/** Catch-up rounds in one run, reruns included: a gap the server cannot fill must not loop forever. */
const MAX_CATCH_UP_ROUNDS = 5;
/** Edit and delete refusals after which what the client shows is out of date (archived, deleted…). */
const STALE_STATUS = new Set([403, 404, 409]);
/** REST answers that end the room for good, as the close code the socket would have used. */
const ENDING_STATUS: Record<number, number | undefined> = { 401: 4401, 404: 4404 };
/**
 * Refusals a `react` may get. Its `error` frame names no message, but the server answers a
 * refusal at once, in the order of the frames, while a reaction that went through comes back
 * later through the room's fan-out: such an error answers the latest `react` still waiting.
 */
const REACT_REFUSALS = new Set([
  'invalid_emoji',
  'too_many_reactions',
  'rate_limited',
  'room_archived',
  'message_deleted',
  'not_found',
  'invalid_field',
  'unavailable',
]);
/** Refusals that mean what the client shows is out of date (the room archived, the message deleted). */
const STALE_REACT_REFUSALS = new Set(['room_archived', 'message_deleted', 'not_found']);
/**
 * How long a `react` waits for its answer. One that changes nothing (reacting with an emoji
 * already yours) gets none at all, so it stops waiting after this.
 */
const REACT_ANSWER_MS = 10_000;

interface SentReaction {
  messageId: number;
  emoji: string;
  on: boolean;
  at: number;
}

export class RoomSession {
  readonly store: Store<ChatState, ChatAction>;
  readonly socket: RoomSocket;
  private readonly connectionStore: Store<ConnectionState, ConnectionState>;
  readonly reading: RoomReading;
  private readonly o: Required<Omit<RoomSessionOptions, 'createSocket' | 'memberships' | 'membershipApi' | 'readDebounceMs'>>;
  private readonly offs: (() => void)[] = [];
  private pollTimer: unknown = null;
  /** Bumped when a run of polls ends, so an answer that arrives after it says nothing about now. */
  private pollRun = 0;
  private polling = false;
  private httpHealth: HttpHealth = 'unknown';
  /** A poll carried the connection id since the socket last took over: the server lists us. */
  private httpConnectionOpen = false;
  /** This run of polls already brought a presence snapshot: the next one is diffed for notices. */
  private snapshotSeen = false;
  private catchingUp: Promise<void> | null = null;
  private catchUpAgain = false;
  private readonly posting = new Set<string>();
  private lastTypingSent = -Infinity;
  private stopped = false;
  private olderRequest: Promise<void> | null = null;
  /** `react` frames sent and not answered yet, oldest first. */
  private reactsSent: SentReaction[] = [];

  constructor(options: RoomSessionOptions) {
    this.o = {
      pollMs: 2000,
      httpProbeAfter: 2,
      connectionId: tabConnectionId(options.slug),
      typingThrottleMs: 2000,
      typingShowMs: 3500,
      now: Date.now,
      newClientId: () => newClientId(),
      timers: {
        setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
        clearInterval: (id) => globalThis.clearInterval(id as ReturnType<typeof setInterval>),
      },
      ...options,
    };
    this.store = createStore(chatReducer, initialChatState(options.me));
    this.socket = options.createSocket(() => resumeSince(this.store.getState()));
    this.connectionStore = createStore<ConnectionState, ConnectionState>(
      (held, next) => (sameConnectionState(held, next) ? held : next),
      connectionState(this.socket.getState(), this.httpHealth),
    );
    this.reading = new RoomReading({
      slug: options.slug,
      memberships: options.memberships ?? createMemberships(),
      api: options.membershipApi,
      chat: this.store,
      status: () => this.status,
      sendRead: (seq) => this.socket.send({ type: 'read', seq }) === 'sent',
      onEntry: () => this.loadToEntry(),
      debounceMs: options.readDebounceMs,
    });
  }

  get memberships(): Memberships {
    return this.reading.memberships;
  }

  get state(): ChatState {
    return this.store.getState();
  }

  get slug(): string {
    return this.o.slug;
  }

  /** The room's history by REST, for what reads it without changing the state (the context view). */
  get history(): Pick<MessagesApi, 'before' | 'after'> {
    return this.o.api;
  }

  /** What the status indicator shows: the socket, else whether the HTTP API answers. */
  get connection(): ReadonlyStore<ConnectionState> {
    return this.connectionStore;
  }

  private get status(): ConnectionStatus {
    return this.connectionStore.getState().status;
  }

  start(): void {
    const s = this.socket;
    const d = (a: ChatAction) => this.store.dispatch(a);
    this.offs.push(
      s.on('hello', (f) => {
        d({ type: 'hello', frame: f });
        this.reading.hello(f);
        this.resendPending();
      }),
      s.on('ack', (f) => {
        d({ type: 'ack', clientId: f.client_id, message: f.message });
        this.reading.ownMessage(f.message.seq);
        this.fillGap();
      }),
      s.on('membership', (f) => this.reading.membership(f.membership)),
      s.on('alert', (f) => this.reading.alert(f)),
      s.on('message.new', (f) => this.applyEvent({ type: 'message', event: f.event, message: f.message })),
      s.on('message.edited', (f) => this.applyEvent({ type: 'message', event: f.event, message: f.message })),
      s.on('message.deleted', (f) => this.applyEvent({ type: 'message', event: f.event, message: f.message })),
      s.on('message.reacted', (f) => {
        this.applyEvent({ type: 'message', event: f.event, message: f.message });
        this.reactAnswered(f.message);
      }),
      s.on('room.updated', (f) => this.applyEvent({ type: 'roomUpdated', event: f.event, room: f.room })),
      s.on('presence', (f) => d({ type: 'presence', frame: f, at: new Date(this.o.now()).toISOString() })),
      s.on('typing', (f) => d({ type: 'typing', user: f.user, until: this.o.now() + this.o.typingShowMs })),
      s.on('pong', (f) => {
        if (this.state.ready && f.last_event !== null && f.last_event > this.state.head) this.requestCatchUp();
      }),
      s.on('error', (f) => {
        if (f.client_id) d({ type: 'rejected', clientId: f.client_id, error: failure(f.code, f.detail, f.retry_after) });
        else this.reactRefused(f);
      }),
      s.subscribe(() => this.onSocketState()),
    );
    s.connect();
    this.reading.start();
  }

  stop(): void {
    this.stopped = true;
    for (const off of this.offs.splice(0)) off();
    this.reading.stop();
    this.stopPolling();
    if (this.state.endedBy === null) this.endHttpConnection();
    this.socket.close();
  }

  /** Tries every transport now, e.g. when the browser reports it is online again. */
  retryNow(): void {
    this.socket.reconnectNow();
    if (this.pollTimer !== null) void this.pollOnce();
  }

  /**
   * `mentions`: the people the body's `<@id>` tokens name, shown by name until the ack.
   * `replyTo`: the message it answers, sent as `reply_to`.
   */
  send(body: string, mentions?: UserRef[], replyTo?: ReplyRef): void {
    const trimmed = body.trim();
    if (!trimmed) return;
    const clientId = this.o.newClientId();
    const createdAt = new Date(this.o.now()).toISOString();
    const pending: PendingMessage = { clientId, body, createdAt, status: 'pending', error: null, mentions };
    if (replyTo) pending.replyTo = replyTo;
    this.store.dispatch({ type: 'send', pending });
    this.deliver(clientId);
  }

  /**
   * Adds (`on`) or takes back the user's `emoji` on a message. Over the socket the answer is the
   * `message.reacted` frame everyone gets, or an `error`; without a socket it goes over REST, whose
   * answer is the message with its reactions now. A refusal lands in the state (`reactFailure`).
   */
  react(messageId: number, emoji: string, on: boolean): void {
    if (this.state.reactFailure) this.store.dispatch({ type: 'reactFailed', failure: null });
    const now = this.o.now();
    this.reactsSent = this.reactsSent.filter((r) => now - r.at < REACT_ANSWER_MS);
    if (this.socket.send({ type: 'react', message_id: messageId, emoji, on }) === 'sent') {
      this.reactsSent.push({ messageId, emoji, on, at: now });
      return;
    }
    void this.reactOverHttp(messageId, emoji, on);
  }

  private async reactOverHttp(messageId: number, emoji: string, on: boolean): Promise<void> {
    try {
      const message = await this.refreshOnRefusal(this.o.api.react(this.o.slug, messageId, emoji, on));
      if (!this.stopped) this.store.dispatch({ type: 'edited', message });
    } catch (err) {
      if (this.stopped) return;
      if (err instanceof ApiError && err.status === 401) {
        this.store.dispatch({ type: 'ended', code: 4401 });
        return;
      }
      const error = err instanceof ApiError ? failure(err.code, err.message, err.retryAfter) : failure('network', String(err), null);
      this.store.dispatch({ type: 'reactFailed', failure: { messageId, error } });
    }
  }

  /** A `message.reacted` answers the reacts it shows done. */
  private reactAnswered(message: Message): void {
    const me = this.state.you.id;
    const mine = (emoji: string) => (message.reactions ?? []).some((r) => r.emoji === emoji && r.users.some((u) => u.id === me));
    this.reactsSent = this.reactsSent.filter((r) => r.messageId !== message.id || mine(r.emoji) !== r.on);
  }

  /** An `error` without a `client_id`: the refusal of the latest `react` still waiting, if it is one. */
  private reactRefused(f: ErrorFrame): void {
    const now = this.o.now();
    this.reactsSent = this.reactsSent.filter((r) => now - r.at < REACT_ANSWER_MS);
    if (!REACT_REFUSALS.has(f.code)) return;
    const sent = this.reactsSent.pop();
    if (!sent) return;
    this.store.dispatch({ type: 'reactFailed', failure: { messageId: sent.messageId, error: failure(f.code, f.detail, f.retry_after) } });
    if (STALE_REACT_REFUSALS.has(f.code) && this.state.ready) this.requestCatchUp();
  }

  /** Same `client_id` as the first try, so the server can never store it twice. */
  retry(clientId: string): void {
    this.store.dispatch({ type: 'retry', clientId });
    this.deliver(clientId);
  }

  discard(clientId: string): void {
    this.socket.cancelQueued(clientId);
    this.store.dispatch({ type: 'discard', clientId });
  }

  notifyTyping(): void {
    const now = this.o.now();
    if (now - this.lastTypingSent < this.o.typingThrottleMs) return;
    if (this.status === 'connected') {
      if (this.socket.send({ type: 'typing' }) === 'sent') this.lastTypingSent = now;
    } else if (this.status === 'http') {
      this.lastTypingSent = now;
      // Only meaningful now: a lost one is not worth a retry.
      this.o.api.typing(this.o.slug).catch(() => undefined);
    }
  }

  expireTyping(): void {
    this.store.dispatch({ type: 'expireTyping', now: this.o.now() });
  }

  /** One page of older history; a call while one loads shares it. */
  loadOlder(): Promise<void> {
    const oldest = this.state.messages[0];
    if (this.olderRequest) return this.olderRequest;
    if (!oldest || !this.state.hasMore) return Promise.resolve();
    this.olderRequest = (async () => {
      try {
        const page = await this.o.api.before(this.o.slug, oldest.id);
        if (!this.stopped) this.store.dispatch({ type: 'older', messages: page.messages, hasMore: page.has_more });
      } finally {
        this.olderRequest = null;
      }
    })();
    return this.olderRequest;
  }

  /**
   * Pages of older history until `reached` holds, history ends or `maxPages` were loaded: a
   * bound, since a room can hold far more than anyone scrolls through. Throws a failed page.
   */
  async loadOlderUntil(reached: (state: ChatState) => boolean, maxPages: number): Promise<void> {
    for (let page = 0; page < maxPages && !this.stopped && this.state.hasMore && !reached(this.state); page++) {
      await this.loadOlder();
    }
  }

  /** Brings the first unread message at entry into the window, so the divider can sit above it. */
  private loadToEntry(): void {
    const reached = (s: ChatState) => !s.entry || (s.messages[0]?.seq ?? 0) <= s.entry.readSeq + 1;
    if (reached(this.state) || !this.state.hasMore) return;
    this.store.dispatch({ type: 'loadingToEntry', loading: true });
    void this.loadOlderUntil(reached, UNREAD_PAGES_MAX)
      .catch(() => undefined)
      .then(() => this.store.dispatch({ type: 'loadingToEntry', loading: false }));
  }

  /** Throws the server's refusal (an ApiError) for the caller to show; the state stays as it was. */
  async edit(id: number, body: string): Promise<void> {
    const message = await this.refreshOnRefusal(this.o.api.edit(this.o.slug, id, body));
    if (!this.stopped) this.store.dispatch({ type: 'edited', message });
  }

  /** Throws like `edit`. The 204 has no body: the message is marked deleted until its frame comes. */
  async remove(message: Message): Promise<void> {
    await this.refreshOnRefusal(this.o.api.remove(this.o.slug, message.id));
    if (!this.stopped) this.store.dispatch({ type: 'removed', id: message.id });
  }

  /** A refusal such as `room_archived` or `message_deleted` means the client is behind: catch up. */
  private async refreshOnRefusal<T>(request: Promise<T>): Promise<T> {
    try {
      return await request;
    } catch (err) {
      if (err instanceof ApiError && STALE_STATUS.has(err.status) && this.state.ready) this.requestCatchUp();
      throw err;
    }
  }

  private applyEvent(action: ChatAction): void {
    this.store.dispatch(action);
    if (action.type === 'message') this.reading.messageSeen(action.message.seq);
    if (action.type === 'roomUpdated') this.reading.roomSeen(action.room);
    this.fillGap();
  }

  private fillGap(): void {
    if (this.state.ready && hasGap(this.state)) this.requestCatchUp();
  }

  private deliver(clientId: string): void {
    const p = this.state.pending.find((x) => x.clientId === clientId);
    if (!p) return;
    if (this.status === 'http') {
      void this.post(clientId);
    } else {
      this.socket.send(sendFrame(p), clientId);
    }
  }

  private resendPending(): void {
    for (const p of this.state.pending) {
      if (p.status === 'pending' && !this.posting.has(p.clientId)) {
        this.socket.send(sendFrame(p), p.clientId);
      }
    }
  }

  private async post(clientId: string): Promise<void> {
    const p = this.state.pending.find((x) => x.clientId === clientId);
    if (!p || p.status !== 'pending' || this.posting.has(clientId)) return;
    this.socket.cancelQueued(clientId);
    this.posting.add(clientId);
    try {
      const { slug } = this.o;
      const message = await (p.replyTo ? this.o.api.send(slug, p.body, clientId, p.replyTo.id) : this.o.api.send(slug, p.body, clientId));
      if (this.stopped) return;
      this.store.dispatch({ type: 'ack', clientId, message });
      this.reading.ownMessage(message.seq);
      this.fillGap();
    } catch (err) {
      // Unreachable or briefly unavailable: the message stays pending and the next poll retries it.
      if (err instanceof ApiError && !err.isNetwork && err.code !== 'unavailable') {
        this.store.dispatch({ type: 'rejected', clientId, error: failure(err.code, err.message, err.retryAfter) });
        return;
      }
    } finally {
      this.posting.delete(clientId);
    }
    // The socket may have come back (or HTTP stopped answering) while this POST was failing; no
    // poll will retry it then, the socket's queue will.
    if (this.status !== 'http' && !this.stopped) this.deliver(clientId);
  }

  private onSocketState(): void {
    const socket = this.socket.getState();
    if (socket.status === 'connected' || socket.status === 'closed') {
      this.stopPolling();
      if (socket.status === 'connected') this.endHttpConnection();
    } else if (socket.status === 'reconnecting' && socket.failures >= this.o.httpProbeAfter) {
      this.startPolling();
    }
    this.publishConnection();
  }

  private publishConnection(): void {
    this.connectionStore.dispatch(connectionState(this.socket.getState(), this.httpHealth));
  }

  private setHttpHealth(health: HttpHealth): void {
    const before = this.httpHealth;
    if (health === before) return;
    // The server answers again after nothing did: it is likely back, so the socket tries at once
    // instead of waiting out its backoff, and the status stays Reconnecting meanwhile. HTTP mode
    // only follows if the next poll answers while the socket still fails (WebSockets blocked).
    const recovered = before === 'down' && health === 'ok';
    this.httpHealth = recovered ? 'unknown' : health;
    this.publishConnection();
    if (recovered) this.socket.reconnectNow();
  }

  private startPolling(): void {
    if (this.pollTimer !== null || this.stopped) return;
    this.snapshotSeen = false;
    const tick = () => {
      void this.pollOnce();
    };
    this.pollTimer = this.o.timers.setInterval(tick, this.o.pollMs);
    tick();
  }

  private stopPolling(): void {
    if (this.pollTimer === null) return;
    this.o.timers.clearInterval(this.pollTimer);
    this.pollTimer = null;
    this.pollRun++;
    this.httpHealth = 'unknown';
  }

  /** Best effort: otherwise the server keeps listing us for HTTP_PRESENCE_TTL (10 s). */
  private endHttpConnection(): void {
    if (!this.httpConnectionOpen) return;
    this.httpConnectionOpen = false;
    this.o.api.leave(this.o.slug, this.o.connectionId).catch(() => undefined);
  }

  /**
   * One `changes` call per tick (none while the last is unanswered): the catch-up after `head`,
   * or the window on the first load. Its outcome is what the indicator says about HTTP.
   */
  private async pollOnce(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    const run = this.pollRun;
    let answered = false;
    try {
      if (!this.state.ready) {
        const changes = await this.fetchChanges();
        if (!this.stopped) this.applyChanges(changes);
      } else {
        await this.catchUp();
      }
      answered = true;
    } catch (err) {
      const ended = err instanceof ApiError ? ENDING_STATUS[err.status] : undefined;
      if (ended) {
        this.store.dispatch({ type: 'ended', code: ended });
        this.stop();
        return;
      }
      // Otherwise the next tick tries again; meanwhile the indicator says nothing answers.
    } finally {
      this.polling = false;
    }
    if (this.stopped || run !== this.pollRun) return;
    this.setHttpHealth(answered ? 'ok' : 'down');
    if (!answered) return;
    for (const p of this.state.pending) if (p.status === 'pending') void this.post(p.clientId);
    this.reading.flush();
  }

  /** While polling, every `changes` call carries the connection id: it is the heartbeat too. */
  private fetchChanges(since?: number): Promise<Changes> {
    if (this.pollTimer === null) return this.o.api.changes(this.o.slug, since);
    this.httpConnectionOpen = true;
    return this.o.api.changes(this.o.slug, since, this.o.connectionId);
  }

  private applyChanges(changes: Changes): void {
    const now = this.o.now();
    this.store.dispatch({ type: 'changes', changes });
    this.reading.changes(changes);
    if (changes.presence) {
      const polling = this.pollTimer !== null;
      this.store.dispatch({
        type: 'presenceSnapshot',
        snapshot: changes.presence,
        announce: polling && this.snapshotSeen,
        at: new Date(now).toISOString(),
      });
      if (polling) this.snapshotSeen = true;
    }
    for (const user of changes.typing ?? []) this.store.dispatch({ type: 'typing', user, until: now + this.o.typingShowMs });
  }

  /** A catch-up nobody waits for: if it fails, the next pong or poll asks again. */
  private requestCatchUp(): void {
    this.catchUp().catch(() => undefined);
  }

  /**
   * Asks what changed after `head` (one `changes` call) and applies it; concurrent calls share one
   * run plus one rerun. A gap still open afterwards (frames that overtook the answer) runs it again.
   */
  catchUp(): Promise<void> {
    if (this.catchingUp) {
      this.catchUpAgain = true;
      return this.catchingUp;
    }
    this.catchingUp = (async () => {
      try {
        let rounds = 0;
        do {
          this.catchUpAgain = false;
          const changes = await this.fetchChanges(this.state.head);
          if (this.stopped) return;
          this.applyChanges(changes);
        } while ((this.catchUpAgain || hasGap(this.state)) && !this.stopped && ++rounds < MAX_CATCH_UP_ROUNDS);
      } finally {
        this.catchingUp = null;
      }
    })();
    return this.catchingUp;
  }
}

/** The `send` frame of a pending message; `reply_to` only when it answers one. */
function sendFrame(p: PendingMessage): ClientFrame {
  const frame: Extract<ClientFrame, { type: 'send' }> = { type: 'send', body: p.body, client_id: p.clientId };
  if (p.replyTo) frame.reply_to = p.replyTo.id;
  return frame;
}

function failure(code: string, detail: string, retryAfter: number | null | undefined): SendFailure {
  return { code, detail, retryAfter: retryAfter ?? null };
}
