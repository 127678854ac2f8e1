import { act, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { ApiError } from '@/lib/api-client';
import { LobbySocket } from '@/lib/socket';
import { FakeServer, me, room } from '@/test/fake-websocket';

import type { RoomsApi } from '../api/rooms-api';
import { RoomListScreen } from './room-list-screen';

function mount(list: RoomsApi['list'] = async () => []) {
  const server = new FakeServer();
  const createLobbySocket = () => new LobbySocket({ url: 'ws://x/ws/lobby/', WebSocketImpl: server.Impl, random: () => 0 });
  const onUnauthorized = vi.fn();
  render(
    <RoomListScreen
      user={me}
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

  it('hands over to sign-in when the lobby socket closes with 4401', () => {
    const { server, onUnauthorized } = mount();
    act(() => {
      server.open();
      server.drop(4401);
    });
    expect(onUnauthorized).toHaveBeenCalled();
  });
});
