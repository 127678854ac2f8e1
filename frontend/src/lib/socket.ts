import { parseLobbyFrame, parseServerFrame } from './protocol';
import type { ClientFrame, LobbyClientFrame, LobbyServerFrame, ServerFrame } from './protocol';

/**
 * The only place that opens a WebSocket. One instance follows one endpoint (a room, or the
 * lobby): it reconnects with backoff, keeps the connection honest with a heartbeat, buffers chat
 * sends while offline, validates every incoming frame and hands it to the listeners registered
 * for its `type`. It speaks only for the WebSocket: whether the HTTP API answers meanwhile is
 * for its owner to find out (lib/connection.ts).
 */

/**
 * `connecting`: the first attempt, nothing failed yet. `reconnecting`: at least one attempt
 * failed; waiting until `retryAt`, or trying again (`retryAt` null). `closed`: for good.
 */
export type SocketStatus = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface SocketState {
  status: SocketStatus;
  /** Failed attempts since the last connection that reached its first frame (`hello`, `lobby`). */
  failures: number;
  /** Set when the server closed with a code that forbids reconnecting (4401, 4403, 4404). */
  stoppedBy: number | null;
  /** When the next attempt starts (ms since the epoch), while waiting for it. */
  retryAt: number | null;
}

export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface SocketOptions {
  /** Absolute ws:/wss: URL of the endpoint, e.g. ws://host/ws/rooms/general/. */
  url: string;
  /**
   * The room event up to which the app has applied everything (its `head`), asked before each
   * attempt; sent as `?since=` so the server's `hello` holds only what changed after it. `null`
   * (nothing applied yet) asks for a fresh join: the latest window.
   */
  resumeSince?: () => number | null;
  /**
   * Extra query parameters fetched before each attempt, e.g. a one-time `ticket` when the socket
   * lives on another origin than the page and the session cookie does not travel with it.
   */
  authParams?: () => Promise<Record<string, string>>;
  WebSocketImpl?: WebSocketConstructor;
  timers?: Timers;
  random?: () => number;
  now?: () => number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  heartbeatMs?: number;
  /** How long an attempt may take to open and say its first frame, and a ping to be answered. */
  pongTimeoutMs?: number;
  /** Wait after 4429 (too many connections): retrying at once would only be refused again. */
  tooManyDelayMs?: number;
  maxQueued?: number;
}

export type SendResult = 'sent' | 'queued' | 'dropped';

interface Frame {
  type: string;
}

/** What differs between endpoints: how frames are read, which one means "ready", the ping. */
interface Dialect<In extends Frame, Out extends Frame> {
  parse: (data: unknown) => In | null;
  readyType: In['type'];
  ping: Out;
}

type Handler<In extends Frame, T extends In['type']> = (frame: Extract<In, { type: T }>) => void;

const OPEN = 1;
export const TERMINAL_CLOSE_CODES: ReadonlySet<number> = new Set([4401, 4403, 4404]);
const TOO_MANY_CONNECTIONS = 4429;
/**
 * A server restarting (1012) or closing a socket it stopped hearing from or that stopped reading
 * (4408): the connection itself was fine, so the next attempt starts at once.
 */
const RECONNECT_AT_ONCE: ReadonlySet<number> = new Set([1012, 4408]);
const HEARTBEAT_TIMEOUT_CODE = 4000;

const defaultTimers: Timers = {
  // Looked up on each call so test fake timers installed later are honoured.
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (id) => globalThis.clearTimeout(id as ReturnType<typeof setTimeout>),
};

/**
 * Exponential backoff with "equal jitter": the ceiling doubles per failure up to `maxMs`, and the
 * delay is drawn from its upper half so a crowd of clients spreads out without ever retrying at once.
 */
