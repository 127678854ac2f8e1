import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { createMemberships } from '@/lib/memberships';
import type { Member, Membership, Message, NotifyLevel } from '@/lib/protocol';
import { RoomSocket } from '@/lib/socket';
import { FakeServer, changes, jun, me, message, room } from '@/test/fake-websocket';

import type { MessagesApi } from '../api/messages-api';
import { RoomSession } from '../api/room-session';
import { ChatRoom } from './chat-room-screen';

function membership(overrides: Partial<Membership> = {}): Membership {
  return { room: 'general', read_seq: 2, notify: 'mentions', unread_count: 0, mention_count: 0, mention_seqs: [], ...overrides };
}

function mount({ focusMessage = null as { id: number } | null, before = async () => ({ messages: [] as Message[], has_more: false }) } = {}) {
  const server = new FakeServer();
  const memberships = createMemberships();
  const membershipApi = {
    update: vi.fn(async (slug: string, patch: { read_seq?: number; notify?: NotifyLevel }) =>
      membership({ room: slug, read_seq: patch.read_seq ?? 2, notify: patch.notify ?? 'mentions' }),
    ),
    summary: vi.fn(async () => ({
      rooms: [room({ slug: 'tech', last_seq: 9 })],
      memberships: [membership({ room: 'tech', read_seq: 8, unread_count: 1, mention_count: 1, mention_seqs: [9] })],
    })),
  };
  const session = new RoomSession({
    slug: 'general',
    me,
    api: { changes: async () => changes(), before, typing: async () => undefined, leave: async () => undefined } as unknown as MessagesApi,
    memberships,
    membershipApi,
    createSocket: (resumeSince) => new RoomSocket({ url: 'ws://x/ws/rooms/general/', WebSocketImpl: server.Impl, resumeSince }),
    newClientId: () => 'c1',
  });
  session.start();
  const searchMembers = vi.fn(async (): Promise<Member[]> => [{ ...jun, is_staff: false, online: true }]);
  render(
    <ChatRoom
      session={session}
      messageMaxLength={4000}
      mentionsMax={20}
      searchMembers={searchMembers}
      focusMessage={focusMessage}
      onLeave={vi.fn()}
      onSignedOut={vi.fn()}
    />,
  );
  return { server, session, membershipApi, memberships };
}

const five = [1, 2, 3, 4, 5].map((n) => message(n, n, { body: `line ${n}` }));

