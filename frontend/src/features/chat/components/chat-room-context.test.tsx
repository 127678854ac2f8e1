import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { Message } from '@/lib/protocol';
import { RoomSocket } from '@/lib/socket';
import { FakeServer, changes, live, me, message } from '@/test/fake-websocket';

import type { MessagesApi } from '../api/messages-api';
import { RoomSession } from '../api/room-session';
import { quoteOf } from '../utils/replies';
import { ChatRoom } from './chat-room-screen';

const NEWEST = 5000;
const mine = { id: me.id, display_name: me.display_name, avatar_url: '' };

/** Replies in the room: 4995 (in the window) answers 30, 1210 answers 4992 (in the window). */
const ANSWERS: Record<number, number> = { 4995: 30, 1210: 4992 };

/** Message `id` of the room; every tenth is the user's own. */
function stored(id: number): Message {
  const m = message(id, id, { body: `line ${id}`, ...(id % 10 === 0 ? { author: mine } : {}) });
  const original = ANSWERS[id];
  return original === undefined ? m : { ...m, reply_to: quoteOf(stored(original)) };
}

const held = (lo: number, hi: number): Message[] => Array.from({ length: Math.max(0, hi - lo + 1) }, (_, i) => stored(lo + i));

/** A room of messages 1…5000 whose window (`hello`) is the newest ten, opened at `focus`. */
function mount(focus: { id: number } | null) {
  const before = vi.fn(async (_slug: string, id: number, limit: number = 50) => {
    const lo = Math.max(1, id - limit);
    return { messages: held(lo, id - 1), has_more: lo > 1 };
  });
  const after = vi.fn(async (_slug: string, id: number, limit: number = 50) => {
    const hi = Math.min(NEWEST, id + limit);
    return { messages: held(id + 1, hi), has_more: hi < NEWEST };
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
  render(<ChatRoom session={session} messageMaxLength={4000} focusMessage={focus} onLeave={vi.fn()} onSignedOut={vi.fn()} />);
  act(() => server.hello({ messages: held(NEWEST - 9, NEWEST), has_more: true }));
  return { before, after, server, session };
}

const rowOf = (id: number) => document.querySelector(`[data-message-id="${id}"]`);
const ids = (scope: HTMLElement) => within(scope).getAllByTestId('message').map((row) => Number(row.dataset.messageId));
const contextView = () => screen.findByRole('region', { name: 'Older messages around the one you opened' });

// jsdom lays nothing out: a list it measures as 0 high would load older pages by itself.
beforeEach(() => {
  vi.spyOn(HTMLElement.prototype, 'scrollHeight', 'get').mockReturnValue(1000);
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(400);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ChatRoom context view', () => {
  it('shows a message far back with 25 messages each side, marked, read-only, apart from the timeline', async () => {
    mount({ id: 1200 });
    const view = await contextView();
    expect(ids(view)).toEqual(Array.from({ length: 51 }, (_, i) => 1175 + i));
    const target = rowOf(1200);
    expect(target).toHaveClass('message--highlighted');
    expect(target).toHaveAttribute('aria-current', 'true');
    expect(within(target as HTMLElement).getByText('The message you opened')).toHaveClass('sr-only');
    // Neither the timeline nor its "load earlier" button is there meanwhile.
    expect(screen.queryByTestId('message-list')).toBeNull();
    // Nothing to act on: own messages (1180, 1190…) included.
    for (const name of [/^Reply/, /^React/, 'Edit', 'Delete']) expect(within(view).queryAllByRole('button', { name })).toEqual([]);
    const buttons = within(view).getAllByRole('button');
    expect(buttons.map((b) => b.getAttribute('aria-label') ?? b.textContent)).toEqual([
      'Jump to the present',
      'Older messages',
      "Go to Jun's message: line 4992",
      'Newer messages',
    ]);
  });

  it('grows a page each way with Older and Newer, and says where the room begins', async () => {
    const { before, after } = mount({ id: 30 });
    const view = await contextView();
    expect(ids(view)[0]).toBe(5);
    const older = within(view).getByRole('button', { name: 'Older messages' });
    await userEvent.click(older);
    expect(before).toHaveBeenLastCalledWith('general', 5, 25);
    expect(ids(view)[0]).toBe(1);
    expect(within(view).getByText('This is the beginning of the room.')).toBeInTheDocument();
    // Its button went with the history before it: the keyboard stays in the view.
    expect(view).toHaveFocus();

    await userEvent.click(within(view).getByRole('button', { name: 'Newer messages' }));
    expect(after).toHaveBeenLastCalledWith('general', 55, 25);
    expect(ids(view).at(-1)).toBe(80);
    expect(rowOf(30)).toHaveClass('message--highlighted');
  });

  it('says so when a page fails, and tries again on the next press', async () => {
    const { before } = mount({ id: 1200 });
    const view = await contextView();
    before.mockRejectedValueOnce(new Error('offline'));
    const older = within(view).getByRole('button', { name: 'Older messages' });
    await userEvent.click(older);
    expect(await within(view).findByRole('alert')).toHaveTextContent('Could not load those messages. Try again.');
    expect(older).toHaveFocus();
    await userEvent.click(older);
    expect(within(view).queryByRole('alert')).toBeNull();
    expect(ids(view)[0]).toBe(1150);
  });

  it('lets live messages go to the timeline meanwhile; Jump to the present shows them, the state still contiguous', async () => {
    const { server, session } = mount({ id: 1200 });
    const view = await contextView();
    act(() => server.emit(live('message.new', stored(NEWEST + 1))));
    expect(rowOf(NEWEST + 1)).toBeNull();
    expect(ids(view).at(-1)).toBe(1225);
    const held = session.state.messages.map((m) => m.id);
    expect(held).toEqual(Array.from({ length: 11 }, (_, i) => NEWEST - 9 + i));

    await userEvent.click(within(view).getByRole('button', { name: 'Jump to the present' }));
    expect(screen.queryByTestId('message-context')).toBeNull();
    expect(ids(screen.getByTestId('message-list')).at(-1)).toBe(NEWEST + 1);
    // The keyboard goes to the message box, as on entering the room.
    expect(screen.getByRole('textbox', { name: 'Message' })).toHaveFocus();
  });

  it('goes back to the timeline on a send, where the message shows as it goes', async () => {
    const { server } = mount({ id: 1200 });
    await contextView();
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), 'back to now{Enter}');
    expect(screen.queryByTestId('message-context')).toBeNull();
    expect(within(screen.getByTestId('message-list')).getByText('back to now')).toBeInTheDocument();
    expect(server.last.sent.at(-1)).toMatchObject({ type: 'send', body: 'back to now' });
  });

  it('opens a reply’s original far back in the context view, read afresh each time', async () => {
    mount(null);
    await userEvent.click(screen.getByRole('button', { name: "Go to Mina's message: line 30" }));
    let view = await contextView();
    expect(rowOf(30)).toHaveAttribute('aria-current', 'true');
    expect(within(view).getByRole('status')).toHaveTextContent("You're viewing older messages");

    await userEvent.click(within(view).getByRole('button', { name: 'Newer messages' }));
    await userEvent.click(within(view).getByRole('button', { name: 'Newer messages' }));
    expect(ids(view).at(-1)).toBe(105);
    await userEvent.click(screen.getByRole('button', { name: 'Jump to the present' }));
    await userEvent.click(screen.getByRole('button', { name: "Go to Mina's message: line 30" }));
    view = await contextView();
    expect(ids(view).at(-1)).toBe(55);
  });

  it('goes back to the timeline for a quote whose original is there, and marks it', async () => {
    mount({ id: 1200 });
    const view = await contextView();
    await userEvent.click(within(view).getByRole('button', { name: "Go to Jun's message: line 4992" }));
    await vi.waitFor(() => expect(rowOf(4992)).toHaveClass('message--highlighted'));
    expect(screen.queryByTestId('message-context')).toBeNull();
    expect(rowOf(4992)?.closest('[data-testid="message-list"]')).not.toBeNull();
  });
});
