import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { ApiError } from '@/lib/api-client';
import type { User } from '@/lib/protocol';
import { LobbySocket } from '@/lib/socket';
import { FakeServer, me, room } from '@/test/fake-websocket';

import type { RoomsApi } from '../api/rooms-api';
import { RoomListScreen } from './room-list-screen';

function mount(list: RoomsApi['list'] = async () => [], user: User = me) {
  const server = new FakeServer();
  const createLobbySocket = () => new LobbySocket({ url: 'ws://x/ws/lobby/', WebSocketImpl: server.Impl, random: () => 0 });
  const onUnauthorized = vi.fn();
  render(
    <RoomListScreen
      user={user}
      roomsApi={{ list }}
      createLobbySocket={createLobbySocket}
      onOpen={vi.fn()}
      onSignOut={vi.fn()}
      onUnauthorized={onUnauthorized}
    />,
  );
  return { server, onUnauthorized };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('RoomListScreen', () => {
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
});