describe('ChatRoom unread and mentions', () => {
  it('puts the "New messages" divider before the first unread message at entry, and keeps it there', () => {
    const { server } = mount();
    act(() => server.hello({ messages: five, room: room({ last_seq: 5, last_event: 5 }), membership: membership({ unread_count: 3 }) }));
    const divider = screen.getByRole('separator', { name: 'New messages' });
    expect(divider).toHaveTextContent('New messages');
    expect(divider.nextElementSibling).toHaveTextContent('line 3');
    act(() => server.emit({ type: 'membership', membership: membership({ read_seq: 5 }) }));
    act(() => server.emit({ type: 'message.new', event: 6, message: message(6, 6, { body: 'line 6' }) }));
    expect(screen.getByRole('separator', { name: 'New messages' }).nextElementSibling).toHaveTextContent('line 3');
  });

  it('has no divider when nothing was unread, nor on an older server', () => {
    const { server } = mount();
    act(() => server.hello({ messages: five, room: room({ last_seq: 5, last_event: 5 }), membership: membership({ read_seq: 5 }) }));
    expect(screen.queryByRole('separator', { name: 'New messages' })).toBeNull();
  });

  it('marks all as read and sets the notification level from the header, following other tabs', async () => {
    const { server, membershipApi } = mount();
    act(() => server.hello({ messages: five, room: room({ last_seq: 5, last_event: 5 }), membership: membership({ unread_count: 3 }) }));
    await userEvent.click(screen.getByRole('button', { name: 'Mark all as read' }));
    expect(membershipApi.update).toHaveBeenCalledWith('general', { read_seq: 5 });

    const select = screen.getByRole('combobox', { name: 'Notifications' });
    expect(select).toHaveValue('mentions');
    expect([...select.querySelectorAll('option')].map((o) => [o.value, o.textContent])).toEqual([
      ['all', 'All messages'],
      ['mentions', 'Mentions'],
      ['muted', 'Muted'],
    ]);
    await userEvent.selectOptions(select, 'muted');
    expect(membershipApi.update).toHaveBeenLastCalledWith('general', { notify: 'muted' });
    expect(select).toHaveValue('muted');
    act(() => server.emit({ type: 'membership', membership: membership({ read_seq: 5, notify: 'all' }) }));
    expect(select).toHaveValue('all');
  });

  it('shows on the way back the unread mentions in other rooms', async () => {
    const { server } = mount();
    const back = screen.getByTestId('leave-room');
    await vi.waitFor(() => expect(back).toHaveAccessibleName('Leave room and go back to the list, 1 mention elsewhere'));
    expect(screen.getByTestId('leave-mentions')).toHaveTextContent('@ 1');
    act(() => server.hello({ messages: five, room: room({ last_seq: 5, last_event: 5 }), membership: membership() }));
    act(() =>
      server.emit({ type: 'alert', reason: 'mention', room: { slug: 'tech', name: 'Tech' }, message: message(70, 10, { room: 'tech', body: '<@1>' }) }),
    );
    expect(back).toHaveAccessibleName('Leave room and go back to the list, 2 mentions elsewhere');
    // A mention here is not "elsewhere", and does not touch this room's messages.
    act(() =>
      server.emit({ type: 'alert', reason: 'mention', room: { slug: 'general', name: 'General' }, message: message(6, 6, { body: 'here' }) }),
    );
    expect(screen.getByTestId('leave-mentions')).toHaveTextContent('@ 2');
    expect(screen.queryByText('here')).toBeNull();
    act(() => server.emit({ type: 'membership', membership: membership({ room: 'tech', read_seq: 10 }) }));
    expect(back).toHaveAccessibleName('Leave room and go back to the list');
    expect(screen.queryByTestId('leave-mentions')).toBeNull();
  });

  it('offers @ suggestions in the message box once the server keeps memberships', async () => {
    const { server } = mount();
    act(() => server.hello({ messages: five }));
    expect(screen.getByRole('textbox', { name: 'Message' })).toBeInTheDocument();
    act(() => server.hello({ messages: five, membership: membership({ read_seq: 5 }) }));
    const box = screen.getByRole('combobox', { name: 'Message' });
    await userEvent.type(box, '@J');
    await screen.findByRole('option', { name: /Jun/ });
    await userEvent.keyboard('{Enter}hi{Enter}');
    expect(server.last.sent.filter((f) => f.type === 'send').map((f) => f.body)).toEqual(['<@2> hi']);
    // Shown by name while it is on its way.
    expect(screen.getByTestId('mention')).toHaveTextContent('@Jun');
  });

  it('puts a send refused for its mentions back in the box, with the reason on the row', () => {
    const { server, session } = mount();
    act(() => server.hello({ messages: five, membership: membership({ read_seq: 5 }) }));
    act(() => session.send('@room look'));
    act(() => server.emit({ type: 'error', code: 'room_mention_not_allowed', detail: 'no', client_id: 'c1' }));
    expect(screen.getByTestId('send-error')).toHaveTextContent('Only moderators can mention @room in this room.');
    expect(screen.queryByTestId('retry-send')).toBeNull();
    expect(screen.getByRole('combobox', { name: 'Message' })).toHaveValue('@room look');
  });

  it('opens at a message a notification was opened for, loading back to it, and marks it a moment', async () => {
    const before = vi.fn(async () => ({ messages: [message(1, 1, { body: 'line 1' }), message(2, 2, { body: 'line 2' })], has_more: false }));
    const { server } = mount({ focusMessage: { id: 2 }, before });
    act(() => server.hello({ messages: five.slice(2), has_more: true, membership: membership({ read_seq: 5 }) }));
    const row = await screen.findByText('line 2');
    await vi.waitFor(() => expect(row.closest('[data-testid="message"]')).toHaveClass('message--highlighted'));
    // The address names no seq: the message is read first to tell how far back it is, then the
    // timeline pages back to it.
    expect(before).toHaveBeenCalledTimes(2);
  });
});
