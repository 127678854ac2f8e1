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
  const before = vi.fn(async (_slug: string, id: number, limit: number = pageSize) => {
    const to = Math.max(1, id - limit);
    return { messages: held(id - 1, to), has_more: to > 1 };
  });
  const after = vi.fn(async (_slug: string, id: number, limit: number = pageSize) => {
    const to = Math.min(newest, id + limit);
    return { messages: held(to, id + 1), has_more: to < newest };
  });
  const server = new FakeServer();
  const session = new RoomSession({
    slug: 'general',
    me,
    api: { changes: async () => changes(), before, after, typing: async () => undefined, leave: async () => undefined } as unknown as MessagesApi,
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
  return { before, after, session, lastSlot, refocus: (focus: { id: number }) => rerender(view(focus)) };
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
    // A result carries its seq: near enough for the timeline, so no other request is made.
    act(() => lastSlot().jumpTo(81, 81));
    await vi.waitFor(() => expect(rowOf(81)).toHaveClass('message--highlighted'));
    // 91–100 came with the room; 81–90 reach it, and 71–80 put what came before above it.
    expect(before.mock.calls.map(([, id]) => id)).toEqual([91, 81]);
    expect(rowOf(80)).not.toBeNull();
    expect(screen.queryByTestId('jump-note')).toBeNull();
  });

  it('shows a result far back in the context view, without paging the timeline back to it', async () => {
    const { before, after, session, lastSlot } = mount({ newest: 5000 });
    await userEvent.click(screen.getByRole('button', { name: 'Search this room' }));
    act(() => lastSlot().jumpTo(5, 5));
    const view = await screen.findByRole('region', { name: 'Older messages around the one you opened' });
    expect(within(view).getByRole('status')).toHaveTextContent("You're viewing older messages");
    expect(rowOf(5)).toHaveClass('message--highlighted');
    expect(before.mock.calls).toEqual([['general', 6, 26]]);
    expect(after.mock.calls).toEqual([['general', 5, 25]]);
    expect(session.state.messages.map((m) => m.id)).toEqual(range(5000, 4991).map((m) => m.id));
    // The search box stays open beside it, for the next result.
    expect(screen.getByTestId('fake-search')).toBeInTheDocument();
  });

  it('opens the context view when the pages run out before the message (pages smaller than the estimate)', async () => {
    const { before, lastSlot } = mount({ newest: 1000, pageSize: 2 });
    await userEvent.click(screen.getByRole('button', { name: 'Search this room' }));
    act(() => lastSlot().jumpTo(5, 5));
    expect(await screen.findByTestId('message-context')).toBeInTheDocument();
    expect(rowOf(5)).toHaveClass('message--highlighted');
    // The pages, then the view's own reading around it.
    expect(before).toHaveBeenCalledTimes(FOCUS_PAGES_MAX + 1);
    expect(screen.queryByTestId('jump-note')).toBeNull();
  });

  it('says so when the message is not in the room’s history (deleted for good), and lets the note go', async () => {
    const { lastSlot } = mount({ gaps: [85] });
    await userEvent.click(screen.getByRole('button', { name: 'Search this room' }));
    act(() => lastSlot().jumpTo(85));
    const note = await screen.findByTestId('jump-note');
    expect(note).toHaveAttribute('data-reason', 'missing');
    await userEvent.click(within(note).getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByTestId('jump-note')).toBeNull();
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