export function backoffDelay(failures: number, random: () => number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export class ReconnectingSocket<In extends Frame, Out extends Frame> {
  private readonly opts: Required<Omit<SocketOptions, 'resumeSince' | 'authParams'>> &
    Pick<SocketOptions, 'resumeSince' | 'authParams'>;
  private ws: WebSocketLike | null = null;
  private ready = false;
  private closedByUser = false;
  private started = false;
  /** Bumped per attempt so a late authParams answer for an abandoned attempt is ignored. */
  private attempt = 0;
  private state: SocketState = { status: 'connecting', failures: 0, stoppedBy: null, retryAt: null };
  private readonly handlers = new Map<string, Set<(frame: In) => void>>();
  private readonly stateListeners = new Set<() => void>();
  private queue: { frame: Out; key?: string }[] = [];
  private retryTimer: unknown = null;
  private heartbeatTimer: unknown = null;
  private watchdogTimer: unknown = null;

  constructor(
    options: SocketOptions,
    private readonly dialect: Dialect<In, Out>,
  ) {
    this.opts = {
      WebSocketImpl: globalThis.WebSocket as unknown as WebSocketConstructor,
      timers: defaultTimers,
      random: Math.random,
      now: () => Date.now(),
      backoffBaseMs: 500,
      backoffMaxMs: 15_000,
      heartbeatMs: 25_000,
      pongTimeoutMs: 10_000,
      tooManyDelayMs: 30_000,
      maxQueued: 200,
      ...options,
    };
  }

  /** Starts connecting; later calls are no-ops. */
  connect(): void {
    if (this.started || this.closedByUser) return;
    this.started = true;
    this.openSocket();
  }

  /** Intentional close: no reconnect, queued frames are dropped. */
  close(): void {
    this.closedByUser = true;
    this.clearTimers();
    this.queue = [];
    const ws = this.ws;
    this.detach();
    if (ws) safeClose(ws, 1000, 'leaving');
    this.setState({ status: 'closed', retryAt: null });
  }

  /** Skips the remaining backoff wait, e.g. when the browser reports it is online again. */
  reconnectNow(): void {
    if (this.closedByUser || !this.started || this.ws || this.state.stoppedBy !== null) return;
    this.opts.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.openSocket();
  }

  getState = (): SocketState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  };

  on<T extends In['type']>(type: T, handler: Handler<In, T>): () => void {
    let set = this.handlers.get(type);
    if (!set) {
      set = new Set();
      this.handlers.set(type, set);
    }
    const h = handler as (frame: In) => void;
    set.add(h);
    return () => set.delete(h);
  }

  /**
   * Writes the frame when connected. Chat sends made while offline are kept (one per `key`, so
   * a retry replaces rather than repeats) and flushed after the next `hello`; typing and pings
   * are only meaningful now, so they are dropped.
   */
  send(frame: Out, key?: string): SendResult {
    if (key !== undefined) this.cancelQueued(key);
    if (this.ws && this.ready && this.ws.readyState === OPEN) {
      this.ws.send(JSON.stringify(frame));
      return 'sent';
    }
    if (frame.type !== 'send' || this.closedByUser) return 'dropped';
    if (this.queue.length >= this.opts.maxQueued) this.queue.shift();
    this.queue.push({ frame, key });
    return 'queued';
  }

  /** Removes a buffered frame, e.g. because it went out over HTTP instead. */
  cancelQueued(key: string): boolean {
    const before = this.queue.length;
    this.queue = this.queue.filter((item) => item.key !== key);
    return this.queue.length !== before;
  }

  get queuedCount(): number {
    return this.queue.length;
  }

  private openSocket(): void {
    this.retryTimer = null;
    this.setState({ status: this.state.failures > 0 ? 'reconnecting' : 'connecting', retryAt: null });
    if (!this.opts.authParams) {
      this.createSocket({});
      return;
    }
    const attempt = ++this.attempt;
    this.opts.authParams().then(
      (params) => {
        if (attempt === this.attempt && !this.closedByUser) this.createSocket(params);
      },
      () => {
        if (attempt === this.attempt && !this.closedByUser) this.handleClose(1006, false);
      },
    );
  }

  private createSocket(params: Record<string, string>): void {
    const since = this.opts.resumeSince?.() ?? null;
    const query = since === null ? params : { ...params, since: String(since) };
    const url = withQuery(this.opts.url, query);
    let ws: WebSocketLike;
    try {
      ws = new this.opts.WebSocketImpl(url);
    } catch {
      // A constructor that throws (blocked, bad URL, CSP) is a failed attempt like any other.
      this.handleClose(1006, false);
      return;
    }
    this.ws = ws;
    this.ready = false;
    // An attempt that never opens (a proxy holding the handshake) must fail too, not hang.
    this.armWatchdog();
    ws.onopen = () => this.armWatchdog();
    ws.onmessage = (ev) => this.handleData(ev.data);
    ws.onerror = () => undefined;
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      const wasReady = this.ready;
      this.detach();
      this.handleClose(ev.code, wasReady);
    };
  }

  private handleData(data: unknown): void {
    const frame = this.dialect.parse(data);
    if (!frame) {
      console.warn('rooms: ignored an invalid frame from the server');
      return;
    }
    const isReady = frame.type === this.dialect.readyType;
    if (isReady) {
      this.ready = true;
      this.setState({ status: 'connected', failures: 0, stoppedBy: null, retryAt: null });
      this.startHeartbeat();
    } else if (frame.type === 'pong') {
      this.opts.timers.clearTimeout(this.watchdogTimer);
      this.watchdogTimer = null;
    }
    this.dispatch(frame);
    // Listeners see `hello` first so they can resend what the server did not store; whatever is
    // still queued afterwards goes out now.
    if (isReady) this.flushQueue();
  }

  private dispatch(frame: In): void {
    const set = this.handlers.get(frame.type);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        handler(frame);
      } catch (err) {
        console.error('rooms: a socket listener failed', err);
      }
    }
  }

  private flushQueue(): void {
    const pending = this.queue;
    this.queue = [];
    for (const item of pending) this.send(item.frame, item.key);
  }

  private handleClose(code: number, wasReady: boolean): void {
    this.clearTimers();
    if (this.closedByUser) return;
    if (TERMINAL_CLOSE_CODES.has(code)) {
      this.queue = [];
      this.setState({ status: 'closed', stoppedBy: code, retryAt: null });
      return;
    }
    // A connection that worked and then dropped starts a fresh backoff sequence.
    const failures = wasReady ? 1 : this.state.failures + 1;
    let delay: number;
    if (code === TOO_MANY_CONNECTIONS) delay = this.opts.tooManyDelayMs;
    else if (wasReady && RECONNECT_AT_ONCE.has(code)) delay = 0;
    else delay = backoffDelay(failures, this.opts.random, this.opts.backoffBaseMs, this.opts.backoffMaxMs);
    this.setState({ status: 'reconnecting', failures, retryAt: this.opts.now() + delay });
    this.retryTimer = this.opts.timers.setTimeout(() => this.openSocket(), delay);
  }

  /** Until `hello` (after open) or `pong` (after a ping) arrives, the connection is on probation. */
  private armWatchdog(): void {
    this.opts.timers.clearTimeout(this.watchdogTimer);
    this.watchdogTimer = this.opts.timers.setTimeout(() => this.dropHalfOpen(), this.opts.pongTimeoutMs);
  }

  private startHeartbeat(): void {
    this.opts.timers.clearTimeout(this.watchdogTimer);
    this.watchdogTimer = null;
    this.opts.timers.clearTimeout(this.heartbeatTimer);
    const tick = () => {
      this.send(this.dialect.ping);
      // An unanswered earlier ping keeps its deadline; a fresh one starts the clock.
      if (this.watchdogTimer === null) this.armWatchdog();
      this.heartbeatTimer = this.opts.timers.setTimeout(tick, this.opts.heartbeatMs);
    };
    this.heartbeatTimer = this.opts.timers.setTimeout(tick, this.opts.heartbeatMs);
  }

  /** A silent socket may be half-open for minutes before the browser notices; stop trusting it. */
  private dropHalfOpen(): void {
    const ws = this.ws;
    if (!ws) return;
    const wasReady = this.ready;
    this.detach();
    safeClose(ws, HEARTBEAT_TIMEOUT_CODE, 'heartbeat timeout');
    this.handleClose(1006, wasReady);
  }

  private detach(): void {
    const ws = this.ws;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onerror = null;
      ws.onclose = null;
    }
    this.ws = null;
    this.ready = false;
  }

  private clearTimers(): void {
    const t = this.opts.timers;
    t.clearTimeout(this.retryTimer);
    t.clearTimeout(this.heartbeatTimer);
    t.clearTimeout(this.watchdogTimer);
    this.retryTimer = this.heartbeatTimer = this.watchdogTimer = null;
  }

  private setState(patch: Partial<SocketState>): void {
    const next = { ...this.state, ...patch };
    if (
      next.status === this.state.status &&
      next.failures === this.state.failures &&
      next.stoppedBy === this.state.stoppedBy &&
      next.retryAt === this.state.retryAt
    ) {
      return;
    }
    this.state = next;
    for (const listener of [...this.stateListeners]) listener();
  }
}

/** A room's socket: resumes with `since`, ready at `hello`, carries chat sends. */
export class RoomSocket extends ReconnectingSocket<ServerFrame, ClientFrame> {
  constructor(options: SocketOptions) {
    super(options, { parse: parseServerFrame, readyType: 'hello', ping: { type: 'ping' } });
  }
}

/** The room list's socket (`/ws/lobby/`): ready at `lobby`, then `rooms.updated` frames. */
export class LobbySocket extends ReconnectingSocket<LobbyServerFrame, LobbyClientFrame> {
  constructor(options: SocketOptions) {
    super(options, { parse: parseLobbyFrame, readyType: 'lobby', ping: { type: 'ping' } });
  }
}

function withQuery(url: string, params: Record<string, string>): string {
  const entries = Object.entries(params);
  if (entries.length === 0) return url;
  const u = new URL(url);
  for (const [name, value] of entries) u.searchParams.set(name, value);
  return u.toString();
}

function safeClose(ws: WebSocketLike, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Closing a socket that never opened can throw in some browsers; it is gone either way.
  }
}
