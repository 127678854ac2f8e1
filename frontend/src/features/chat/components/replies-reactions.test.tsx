import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import type { Message, Reaction } from '@/lib/protocol';
import { RoomSocket } from '@/lib/socket';
import type { SocketOptions } from '@/lib/socket';
import { FakeServer, changes, jun, live, me, message } from '@/test/fake-websocket';

import type { MessagesApi } from '../api/messages-api';
import { RoomSession } from '../api/room-session';
import { readRecentEmoji } from '../utils/recent-emoji';
import { ChatRoom } from './chat-room-screen';
import { Composer } from './composer';
import { MessageRow } from './message-row';

const noop = async () => undefined;
const ana = { id: 3, display_name: 'Ana', avatar_url: '', is_staff: false };
const quoteOf = (m: Message) => ({ id: m.id, seq: m.seq, author: m.author, excerpt: m.body, deleted: false });

function row(m: Message, extra: Partial<Parameters<typeof MessageRow>[0]> = {}) {
  return render(
    <MessageRow messageMaxLength={4000} message={m} own={false} continued={false} canEdit={false} canDelete={false} onEdit={noop} onDelete={noop} youId={me.id} {...extra} />,
  );
}

beforeEach(() => {
  localStorage.clear();
});

describe('reaction chips', () => {
  const reactions: Reaction[] = [
    { emoji: '👍', users: [jun, me] },
    { emoji: '🎉', users: [jun, ana, { ...ana, id: 4, display_name: 'Bo' }, { ...ana, id: 5, display_name: 'Cy' }] },
  ];

  it('show emoji and count, pressed when one is yours, who reacted in the name and the tooltip', () => {
    row(message(1, 1, { reactions }), { onReact: vi.fn() });
    const thumbs = screen.getByRole('button', { name: '👍 2: Jun, Mina' });
    expect(thumbs).toHaveAttribute('aria-pressed', 'true');
    expect(thumbs).toHaveAttribute('title', '👍 2: Jun, Mina');
    expect(thumbs).toHaveTextContent('👍 2');
    const party = screen.getByRole('button', { name: '🎉 4: Jun, Ana and 2 others' });
    expect(party).toHaveAttribute('aria-pressed', 'false');
    expect(within(screen.getByRole('list', { name: 'Reactions' })).getAllByRole('button')).toHaveLength(2);
  });

  it('toggle the user’s own reaction', async () => {
    const onReact = vi.fn();
    row(message(7, 1, { reactions }), { onReact });
    await userEvent.click(screen.getByRole('button', { name: /^👍/ }));
    expect(onReact).toHaveBeenLastCalledWith(7, '👍', false);
    await userEvent.click(screen.getByRole('button', { name: /^🎉/ }));
    expect(onReact).toHaveBeenLastCalledWith(7, '🎉', true);
  });

  it('are read-only without onReact (an archived room): no toggling, no React action', async () => {
    row(message(7, 1, { reactions }));
    const thumbs = screen.getByRole('button', { name: /^👍/ });
    expect(thumbs).toHaveAttribute('aria-disabled', 'true');
    await userEvent.click(thumbs);
    expect(screen.queryByTestId('react-message')).toBeNull();
  });

  it('are not shown on a deleted message', () => {
    row(message(7, 1, { deleted: true, body: '', reactions }), { onReact: vi.fn(), onReply: vi.fn() });
    expect(screen.queryByTestId('reactions')).toBeNull();
    expect(screen.queryByTestId('react-message')).toBeNull();
    expect(screen.queryByTestId('reply-message')).toBeNull();
  });

  it('show who reacted on a long press on a touch screen, without toggling', () => {
    vi.useFakeTimers();
    try {
      const onReact = vi.fn();
      row(message(7, 1, { reactions }), { onReact });
      const thumbs = screen.getByRole('button', { name: /^👍/ });
      fireEvent.pointerDown(thumbs, { pointerType: 'touch' });
      act(() => {
        vi.advanceTimersByTime(600);
      });
      expect(screen.getByRole('tooltip')).toHaveTextContent('👍 2: Jun, Mina');
      fireEvent.pointerUp(thumbs, { pointerType: 'touch' });
      fireEvent.click(thumbs);
      expect(onReact).not.toHaveBeenCalled();
      act(() => {
        vi.advanceTimersByTime(5000);
      });
      expect(screen.queryByRole('tooltip')).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it('show a refused reaction under the message', () => {
    row(message(7, 1, { reactions }), { onReact: vi.fn(), reactFailure: { code: 'too_many_reactions', detail: '', retryAfter: null } });
    expect(screen.getByRole('alert')).toHaveTextContent('That did not work: This message has as many different reactions as it can hold.');
  });
});

describe('the reaction picker', () => {
  it('offers the common emoji, sends the one chosen and remembers it first', async () => {
    const onReact = vi.fn();
    row(message(7, 1), { onReact });
    const react = screen.getByRole('button', { name: "React to Jun's message" });
    await userEvent.click(react);
    const picker = screen.getByRole('group', { name: 'Choose a reaction' });
    expect(within(picker).getByRole('button', { name: 'React with 👍' })).toHaveFocus();
    await userEvent.click(within(picker).getByRole('button', { name: 'React with 🎉' }));
    expect(onReact).toHaveBeenCalledWith(7, '🎉', true);
    expect(screen.queryByRole('group', { name: 'Choose a reaction' })).toBeNull();
    expect(react).toHaveFocus();

    await userEvent.click(react);
    await userEvent.click(screen.getByRole('button', { name: 'React with 👀' }));
    expect(readRecentEmoji()).toEqual(['👀', '🎉']);
    await userEvent.click(react);
    const recent = screen.getByRole('group', { name: 'Recent' });
    expect(within(recent).getAllByRole('button').map((b) => b.textContent)).toEqual(['👀', '🎉']);
    // Each emoji is offered once.
    expect(within(screen.getByRole('group', { name: 'Common' })).queryByRole('button', { name: 'React with 👀' })).toBeNull();
  });

  it('takes back an emoji already yours when it is chosen again', async () => {
    const onReact = vi.fn();
    row(message(7, 1, { reactions: [{ emoji: '👍', users: [me] }] }), { onReact });
    await userEvent.click(screen.getByTestId('react-message'));
    await userEvent.click(screen.getByRole('button', { name: 'React with 👍' }));
    expect(onReact).toHaveBeenCalledWith(7, '👍', false);
  });

  it('sends a typed emoji with Enter, trimmed, and closes with Escape', async () => {
    const onReact = vi.fn();
    row(message(7, 1), { onReact });
    await userEvent.click(screen.getByTestId('react-message'));
    await userEvent.type(screen.getByRole('textbox', { name: 'Any emoji' }), ' 🦄 {Enter}');
    expect(onReact).toHaveBeenCalledWith(7, '🦄', true);
    expect(readRecentEmoji()).toEqual(['🦄']);

    await userEvent.click(screen.getByTestId('react-message'));
    await userEvent.type(screen.getByRole('textbox', { name: 'Any emoji' }), 'nope{Enter}');
    // The server judges it (invalid_emoji); a word never joins the recent ones.
    expect(onReact).toHaveBeenLastCalledWith(7, 'nope', true);
    expect(readRecentEmoji()).toEqual(['🦄']);

    await userEvent.click(screen.getByTestId('react-message'));
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByTestId('reaction-picker')).toBeNull();
    expect(screen.getByTestId('react-message')).toHaveFocus();
  });
});

describe('replies in a row', () => {
  it('offers Reply named after the author', async () => {
    const onReply = vi.fn();
    const m = message(7, 1);
    row(m, { onReply });
    await userEvent.click(screen.getByRole('button', { name: 'Reply to Jun' }));
    expect(onReply).toHaveBeenCalledWith(m);
  });

  it('shows the quote as a button to the original, and a deleted original as such', async () => {
    const onJumpTo = vi.fn();
    const original = message(3, 1, { author: ana, body: 'where is <@2>?' });
    const { unmount } = row(message(7, 2, { reply_to: quoteOf(original) }), { onJumpTo, quoteMentions: [jun] });
    const quote = screen.getByRole('button', { name: "Go to Ana's message: where is @Jun?" });
    expect(quote).toHaveTextContent('Anawhere is @Jun?');
    await userEvent.click(quote);
    // With its seq, which tells how far back it is.
    expect(onJumpTo).toHaveBeenCalledWith(3, 1);
    unmount();

    row(message(7, 2, { reply_to: { ...quoteOf(original), excerpt: '', deleted: true } }), { onJumpTo });
    expect(screen.getByRole('button', { name: "Go to Ana's message: Original message deleted" })).toHaveAttribute('data-deleted', 'true');
  });
});

describe('Composer: the reply bar', () => {
  const quote = { id: 3, seq: 1, author: jun, excerpt: 'the question', deleted: false };

  it('says whom the message answers, takes the keyboard, and cancels with Escape or ×', async () => {
    const onCancelReply = vi.fn();
    const props = { disabled: false, maxLength: 4000, onSend: vi.fn(), onTyping: vi.fn(), onCancelReply };
    const { rerender } = render(<Composer {...props} />);
    const box = screen.getByRole('textbox', { name: 'Message' });
    expect(box).not.toHaveFocus();
    rerender(<Composer {...props} reply={{ quote }} />);
    expect(screen.getByTestId('reply-bar')).toHaveTextContent('Replying to Jun: the question');
    expect(box).toHaveFocus();
    expect(box).toHaveAccessibleDescription('Replying to Jun: the question');
    await userEvent.keyboard('{Escape}');
    expect(onCancelReply).toHaveBeenCalledTimes(1);
    await userEvent.click(screen.getByRole('button', { name: 'Cancel reply' }));
    expect(onCancelReply).toHaveBeenCalledTimes(2);
    expect(box).toHaveFocus();
  });
});

describe('ChatRoom: replies and reactions', () => {
  function mount(api: Partial<MessagesApi> = {}, socketOptions: Partial<SocketOptions> = {}) {
    const server = new FakeServer();
    const session = new RoomSession({
      slug: 'general',
      me,
      api: { changes: async () => changes(), typing: async () => undefined, leave: async () => undefined, ...api } as MessagesApi,
      createSocket: (resumeSince) => new RoomSocket({ url: 'ws://x/ws/rooms/general/', WebSocketImpl: server.Impl, resumeSince, ...socketOptions }),
      newClientId: () => 'c1',
    });
    session.start();
    render(<ChatRoom session={session} messageMaxLength={4000} onLeave={vi.fn()} onSignedOut={vi.fn()} />);
    return { server, session };
  }
  /** The row whose own body says `text` (a reply's row also holds its original's text, in the quote). */
  const rowOf = (text: string) => {
    const body = screen.getAllByTestId('message-body').find((el) => el.textContent?.includes(text));
    if (!body) throw new Error(`no message says ${text}`);
    return body.closest('[data-testid="message"]') as HTMLElement;
  };

  it('replies over the socket: the bar, reply_to in the send, the quote on the pending row, and Escape cancelling', async () => {
    const { server } = mount();
    act(() => server.hello({ messages: [message(10, 1, { body: 'the question' })] }));
    await userEvent.click(within(rowOf('the question')).getByRole('button', { name: 'Reply to Jun' }));
    expect(screen.getByTestId('reply-bar')).toHaveTextContent('Replying to Jun: the question');
    const box = screen.getByRole('textbox', { name: 'Message' });
    expect(box).toHaveFocus();
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByTestId('reply-bar')).toBeNull();

    await userEvent.click(within(rowOf('the question')).getByRole('button', { name: 'Reply to Jun' }));
    await userEvent.type(box, 'the answer{Enter}');
    expect(server.last.sent).toContainEqual({ type: 'send', body: 'the answer', client_id: 'c1', reply_to: 10 });
    expect(screen.queryByTestId('reply-bar')).toBeNull();
    expect(within(rowOf('the answer')).getByTestId('reply-quote')).toHaveTextContent('Junthe question');
  });

  it('replies over HTTP with reply_to in the POST', async () => {
    const send = vi.fn(async (_slug: string, body: string, clientId: string, replyTo?: number) =>
      message(11, 2, { body, client_id: clientId, author: me, reply_to: replyTo ? { id: replyTo, seq: 1, author: jun, excerpt: 'the question', deleted: false } : null }),
    );
    const server = new FakeServer();
    server.refuse = true;
    const { session } = mount(
      { changes: async () => changes({ messages: [message(10, 1, { body: 'the question' })] }), send },
      { WebSocketImpl: server.Impl, backoffBaseMs: 1, backoffMaxMs: 100 },
    );
    await waitFor(() => expect(session.connection.getState().status).toBe('http'));
    await userEvent.click(within(rowOf('the question')).getByRole('button', { name: 'Reply to Jun' }));
    await userEvent.type(screen.getByRole('textbox', { name: 'Message' }), 'over http{Enter}');
    await waitFor(() => expect(send).toHaveBeenCalledWith('general', 'over http', 'c1', 10));
    await waitFor(() => expect(rowOf('over http')).not.toHaveAttribute('data-pending'));
    expect(within(rowOf('over http')).getByTestId('reply-quote')).toHaveTextContent('Junthe question');
    session.stop();
  });

  it('updates a quote when its original is edited, then deleted', () => {
    const { server } = mount();
    const original = message(10, 1, { body: 'the question' });
    act(() => server.hello({ messages: [original, message(11, 2, { author: me, body: 'the answer', reply_to: quoteOf(original) })] }));
    const quote = () => within(rowOf('the answer')).getByTestId('reply-quote');
    act(() => server.emit(live('message.edited', message(10, 1, { event: 3, body: 'the better question\nwith details' }))));
    expect(quote()).toHaveAccessibleName("Go to Jun's message: the better question");
    act(() => server.emit(live('message.deleted', message(10, 1, { event: 4, deleted: true, body: '' }))));
    expect(quote()).toHaveAccessibleName("Go to Jun's message: Original message deleted");
  });

  it('loads older history back to the original when its quote is chosen, and marks it', async () => {
    const before = vi.fn(async () => ({ messages: [message(3, 1, { body: 'long ago' })], has_more: false }));
    const { server } = mount({ before });
    const reply = message(11, 5, { author: me, body: 'the answer', reply_to: quoteOf(message(3, 1, { body: 'long ago' })) });
    act(() => server.hello({ messages: [message(10, 4), reply], has_more: true }));
    await userEvent.click(screen.getByRole('button', { name: "Go to Jun's message: long ago" }));
    await waitFor(() => expect(rowOf('long ago')).toHaveClass('message--highlighted'));
    expect(before).toHaveBeenCalledWith('general', 10);
  });

  it('reacts with a frame and shows what message.reacted says; refusals under the row', async () => {
    const { server } = mount();
    act(() => server.hello({ messages: [message(10, 1, { body: 'hello' })] }));
    await userEvent.click(within(rowOf('hello')).getByRole('button', { name: "React to Jun's message" }));
    await userEvent.click(screen.getByRole('button', { name: 'React with 👍' }));
    expect(server.last.sent).toContainEqual({ type: 'react', message_id: 10, emoji: '👍', on: true });
    act(() => server.emit({ type: 'message.reacted', event: 2, message: message(10, 1, { event: 2, body: 'hello', reactions: [{ emoji: '👍', users: [me] }] }) }));
    const chip = within(rowOf('hello')).getByRole('button', { name: '👍 1: Mina' });
    expect(chip).toHaveAttribute('aria-pressed', 'true');

    await userEvent.click(chip);
    expect(server.last.sent).toContainEqual({ type: 'react', message_id: 10, emoji: '👍', on: false });
    act(() => server.emit({ type: 'error', code: 'rate_limited', detail: 'Too many.', retry_after: 2 }));
    expect(within(rowOf('hello')).getByTestId('reaction-error')).toHaveTextContent('You are sending too fast. Try again in 2 s.');
  });

  it('keeps reactions read-only and offers no Reply in an archived room, moderators included', () => {
    const { server } = mount();
    act(() =>
      server.hello({
        you: { ...me, is_staff: true },
        room: { slug: 'general', name: 'General', description: '', is_archived: true, last_seq: 1, last_event: 1 },
        messages: [message(10, 1, { body: 'hello', reactions: [{ emoji: '👍', users: [jun] }] })],
      }),
    );
    expect(within(rowOf('hello')).getByRole('button', { name: '👍 1: Jun' })).toHaveAttribute('aria-disabled', 'true');
    expect(within(rowOf('hello')).queryByTestId('reply-message')).toBeNull();
    expect(within(rowOf('hello')).queryByTestId('react-message')).toBeNull();
    // Moderators may still clean up.
    expect(within(rowOf('hello')).getByTestId('delete-message')).toBeInTheDocument();
  });

  it('ends a reply whose original is deleted meanwhile', () => {
    const { server } = mount();
    act(() => server.hello({ messages: [message(10, 1, { body: 'the question' })] }));
    fireEvent.click(within(rowOf('the question')).getByTestId('reply-message'));
    expect(screen.getByTestId('reply-bar')).toBeInTheDocument();
    act(() => server.emit(live('message.deleted', message(10, 1, { event: 2, deleted: true, body: '' }))));
    expect(screen.queryByTestId('reply-bar')).toBeNull();
  });

  it('says why a reply was refused when its original was deleted', () => {
    const { server, session } = mount();
    act(() => server.hello({ messages: [message(10, 1, { body: 'the question' })] }));
    act(() => session.send('late answer', undefined, { id: 10, seq: 1, author: jun, excerpt: 'the question', deleted: false }));
    act(() => server.emit({ type: 'error', code: 'message_deleted', detail: 'deleted', client_id: 'c1' }));
    expect(screen.getByTestId('send-error')).toHaveTextContent('The message you replied to has been deleted.');
    expect(screen.queryByTestId('retry-send')).toBeNull();
  });
});
