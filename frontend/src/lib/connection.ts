import type { SocketState } from './socket';

/**
 * What the status indicator says, from what actually answered: the WebSocket first, else the
 * HTTP API (a room's `changes` poll, the room list's GET). "HTTP mode" needs an HTTP answer,
 * "Offline" an HTTP failure; until either is known while the socket retries, "Reconnecting".
 *
 * - `connecting`: the first WebSocket attempt, nothing failed yet.
 * - `connected`: the WebSocket is live.
 * - `reconnecting`: the WebSocket failed and retries; the HTTP API has not answered yet.
 * - `http`: the WebSocket still fails but the last HTTP request was answered.
 * - `offline`: neither answers (or the socket was closed for good).
 */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'http' | 'offline';

/** The outcome of the latest HTTP request that probes the server while the socket is down. */
export type HttpHealth = 'unknown' | 'ok' | 'down';

export interface ConnectionState {
  status: ConnectionStatus;
  /** When the WebSocket tries again (ms since the epoch), while it waits to. */
  retryAt: number | null;
  /** The close code that ended the socket for good (4401, 4403, 4404). */
  stoppedBy: number | null;
}

export function connectionState(socket: SocketState, http: HttpHealth): ConnectionState {
  if (socket.status === 'connected') return { status: 'connected', retryAt: null, stoppedBy: null };
  if (socket.status === 'closed') return { status: 'offline', retryAt: null, stoppedBy: socket.stoppedBy };
  const waiting = { retryAt: socket.retryAt, stoppedBy: null };
  if (http === 'ok') return { status: 'http', ...waiting };
  if (http === 'down') return { status: 'offline', ...waiting };
  return { status: socket.status === 'connecting' ? 'connecting' : 'reconnecting', ...waiting };
}

/** Whether what the server pushes (presence, typing, counts) reaches the client now. */
export function isLive(status: ConnectionStatus): boolean {
  return status === 'connected' || status === 'http';
}

export function sameConnectionState(a: ConnectionState, b: ConnectionState): boolean {
  return a.status === b.status && a.retryAt === b.retryAt && a.stoppedBy === b.stoppedBy;
}
