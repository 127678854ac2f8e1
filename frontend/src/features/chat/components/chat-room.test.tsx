import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { RoomSocket } from '@/lib/socket';
import { FakeServer, jun, me, message } from '@/test/fake-websocket';

import type { MessagesApi } from '../api/messages-api';
import { RoomSession } from '../api/room-session';
import { ChatRoom } from './chat-room-screen';

function mount() {
  const server = new FakeServer();
  const session = new RoomSession({
    slug: 'general',
    me,
    api: {} as MessagesApi,
    createSocket: (resumeAfter) => new RoomSocket({ url: 'ws://x/ws/rooms/general/', WebSocketImpl: server.Impl, resumeAfter }),
    newClientId: () => 'c1',
  });
  session.start();
  const onLeave = vi.fn();
  const onSignedOut = vi.fn();
  render(<ChatRoom session={session} onLeave={onLeave} onSignedOut={onSignedOut} />);
  return { server, session, onLeave, onSignedOut };
}

describe('ChatRoom', () => {
  it('shows the status, history, live messages, presence and typing', async () => {
    const { server } = mount();
    expect(screen.getByTestId('connection-status')).toHaveAttribute('data-status', 'connecting');
    act(() => server.hello({ messages: [message(1, 1, { body: 'first' })], online_count: 1 }));
    expect(screen.getByTestId('connection-status')).toHaveTextContent('Connected');
    expect(screen.getByText('first')).toBeInTheDocument();

    act(() => server.emit({ type: 'presence', event: 'join', user: jun, online_count: 2 }));
    expect(screen.getByText('Jun joined')).toBeInTheDocument();
    expect(screen.getByTestId('online-count')).toHaveTextContent('2');

    act(() => server.emit({ type: 'typing', user: jun }));
    expect(screen.getByTestId('typing-indicator')).toHaveTextContent('Jun is typing…');

    act(() => server.emit({ type: 'message.new', message: message(2, 2, { body: 'live one' }) }));
    expect(screen.getByText('live one')).toBeInTheDocument();
    expect(screen.getByTestId('live-region')).toHaveTextContent('Jun: live one');
    // The message ends the typing notice for its author.
    expect(screen.getByTestId('typing-indicator')).toHaveTextContent('');
  });

  it('sends from the composer and marks the row pending until the ack', async () => {
    const { server } = mount();
    act(() => server.hello());
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), 'hi there{Enter}');
    expect(screen.getByText('hi there').closest('[data-testid="message"]')).toHaveAttribute('data-pending', 'pending');
    act(() =>
      server.emit({ type: 'ack', client_id: 'c1', message: message(9, 1, { body: 'hi there', client_id: 'c1', author: me }) }),
    );
    const row = screen.getByText('hi there').closest('[data-testid="message"]');
    expect(row).not.toHaveAttribute('data-pending');
    expect(row).toHaveAttribute('data-own', 'true');
  });

  it('goes back to the list when the room does not exist', () => {
    const first = mount();
    act(() => first.server.drop(4404));
    expect(first.onLeave).toHaveBeenCalledWith('This room does not exist.');
  });

  it('hands over to sign-in when the socket closes with 4401', () => {
    const { server, onSignedOut } = mount();
    act(() => server.drop(4401));
    expect(onSignedOut).toHaveBeenCalled();
  });
});
