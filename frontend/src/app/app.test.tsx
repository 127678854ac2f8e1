import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { User } from '@/lib/protocol';
import { FakeServer, message, room } from '@/test/fake-websocket';

import { App } from './app';
import { createServices } from './services';

const limits = { message_max_length: 10, display_name_max_length: 12, search_query_max_length: 30 };
const mina: User = { id: 3, display_name: 'Mina', avatar_url: '', is_staff: false, is_guest: true };

/**
 * The whole app against a fake server: real services over a fetch that answers the auth and room
 * endpoints (recording every request and its status) and a fake WebSocket.
 */
function start({ signedInAs = null }: { signedInAs?: User | null } = {}) {
  const sockets = new FakeServer();
  const requests: { method: string; path: string; status: number }[] = [];
  const searches: string[] = [];
  let session: User | null = signedInAs;
  vi.stubGlobal('WebSocket', sockets.Impl);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET';
      const path = new URL(url).pathname;
      const answer = (status: number, body: unknown) => {
        requests.push({ method, path, status });
        return new Response(body === null ? null : JSON.stringify(body), { status });
      };
      if (path === '/api/auth/config/') {
        return answer(200, { guest_enabled: true, google_enabled: false, google_login_url: null, limits, user: session });
      }
      if (path === '/api/auth/csrf/') return answer(200, { csrf_token: 'tok' });
      if (path === '/api/auth/guest/' && method === 'POST') {
        session = mina;
        return answer(201, mina);
      }
      if (path === '/api/me/') return session ? answer(200, session) : answer(401, { error: { code: 'not_authenticated' } });
      if (path === '/api/rooms/') return answer(200, { rooms: [room()] });
      if (path === '/api/search/') {
        searches.push(new URL(url).searchParams.toString());
        return answer(200, { results: [message(812, 5, { body: '내일 회의를 합니다' })], terms: ['회의'], has_more: false });
      }
      return answer(404, { error: { code: 'not_found' } });
    }),
  );
  render(<App services={createServices({ apiBase: 'http://chat.test', wsBase: 'ws://chat.test' }, 'http://chat.test')} />);
  return { sockets, requests, searches };
}

beforeEach(() => {
  window.location.hash = '';
});

afterEach(() => {
  window.location.hash = '';
  vi.unstubAllGlobals();
});

describe('App', () => {
  it('shows a first visit the sign-in screen without a failing request or a connection status', async () => {
    const { requests } = start();
    const name = await screen.findByLabelText('Display name');
    expect(requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['GET /api/auth/config/', 'GET /api/auth/csrf/']);
    expect(requests.filter((r) => r.status >= 400)).toEqual([]);
    expect(screen.queryByTestId('connection-status')).toBeNull();
    // The name's limit is the server's.
    expect(name).toHaveAttribute('maxLength', '12');
  });

  it('moves focus to the room list heading after signing in, and to the message box on entering a room', async () => {
    const { sockets, requests } = start();
    await userEvent.type(await screen.findByLabelText('Display name'), 'Mina{Enter}');
    const heading = await screen.findByRole('heading', { level: 1, name: 'Rooms' });
    await waitFor(() => expect(heading).toHaveFocus());
    // The room list has a connection to report.
    expect(screen.getByTestId('connection-status')).toHaveAttribute('data-status', 'connecting');
    act(() => {
      sockets.open();
      sockets.emit({ type: 'lobby', rooms: [room()] });
    });
    expect(screen.getByTestId('connection-status')).toHaveAttribute('data-status', 'connected');
    expect(requests.filter((r) => r.status >= 400)).toEqual([]);
    expect(requests.some((r) => r.path === '/api/me/')).toBe(false);

    await userEvent.click(screen.getByTestId('room-card-general'));
    const box = await screen.findByRole('textbox', { name: 'Message' });
    await waitFor(() => expect(box).toHaveFocus());
    act(() => sockets.hello());
    await userEvent.keyboard('typed at once');
    expect(box).toHaveValue('typed at once');
    // The composer holds to the server's limit (10), not a number of its own.
    expect(screen.getByText('13 / 10')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
  });

  it('starts signed in when the config names the user, without asking /api/me/', async () => {
    const { requests } = start({ signedInAs: mina });
    expect(await screen.findByTestId('current-user')).toHaveTextContent('Mina');
    expect(requests.some((r) => r.path === '/api/me/')).toBe(false);
  });

  it('shows a notification for a mention elsewhere, and its click opens the room at the message', async () => {
    const shown: { title: string; options?: NotificationOptions; onclick: (() => void) | null; close: () => void }[] = [];
    vi.stubGlobal(
      'Notification',
      class {
        static permission = 'granted';
        onclick: (() => void) | null = null;
        constructor(
          readonly title: string,
          readonly options?: NotificationOptions,
        ) {
          shown.push(this);
        }
        close() {}
      },
    );
    const focus = vi.spyOn(window, 'focus').mockImplementation(() => undefined);
    const { sockets } = start({ signedInAs: mina });
    await screen.findByTestId('current-user');
    act(() => {
      sockets.open();
      sockets.emit({
        type: 'lobby',
        rooms: [room({ last_seq: 4 })],
        memberships: [{ room: 'general', read_seq: 4, notify: 'mentions', unread_count: 0, mention_count: 0, mention_seqs: [] }],
      });
      sockets.emit({
        type: 'alert',
        reason: 'mention',
        room: { slug: 'general', name: 'General' },
        message: message(812, 5, { body: '<@3> look', mentions: [mina] }),
      });
    });
    expect(shown.map((n) => [n.title, n.options?.body, n.options?.tag])).toEqual([['Jun mentioned you in General', '@Mina look', 'rooms-812']]);
    expect(screen.getByTestId('room-badges-general')).toHaveAccessibleName('1 unread, 1 mention');
    act(() => shown[0]?.onclick?.());
    expect(focus).toHaveBeenCalled();
    expect(window.location.hash).toBe('#/rooms/general?message=812');
    expect(await screen.findByTestId('room-title')).toBeInTheDocument();
  });

  it('searches every room from the room list, and a result opens its room at the message', async () => {
    const { sockets, searches } = start({ signedInAs: mina });
    const box = await screen.findByRole('searchbox', { name: 'Search messages in all rooms' });
    // The query's limit is the server's.
    expect(box).toHaveAttribute('maxLength', '30');
    act(() => {
      sockets.open();
      sockets.emit({ type: 'lobby', rooms: [room()] });
    });
    await userEvent.type(box, '회의{Enter}');
    const result = await screen.findByRole('link', { name: /General · .+ 내일 회의를 합니다/ });
    expect(searches).toEqual([new URLSearchParams({ q: '회의' }).toString()]);
    expect(result.querySelector('mark')).toHaveTextContent('회의를');
    await userEvent.click(result);
    expect(window.location.hash).toBe('#/rooms/general?message=812');
    expect(await screen.findByTestId('room-title')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Search this room' })).toBeInTheDocument();
  });
});
