import { act, cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ComponentProps } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { ApiError } from '@/lib/api-client';
import type { Membership, Room, User } from '@/lib/protocol';
import { LobbySocket } from '@/lib/socket';
import { FakeServer, me, room } from '@/test/fake-websocket';

import { RoomListScreen } from './room-list-screen';

function mount(list: () => Promise<Room[]> = async () => [], user: User = me, extra: Partial<ComponentProps<typeof RoomListScreen>> = {}) {
  const server = new FakeServer();
  const createLobbySocket = () => new LobbySocket({ url: 'ws://x/ws/lobby/', WebSocketImpl: server.Impl, random: () => 0 });
  const onUnauthorized = vi.fn();
  const update = vi.fn(async (slug: string, patch: { read_seq?: number }) => membership({ room: slug, read_seq: patch.read_seq ?? 0 }));
  render(
    <RoomListScreen
      user={user}
      roomsApi={{ list: async () => ({ rooms: await list(), memberships: [] }) }}
      membershipApi={{ update }}
      createLobbySocket={createLobbySocket}
      onOpen={vi.fn()}
      onSignOut={vi.fn()}
      onUnauthorized={onUnauthorized}
      {...extra}
    />,
  );
  return { server, onUnauthorized, update };
}

function membership(overrides: Partial<Membership> = {}): Membership {
  return { room: 'general', read_seq: 10, notify: 'mentions', unread_count: 0, mention_count: 0, mention_seqs: [], ...overrides };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('RoomListScreen', () => {
  it('shows the search box it is given, and says which rooms it lists so results can name them', () => {
    const onRooms = vi.fn();
    const { server } = mount(undefined, me, { search: <p>the search box</p>, onRooms });
    expect(screen.getByText('the search box')).toBeInTheDocument();
    act(() => {
      server.open();
      server.emit({ type: 'lobby', rooms: [room({ slug: 'general', name: '일반 대화' })] });
    });
    expect(onRooms).toHaveBeenLastCalledWith([expect.objectContaining({ slug: 'general', name: '일반 대화' })]);
  });

  it('shows the lobby’s rooms and follows their online counts live', () => {
    const { server } = mount();
    expect(screen.getByTestId('connection-status')).toHaveAttribute('data-state', 'connecting');
    act(() => {
      server.open();
      server.emit({ type: 'lobby', rooms: [room({ slug: 'general', online_count: 1 }), room({ slug: 'tech', name: 'Tech', online_count: 0 })] });
    });
    expect(screen.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
    expect(screen.getByTestId('room-online-general')).toHaveAttribute('data-count', '1');
    expect(screen.getByTestId('room-online-tech')).toHaveTextContent('0 online');

    act(() => server.emit({ type: 'rooms.updated', rooms: [room({ slug: 'tech', name: 'Tech', online_count: 3 })] }));
    expect(screen.getByTestId('room-online-tech')).toHaveAttribute('data-count', '3');
    expect(screen.getByTestId('room-online-general')).toHaveAttribute('data-count', '1');
  });

  it('falls back to the list API when the lobby socket cannot connect, and says Offline when that fails too', async () => {
    vi.useFakeTimers();
    let down = false;
    const { server } = mount(async () => {
      if (down) throw new ApiError(0, 'network', 'down');
      return [room({ slug: 'general', online_count: 2 })];
    });
    act(() => server.drop());
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(screen.getByTestId('connection-status')).toHaveAttribute('data-state', 'http');
    expect(screen.getByTestId('room-online-general')).toHaveAttribute('data-count', '2');
    expect(screen.queryByRole('alert')).toBeNull();

    down = true;
    await act(() => vi.advanceTimersByTimeAsync(3000));
    expect(screen.getByTestId('connection-status')).toHaveAttribute('data-state', 'offline');
    expect(screen.getByRole('alert')).toHaveTextContent('Could not load rooms');
    // The last list known stays on screen.
    expect(screen.getByTestId('room-online-general')).toHaveAttribute('data-count', '2');
  });

  it('starts keyboard users at its heading when it opens, and does not take focus back later', () => {
    const { server } = mount();
    const heading = screen.getByRole('heading', { level: 1, name: 'Rooms' });
    expect(heading).toHaveFocus();
    expect(heading).toHaveAttribute('tabindex', '-1');
    act(() => {
      server.open();
      server.emit({ type: 'lobby', rooms: [room({ slug: 'general' })] });
    });
    screen.getByTestId('sign-out').focus();
    act(() => server.emit({ type: 'rooms.updated', rooms: [room({ slug: 'general', online_count: 2 })] }));
    expect(screen.getByTestId('room-online-general')).toHaveAttribute('data-count', '2');
    expect(screen.getByTestId('sign-out')).toHaveFocus();
  });

  it('hands over to sign-in when the lobby socket closes with 4401', () => {
    const { server, onUnauthorized } = mount();
    act(() => {
      server.open();
      server.drop(4401);
    });
    expect(onUnauthorized).toHaveBeenCalled();
  });

  it('shows the signed-in name in <bdi>, with the staff mark only for staff', () => {
    mount(undefined, { ...me, display_name: '\u202Eanim', is_staff: true });
    const name = screen.getByTestId('current-user');
    expect(name.tagName).toBe('BDI');
    expect(name.textContent).toBe('\u202Eanim');
    expect(screen.getByTestId('staff-mark')).toHaveTextContent('Staff');
    cleanup();
    mount(undefined, { ...me, display_name: 'Staff ✔' });
    expect(screen.getByTestId('current-user').textContent).toBe('Staff ✔');
    expect(screen.queryByTestId('staff-mark')).toBeNull();
  });

  it('isolates room names in <bdi>', () => {
    const { server } = mount();
    act(() => {
      server.open();
      server.emit({ type: 'lobby', rooms: [room({ slug: 'general', name: '\u202Elareneg' })] });
    });
    const name = screen.getByText('\u202Elareneg');
    expect(name.tagName).toBe('BDI');
    expect(name.closest('[data-testid="room-card-general"]')).not.toBeNull();
  });

  it('shows unread and mention badges for entered rooms only, and follows them live', () => {
    const { server } = mount();
    act(() => {
      server.open();
      server.emit({
        type: 'lobby',
        rooms: [room({ slug: 'general', name: 'General', last_seq: 13 }), room({ slug: 'tech', name: 'Tech', last_seq: 40 })],
        memberships: [membership({ read_seq: 10, unread_count: 3, mention_count: 1, mention_seqs: [12] })],
      });
    });
    expect(screen.getByRole('group', { name: '3 unread, 1 mention' })).toBeInTheDocument();
    expect(screen.getByTestId('room-unread-general')).toHaveTextContent('3');
    expect(screen.getByTestId('room-mentions-general')).toHaveTextContent('@ 1');
    expect(screen.queryByTestId('room-badges-tech')).toBeNull();
    // The link says it too.
    expect(screen.getByRole('link', { name: /General 3 unread, 1 mention/ })).toBeInTheDocument();

    act(() => server.emit({ type: 'rooms.updated', rooms: [room({ slug: 'general', name: 'General', last_seq: 15 })] }));
    expect(screen.getByTestId('room-badges-general')).toHaveAccessibleName('5 unread, 1 mention');
    act(() =>
      server.emit({
        type: 'alert',
        reason: 'mention',
        room: { slug: 'general', name: 'General' },
        message: { id: 99, seq: 16, event: 16, room: 'general', author: { id: 2, display_name: 'Jun', avatar_url: '' }, body: '<@1>', client_id: null, created_at: '2026-11-23T10:00:00Z', edited_at: null, deleted: false, mentions: [me], mentions_room: false },
      }),
    );
    expect(screen.getByTestId('room-badges-general')).toHaveAccessibleName('6 unread, 2 mentions');
    act(() => server.emit({ type: 'membership', membership: membership({ read_seq: 14, unread_count: 2, mention_count: 1, mention_seqs: [16] }) }));
    expect(screen.getByTestId('room-badges-general')).toHaveAccessibleName('2 unread, 1 mention');
    act(() => server.emit({ type: 'membership', membership: membership({ read_seq: 16, unread_count: 0 }) }));
    expect(screen.queryByTestId('room-badges-general')).toBeNull();
  });

  it('says only the unread count when nothing mentions you', () => {
    const { server } = mount();
    act(() => {
      server.open();
      server.emit({ type: 'lobby', rooms: [room({ slug: 'general', last_seq: 11 })], memberships: [membership({ unread_count: 1 })] });
    });
    expect(screen.getByTestId('room-badges-general')).toHaveAccessibleName('1 unread');
    expect(screen.queryByTestId('room-mentions-general')).toBeNull();
  });

  it('marks a room read from the keyboard with PATCH read_seq = the last seq known', async () => {
    const { server, update } = mount();
    act(() => {
      server.open();
      server.emit({ type: 'lobby', rooms: [room({ slug: 'general', name: 'General', last_seq: 13 })], memberships: [membership({ unread_count: 3 })] });
    });
    const button = screen.getByRole('button', { name: 'Mark General as read' });
    button.focus();
    await userEvent.keyboard('{Enter}');
    expect(update).toHaveBeenCalledWith('general', { read_seq: 13 });
    expect(screen.queryByTestId('room-badges-general')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Mark General as read' })).toBeNull();
    expect(screen.getByTestId('room-card-general')).toHaveFocus();
  });
});
