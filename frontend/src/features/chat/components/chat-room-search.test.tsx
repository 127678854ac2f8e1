import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { Message } from '@/lib/protocol';
import { RoomSocket } from '@/lib/socket';
import { FakeServer, changes, me, message } from '@/test/fake-websocket';

import type { MessagesApi } from '../api/messages-api';
import { RoomSession } from '../api/room-session';
import { FOCUS_PAGES_MAX } from '../hooks/use-focus-message';
import { ChatRoom } from './chat-room-screen';
import type { RoomSearchSlot } from './chat-room-screen';

/** Messages `from` down to `to` (ids and seqs alike), oldest first as the session holds them. */
const range = (from: number, to: number): Message[] =>
  Array.from({ length: from - to + 1 }, (_, i) => message(to + i, to + i, { body: `line ${to + i}` }));

/**
 * A room whose history holds ids 1…`newest` minus `gaps`, served `pageSize` at a time; the window
 * (`hello`) is the newest ten.
 */
function mount({ newest = 100, gaps = [] as number[], pageSize = 10, focusMessage = null as { id: number } | null } = {}) {
  const held = (from: number, to: number) => range(from, to).filter((m) => !gaps.includes(m.id));
  const before = vi.fn(async (_slug: string, id: number) => {
    const to = Math.max(1, id - pageSize);
    return { messages: held(id - 1, to), has_more: to > 1 };
  });
  const server = new FakeServer();
  const session = new RoomSession({
    slug: 'general',
    me,
    api: { changes: async () => changes(), before, typing: async () => undefined, leave: async () => undefined } as unknown as MessagesApi,
    createSocket: (resumeSince) => new RoomSocket({ url: 'ws://x/ws/rooms/general/', WebSocketImpl: server.Impl, resumeSince }),
    newClientId: () => 'c1',
  });
  session.start();
  const slots: RoomSearchSlot[] = [];
  const search = (slot: RoomSearchSlot) => {
    slots.push(slot);
    return (
      <div data-testid="fake-search">
        <span>{slot.room?.name}</span>
        <button type="button" onClick={() => slot.close()}>
          Done
        </button>
      </div>
    );
  };
  const view = (focus: { id: number } | null) => (
    <ChatRoom session={session} messageMaxLength={4000} focusMessage={focus} search={search} onLeave={vi.fn()} onSignedOut={vi.fn()} />
  );
  const { rerender } = render(view(focusMessage));
  act(() => server.hello({ messages: held(newest, newest - 9), has_more: true }));
  const lastSlot = () => {
    const slot = slots.at(-1);
    if (!slot) throw new Error('the search box was never drawn');
    return slot;
  };
  return { before, session, lastSlot, refocus: (focus: { id: number }) => rerender(view(focus)) };
}

const rowOf = (id: number) => document.querySelector(`[data-message-id="${id}"]`);

// jsdom lays nothing out: a list it measures as 0 high would load older pages by itself ("the
// first page does not fill the screen") and blur which pages the jump loaded.
beforeEach(() => {
  vi.spyOn(HTMLElement.prototype, 'scrollHeight', 'get').mockReturnValue(1000);
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(400);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ChatRoom search', () => {
  it('opens the room’s search box from the header, hands it the room, and takes focus back when it closes', async () => {
    mount();
    const toggle = screen.getByRole('button', { name: 'Search this room' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    expect(screen.queryByTestId('fake-search')).toBeNull();
    await userEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(within(screen.getByTestId('fake-search')).getByText('General')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByTestId('fake-search')).toBeNull();
    expect(toggle).toHaveFocus();
  });

  it('shows a result of this room in place: loads back past it, so there is history above it, and marks it', async () => {
    const { before, lastSlot } = mount();
    await userEvent.click(screen.getByRole('button', { name: 'Search this room' }));
    act(() => lastSlot().jumpTo(81));
    await vi.waitFor(() => expect(rowOf(81)).toHaveClass('message--highlighted'));
    // 91–100 came with the room; 81–90 reach it, and 71–80 put what came before above it.
    expect(before.mock.calls.map(([, id]) => id)).toEqual([91, 81]);
    expect(rowOf(80)).not.toBeNull();
    expect(screen.queryByTestId('jump-note')).toBeNull();
  });

  it('says so when the message is further back than the pages it loads, and lets the note go', async () => {
    const { before, lastSlot } = mount({ newest: 1000, pageSize: 2 });
    await userEvent.click(screen.getByRole('button', { name: 'Search this room' }));
    act(() => lastSlot().jumpTo(5));
    const note = await screen.findByTestId('jump-note');
    expect(note).toHaveAttribute('data-reason', 'too_far');
    expect(note).toHaveTextContent('That message is further back than the history loaded here.');
    expect(before).toHaveBeenCalledTimes(FOCUS_PAGES_MAX);
    await userEvent.click(within(note).getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByTestId('jump-note')).toBeNull();
  });

  it('says so when the message is not in the room’s history (deleted for good)', async () => {
    const { lastSlot } = mount({ gaps: [85] });
    await userEvent.click(screen.getByRole('button', { name: 'Search this room' }));
    act(() => lastSlot().jumpTo(85));
    expect(await screen.findByTestId('jump-note')).toHaveAttribute('data-reason', 'missing');
    // The next jump that lands clears it.
    act(() => lastSlot().jumpTo(95));
    await vi.waitFor(() => expect(rowOf(95)).toHaveClass('message--highlighted'));
    expect(screen.queryByTestId('jump-note')).toBeNull();
  });

  it('follows a new address in the same room without leaving it', async () => {
    const { refocus, session } = mount({ focusMessage: { id: 97 } });
    await vi.waitFor(() => expect(rowOf(97)).toHaveClass('message--highlighted'));
    refocus({ id: 75 });
    await vi.waitFor(() => expect(rowOf(75)).toHaveClass('message--highlighted'));
    expect(session.state.messages[0]?.id).toBeLessThan(75);
  });
});
