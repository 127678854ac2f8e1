import { act, fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { ApiError } from '@/lib/api-client';
import { RoomSocket } from '@/lib/socket';
import type { SocketOptions } from '@/lib/socket';
import { FakeServer, change, changes, jun, live, me, message, presenceFrame, room } from '@/test/fake-websocket';

import type { MessagesApi } from '../api/messages-api';
import { RoomSession } from '../api/room-session';
import { ChatRoom } from './chat-room-screen';

function mount(api: Partial<MessagesApi> = {}, socketOptions: Partial<SocketOptions> = {}, messageMaxLength = 4000) {
  const server = new FakeServer();
  const session = new RoomSession({
    slug: 'general',
    me,
    api: { changes: async () => changes(), typing: async () => undefined, leave: async () => undefined, ...api } as MessagesApi,
    createSocket: (resumeSince) =>
      new RoomSocket({ url: 'ws://x/ws/rooms/general/', WebSocketImpl: server.Impl, resumeSince, ...socketOptions }),
    newClientId: () => 'c1',
  });
  session.start();
  const onLeave = vi.fn();
  const onSignedOut = vi.fn();
  render(<ChatRoom session={session} messageMaxLength={messageMaxLength} onLeave={onLeave} onSignedOut={onSignedOut} />);
  return { server, session, onLeave, onSignedOut };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ChatRoom', () => {
  it('shows the status, history, live messages, presence and typing', async () => {
    const { server } = mount();
    expect(screen.getByTestId('connection-status')).toHaveAttribute('data-status', 'connecting');
    act(() => server.hello({ messages: [message(1, 1, { body: 'first' })], online_count: 1 }));
    expect(screen.getByTestId('connection-status')).toHaveTextContent('Connected');
    expect(screen.getByText('first')).toBeInTheDocument();

    act(() => server.emit(presenceFrame(1, 2, { joined: [change(jun, 1)] })));
    // The name is its own <bdi> element, so the notice's text is split across elements.
    expect(screen.getByTestId('system-notice')).toHaveTextContent('Jun joined');
    expect(screen.getByTestId('system-notice')).toHaveAttribute('data-event', 'join');
    expect(screen.getByTestId('online-count')).toHaveTextContent('2');
    expect(screen.getByTestId('online-count')).toHaveAttribute('data-count', '2');
    const names = screen.getAllByTestId('online-user').map((li) => li.querySelector('.online-panel__name')?.textContent);
    expect(names).toEqual(['Jun', 'Mina (you)']);

    act(() => server.emit({ type: 'typing', user: jun }));
    expect(screen.getByTestId('typing-indicator')).toHaveTextContent('Jun is typing…');

    act(() => server.emit(live('message.new', message(2, 2, { body: 'live one' }))));
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

  it('puts the keyboard in the message box on entering the room, and leaves it where the user puts it', async () => {
    const { server } = mount();
    const box = screen.getByRole('textbox', { name: 'Message' });
    expect(box).toHaveFocus();
    await userEvent.keyboard('hi');
    expect(box).toHaveValue('hi');
    // Later renders (the hello, live frames) do not take focus back.
    await userEvent.click(screen.getByTestId('online-count'));
    act(() => server.hello({ messages: [message(1, 1, { body: 'first' })] }));
    act(() => server.emit(live('message.new', message(2, 2, { body: 'live one' }))));
    expect(box).not.toHaveFocus();
  });

  it('holds the composer to the limit the server names', () => {
    const { server } = mount({}, {}, 10);
    act(() => server.hello());
    const box = screen.getByRole('textbox', { name: 'Message' });
    fireEvent.change(box, { target: { value: 'a'.repeat(11) } });
    expect(screen.getByText('11 / 10')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
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

  it('follows a live archive: banner, composer off, no Edit/Delete for members; all back when reopened', async () => {
    const { server } = mount();
    act(() => server.hello({ messages: [message(1, 1, { author: me, body: 'mine' })] }));
    const row = () => screen.getByText('mine').closest('[data-testid="message"]') as HTMLElement;
    expect(screen.queryByTestId('archived-banner')).toBeNull();
    expect(row().querySelector('[data-testid="edit-message"]')).not.toBeNull();

    act(() => server.emit({ type: 'room.updated', event: 2, room: room({ is_archived: true, last_event: 2 }) }));
    expect(screen.getByTestId('archived-banner')).toHaveTextContent('This room has been archived by a moderator; it is read-only.');
    const input = screen.getByTestId('composer-input');
    expect(input).toBeDisabled();
    await userEvent.type(input, 'nope{Enter}');
    expect(input).toHaveValue('');
    expect(server.last.sent.filter((f) => f.type === 'send')).toEqual([]);
    expect(screen.getByTestId('send-button')).toBeDisabled();
    expect(row().querySelector('[data-testid="edit-message"]')).toBeNull();
    expect(row().querySelector('[data-testid="delete-message"]')).toBeNull();

    act(() => server.emit({ type: 'room.updated', event: 3, room: room({ is_archived: false, last_event: 3 }) }));
    expect(screen.queryByTestId('archived-banner')).toBeNull();
    expect(screen.getByTestId('composer-input')).toBeEnabled();
    expect(row().querySelector('[data-testid="edit-message"]')).not.toBeNull();
    expect(row().querySelector('[data-testid="delete-message"]')).not.toBeNull();
  });

  it('keeps Edit and Delete for a moderator in an archived room', () => {
    const { server } = mount();
    const staff = { ...me, is_staff: true };
    act(() =>
      server.hello({
        you: staff,
        room: room({ is_archived: true, last_event: 2 }),
        messages: [message(1, 1, { author: me, body: 'mine' }), message(2, 2, { body: 'theirs' })],
      }),
    );
    expect(screen.getByTestId('archived-banner')).toBeInTheDocument();
    expect(screen.getByTestId('composer-input')).toBeDisabled();
    const mine = screen.getByText('mine').closest('[data-testid="message"]') as HTMLElement;
    const theirs = screen.getByText('theirs').closest('[data-testid="message"]') as HTMLElement;
    expect(mine.querySelector('[data-testid="edit-message"]')).not.toBeNull();
    expect(mine.querySelector('[data-testid="delete-message"]')).not.toBeNull();
    expect(theirs.querySelector('[data-testid="delete-message"]')).not.toBeNull();
  });

  // Vitest fails the run on an unhandled rejection, so this also checks that nothing is thrown.
  it('shows an edit refusal under the message instead of throwing, and keeps the text being edited', async () => {
    const edit = vi.fn(async () => {
      throw new ApiError(409, 'message_deleted', 'This message was deleted.');
    });
    const { server, session } = mount({ edit });
    act(() => server.hello({ messages: [message(1, 1, { author: me, body: 'mine' })] }));
    const before = session.state.messages;
    await userEvent.click(screen.getByTestId('edit-message'));
    const box = screen.getByRole('textbox', { name: 'Edit message' });
    await userEvent.clear(box);
    await userEvent.type(box, 'changed{Enter}');
    expect(await screen.findByTestId('message-action-error')).toHaveTextContent('This message has already been deleted.');
    expect(screen.getByRole('textbox', { name: 'Edit message' })).toHaveValue('changed');
    expect(session.state.messages).toBe(before);
    await new Promise((resolve) => setTimeout(resolve, 0));
  });

  it('shows a delete refusal with the server detail for an unknown code', async () => {
    const remove = vi.fn(async () => {
      throw new ApiError(503, 'unavailable_db', 'Try again later.');
    });
    const { server } = mount({ remove });
    act(() => server.hello({ messages: [message(1, 1, { author: me, body: 'mine' })] }));
    await userEvent.click(screen.getByTestId('delete-message'));
    await userEvent.click(screen.getByTestId('confirm-delete'));
    expect(await screen.findByTestId('message-action-error')).toHaveTextContent('Try again later.');
    expect(screen.getByText('mine')).toBeInTheDocument();
  });

  it('offers only Discard for a send refused because the room is archived', () => {
    const { server, session } = mount();
    act(() => server.hello());
    act(() => session.send('late'));
    act(() => server.emit({ type: 'error', code: 'room_archived', detail: 'archived', client_id: 'c1' }));
    expect(screen.getByTestId('send-error')).toHaveAttribute('data-code', 'room_archived');
    expect(screen.queryByTestId('retry-send')).toBeNull();
    expect(screen.getByTestId('discard-send')).toBeInTheDocument();
  });

  it('shows what answers: Reconnecting with a countdown, Offline, HTTP mode, Connected; stale presence and waiting sends meanwhile', async () => {
    vi.useFakeTimers();
    let down = true;
    const { server } = mount(
      {
        changes: async () => {
          if (down) throw new ApiError(0, 'network', 'down');
          return changes({ presence: { online: [me], online_count: 1, version: 9 } });
        },
        // An HTTP send that stays unanswered, to see its label.
        send: () => new Promise<never>(() => undefined),
      },
      { random: () => 1, backoffBaseMs: 4000, backoffMaxMs: 60_000 },
    );
    const status = () => screen.getByTestId('connection-status');
    const list = () => screen.getByTestId('online-list');
    expect(status()).toHaveAttribute('data-state', 'connecting');
    expect(list()).toHaveAttribute('data-stale', 'true');

    act(() => server.hello({ online: [jun, me], online_count: 2 }));
    expect(status()).toHaveAttribute('data-state', 'connected');
    expect(status()).toHaveAttribute('data-status', 'connected');
    expect(list()).toHaveAttribute('data-stale', 'false');
    expect(screen.queryByTestId('online-stale')).toBeNull();

    act(() => server.drop());
    expect(status()).toHaveAttribute('data-state', 'reconnecting');
    expect(status()).toHaveTextContent('Reconnecting…');
    expect(screen.getByTestId('connection-retry')).toHaveAttribute('data-seconds', '4');
    expect(screen.getByTestId('connection-retry')).toHaveTextContent('retry in 4 s');
    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(screen.getByTestId('connection-retry')).toHaveAttribute('data-seconds', '3');
    expect(list()).toHaveAttribute('data-stale', 'true');
    expect(screen.getByTestId('online-stale')).toHaveTextContent('Not live');
    expect(screen.getByTestId('online-count')).toHaveAttribute('data-stale', 'true');

    fireEvent.change(screen.getByTestId('composer-input'), { target: { value: 'hold on' } });
    fireEvent.click(screen.getByTestId('send-button'));
    const pending = () => screen.getByText('hold on').closest('[data-testid="message"]') as HTMLElement;
    expect(pending()).toHaveAttribute('data-waiting', 'true');
    expect(pending().querySelector('[data-testid="pending-state"]')).toHaveTextContent('Waiting for connection…');

    // The retry fails too; the HTTP probe does not answer either.
    await act(() => vi.advanceTimersByTimeAsync(3000));
    await act(async () => server.drop());
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(status()).toHaveAttribute('data-state', 'offline');
    expect(status()).toHaveTextContent('Offline');
    expect(screen.getByTestId('connection-retry')).toHaveAttribute('data-seconds', '8');
    expect(screen.queryByTestId('http-mode-banner')).toBeNull();

    // HTTP answers again: the socket tries at once, and the status says Reconnecting until that
    // try fails. It does (WebSockets blocked), and the next answer means HTTP mode: presence
    // live again, the send on its way.
    down = false;
    await act(() => vi.advanceTimersByTimeAsync(2000));
    expect(status()).toHaveAttribute('data-state', 'reconnecting');
    await act(async () => server.drop());
    await act(() => vi.advanceTimersByTimeAsync(2000));
    expect(status()).toHaveAttribute('data-state', 'http');
    expect(screen.queryByTestId('connection-retry')).toBeNull();
    expect(screen.getByTestId('http-mode-banner')).toBeInTheDocument();
    expect(list()).toHaveAttribute('data-stale', 'false');
    expect(screen.getByTestId('online-count')).toHaveAttribute('data-count', '1');
    expect(pending()).not.toHaveAttribute('data-waiting');
    expect(pending().querySelector('[data-testid="pending-state"]')).toHaveAttribute('data-state', 'sending');

    // The socket gets through in the end, at its next try.
    await act(() => vi.advanceTimersByTimeAsync(15_000));
    act(() => server.hello());
    expect(status()).toHaveAttribute('data-state', 'connected');
    expect(screen.queryByTestId('http-mode-banner')).toBeNull();
  });

  it('says how many more are online than the list shows', () => {
    const { server } = mount();
    act(() => server.hello({ online: [jun, me], online_count: 5 }));
    expect(screen.getByTestId('online-more')).toHaveAttribute('data-count', '3');
    expect(screen.getByTestId('online-more')).toHaveTextContent('and 3 more');
    act(() => server.emit(presenceFrame(1, 2)));
    expect(screen.queryByTestId('online-more')).toBeNull();
  });

  it('shows a leave notice only for someone listed, and none for yourself', () => {
    const { server } = mount();
    act(() => server.hello({ online: [jun, me], online_count: 2, presence_version: 10 }));
    const stranger = { id: 9, display_name: 'Zed', avatar_url: '' };
    act(() => server.emit(presenceFrame(11, 1, { left: [change(jun, 11), change(stranger, 11)], joined: [change(me, 11)] })));
    expect(screen.getAllByTestId('system-notice').map((n) => [n.getAttribute('data-event'), n.textContent?.startsWith('Jun left')])).toEqual([
      ['leave', true],
    ]);
  });

  it('marks staff from is_staff alone, in the messages, the online list, the typing line and the notices', () => {
    const { server } = mount();
    const mod = { id: 5, display_name: 'Mod', avatar_url: '', is_staff: true };
    // Named like staff but not staff, with no is_staff at all, as an older server sends it.
    const fake = { id: 6, display_name: 'Admin ✔ Staff', avatar_url: '' };
    act(() =>
      server.hello({
        online: [mod, fake, me],
        online_count: 3,
        messages: [message(1, 1, { author: mod, body: 'from staff' }), message(2, 2, { author: fake, body: 'from a pretender' })],
      }),
    );
    const row = (text: string) => screen.getByText(text).closest('[data-testid="message"]') as HTMLElement;
    expect(row('from staff').querySelector('[data-testid="staff-mark"]')).toHaveTextContent('Staff');
    expect(row('from a pretender').querySelector('[data-testid="staff-mark"]')).toBeNull();

    const marked = screen
      .getAllByTestId('online-user')
      .map((li) => [li.querySelector('.user-name')?.textContent, li.querySelector('[data-testid="staff-mark"]') !== null]);
    expect(marked).toEqual([
      ['Mod', true],
      ['Admin ✔ Staff', false],
      ['Mina', false],
    ]);

    act(() => server.emit({ type: 'typing', user: fake }));
    expect(screen.getByTestId('typing-indicator').querySelector('[data-testid="staff-mark"]')).toBeNull();
    act(() => server.emit({ type: 'typing', user: mod }));
    const typing = screen.getByTestId('typing-indicator');
    expect(typing.querySelectorAll('[data-testid="staff-mark"]')).toHaveLength(1);
    expect(typing).toHaveTextContent('Admin ✔ Staff and Mod Staff are typing…');

    act(() => server.emit(presenceFrame(1, 2, { left: [change(mod, 1)] })));
    const notice = screen.getByTestId('system-notice');
    expect(notice).toHaveTextContent('Mod Staff left');
    expect(notice.querySelector('[data-testid="staff-mark"]')).not.toBeNull();
  });

  it('keeps a right-to-left override in a name inside <bdi> in the messages, the online list, the typing line and the notices', () => {
    const { server } = mount();
    const tricky = { id: 7, display_name: '\u202Enuj', avatar_url: '', is_staff: false };
    act(() => server.hello({ online: [me], online_count: 1, messages: [message(1, 1, { author: tricky, body: 'hi' })] }));
    const author = screen.getByText('hi').closest('[data-testid="message"]')?.querySelector('[data-testid="message-author"]');
    expect(author?.tagName).toBe('BDI');
    expect(author?.textContent).toBe('\u202Enuj');

    act(() => server.emit(presenceFrame(1, 2, { joined: [change(tricky, 1)] })));
    const listed = screen.getAllByTestId('online-user').map((li) => li.querySelector('.online-panel__name')?.firstElementChild);
    expect(listed.map((el) => [el?.tagName, el?.textContent])).toEqual([
      ['BDI', '\u202Enuj'],
      ['BDI', 'Mina'],
    ]);
    const notice = screen.getByTestId('system-notice');
    expect(notice.querySelector('bdi')?.textContent).toBe('\u202Enuj');
    expect(notice).toHaveTextContent('\u202Enuj joined');

    act(() => server.emit({ type: 'typing', user: tricky }));
    const typing = screen.getByTestId('typing-indicator');
    const name = typing.querySelector('bdi');
    expect(name?.textContent).toBe('\u202Enuj');
    // Only the name is isolated; "is typing…" stays outside it.
    expect(name?.parentElement?.textContent).toBe('\u202Enuj is typing…');
    expect(typing).toHaveTextContent('\u202Enuj is typing…');
  });
});
