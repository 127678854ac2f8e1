import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { ApiError } from '@/lib/api-client';
import type { Message } from '@/lib/protocol';
import { jun, me, message } from '@/test/fake-websocket';

import type { SearchPage, SearchQuery } from '../api/search-api';
import { SearchPanel } from './search-panel';

const page = (results: Message[], overrides: Partial<SearchPage> = {}): SearchPage => ({ results, terms: [], has_more: false, ...overrides });

const rooms = [
  { slug: 'general', name: '일반 대화' },
  { slug: 'tech', name: 'Tech' },
];

function mount(answer: (query: SearchQuery) => Promise<SearchPage>, props: Partial<Parameters<typeof SearchPanel>[0]> = {}) {
  const search = vi.fn(answer);
  const onOpen = vi.fn();
  render(
    <SearchPanel
      api={{ search }}
      rooms={rooms}
      hrefFor={(m) => `#/rooms/${m.room}?message=${m.id}`}
      onOpen={onOpen}
      {...props}
    />,
  );
  return { search, onOpen, box: screen.getByRole('searchbox', { name: props.room ? `Search messages in ${props.room.name}` : 'Search messages in all rooms' }) };
}

const results = () => screen.getAllByTestId('search-result');

describe('SearchPanel', () => {
  it('searches every room on Enter and lists the matches newest first, marked, with author, room and time', async () => {
    const found = [
      message(9, 9, { body: '내일 회의를 합니다', author: jun, room: 'general' }),
      message(4, 4, { body: 'Meeting notes, <@1> please read', author: me, room: 'tech', mentions: [me] }),
    ];
    const { search, box } = mount(async () => page(found, { terms: ['회의', 'meet'] }));
    await userEvent.type(box, '회의 OR meet{Enter}');
    expect(search).toHaveBeenCalledWith({ q: '회의 OR meet', room: undefined });

    expect(await screen.findByRole('status')).toHaveTextContent('2 messages found');
    const [first, second] = results();
    expect(first).toHaveAttribute('href', '#/rooms/general?message=9');
    expect(first).toHaveAccessibleName(/^Jun · 일반 대화 · .+ 내일 회의를 합니다$/);
    expect([...first!.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['회의를']);
    // A mention reads as the name, as in the room; the room is named as the list names it.
    expect(within(second!).getByTestId('search-result-body')).toHaveTextContent('Meeting notes, @Mina please read');
    expect(within(second!).getByTestId('search-result-room')).toHaveTextContent('Tech');
    expect([...second!.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['Meeting']);
  });

  it('says it is searching while it waits, and says so when nothing matches', async () => {
    let answer!: (p: SearchPage) => void;
    const { box } = mount(() => new Promise((resolve) => (answer = resolve)));
    await userEvent.type(box, 'nothing{Enter}');
    expect(screen.getByRole('status')).toHaveTextContent('Searching…');
    await act(async () => answer(page([])));
    expect(screen.getByRole('status')).toHaveTextContent('No messages match.');
    expect(screen.queryByTestId('search-results')).toBeNull();
  });

  it('does not send a blank query', async () => {
    const { search, box } = mount(async () => page([]));
    await userEvent.type(box, '   {Enter}');
    await userEvent.click(screen.getByRole('button', { name: 'Search' }));
    expect(search).not.toHaveBeenCalled();
  });

  it('loads more results before the last one shown, until there are no more', async () => {
    const { search, box } = mount(async ({ before }) =>
      before === undefined
        ? page([message(30, 30), message(29, 29)], { terms: ['message'], has_more: true })
        : page([message(12, 12)], { terms: ['message'], has_more: false }),
    );
    await userEvent.type(box, 'message{Enter}');
    expect(await screen.findByRole('status')).toHaveTextContent('2 messages found so far');
    await userEvent.click(screen.getByRole('button', { name: 'Load more results' }));
    expect(search).toHaveBeenLastCalledWith({ q: 'message', room: undefined, before: 29 });
    expect(await screen.findAllByTestId('search-result')).toHaveLength(3);
    expect(results().map((r) => r.dataset.messageId)).toEqual(['30', '29', '12']);
    expect(screen.getByRole('status')).toHaveTextContent('3 messages found');
    expect(screen.queryByRole('button', { name: 'Load more results' })).toBeNull();
  });

  it('shows the server’s sentence for a refused query, and its own words for a rate limit or no answer', async () => {
    const failures: Record<string, ApiError> = {
      'from:Bob': new ApiError(400, 'invalid_field', 'No one is called “Bob”.'),
      busy: new ApiError(429, 'rate_limited', 'Slow down.', 3),
      down: new ApiError(0, 'network', 'The server could not be reached.'),
      odd: new ApiError(500, 'http_500', 'Internal Server Error'),
    };
    const { box } = mount(async ({ q }) => {
      throw failures[q] ?? new Error(`unexpected query ${q}`);
    });
    const expected: [string, string][] = [
      ['from:Bob', 'No one is called “Bob”.'],
      ['busy', 'Too many searches. Try again in 3 s.'],
      ['down', 'The server could not be reached. Try again.'],
      ['odd', 'Search failed: Internal Server Error'],
    ];
    for (const [q, text] of expected) {
      await userEvent.clear(box);
      await userEvent.type(box, `${q}{Enter}`);
      expect(await screen.findByRole('alert')).toHaveTextContent(text);
    }
    expect(screen.queryByTestId('search-results')).toBeNull();
  });

  it('hands a 401 to whoever ends the session, without an error of its own', async () => {
    const onUnauthorized = vi.fn();
    const { box } = mount(
      async () => {
        throw new ApiError(401, 'not_authenticated', 'Sign in.');
      },
      { onUnauthorized },
    );
    await userEvent.type(box, 'x{Enter}');
    await vi.waitFor(() => expect(onUnauthorized).toHaveBeenCalledTimes(1));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('keeps the answer to the newest query when an older one comes back later', async () => {
    const answers: Record<string, (p: SearchPage) => void> = {};
    const { box } = mount(({ q }) => new Promise((resolve) => (answers[q] = resolve)));
    await userEvent.type(box, 'old{Enter}');
    await userEvent.clear(box);
    await userEvent.type(box, 'new{Enter}');
    await act(async () => answers.new?.(page([message(2, 2, { body: 'the new one' })])));
    await act(async () => answers.old?.(page([message(1, 1, { body: 'the old one' })])));
    expect(results().map((r) => r.dataset.messageId)).toEqual(['2']);
  });

  it('opens a result on click or Enter without following the link, and leaves a modified click to the browser', async () => {
    const { box, onOpen } = mount(async () => page([message(9, 9, { body: 'hello there' })], { terms: ['hello'] }));
    await userEvent.type(box, 'hello{Enter}');
    const link = await screen.findByRole('link', { name: /hello there/ });
    await userEvent.click(link);
    expect(onOpen).toHaveBeenCalledWith(expect.objectContaining({ id: 9 }));
    link.focus();
    await userEvent.keyboard('{Enter}');
    expect(onOpen).toHaveBeenCalledTimes(2);
    const modified = new MouseEvent('click', { bubbles: true, cancelable: true, ctrlKey: true });
    link.dispatchEvent(modified);
    expect(onOpen).toHaveBeenCalledTimes(2);
    expect(modified.defaultPrevented).toBe(false);
  });

  it('clears the search with Escape on the room list, and closes a room’s box with it', async () => {
    const { box } = mount(async () => page([message(9, 9)]));
    await userEvent.type(box, 'message{Enter}');
    expect(await screen.findAllByTestId('search-result')).toHaveLength(1);
    await userEvent.keyboard('{Escape}');
    expect(box).toHaveValue('');
    expect(screen.queryByTestId('search-results')).toBeNull();
  });

  it('searches its room in a room, widens to every room on request, and names rooms only then', async () => {
    const onClose = vi.fn();
    const { search, box } = mount(async ({ room }) => page([message(9, 9, { room: room ?? 'tech' })]), {
      room: { slug: 'general', name: '일반 대화' },
      rooms: [],
      onClose,
      autoFocus: true,
    });
    expect(box).toHaveFocus();
    await userEvent.type(box, 'message{Enter}');
    expect(search).toHaveBeenLastCalledWith({ q: 'message', room: 'general' });
    expect(await screen.findByTestId('search-result')).toBeInTheDocument();
    expect(screen.queryByTestId('search-result-room')).toBeNull();

    await userEvent.click(screen.getByRole('checkbox', { name: 'All rooms' }));
    expect(search).toHaveBeenLastCalledWith({ q: 'message', room: undefined });
    // A room it knows no name for is named by its slug.
    expect(await screen.findByTestId('search-result-room')).toHaveTextContent('tech');

    box.focus();
    await userEvent.keyboard('{Escape}');
    expect(onClose).toHaveBeenCalledTimes(1);
    await userEvent.click(screen.getByRole('button', { name: 'Close search' }));
    expect(onClose).toHaveBeenCalledTimes(2);
  });

  it('holds a query to the server’s length limit', () => {
    const { box } = mount(async () => page([]), { maxLength: 12 });
    expect(box).toHaveAttribute('maxLength', '12');
  });

  it('shows a hostile body as text, with nothing but its marks as elements', async () => {
    const body = '<img src=x onerror=alert(1)> <script>alert(1)</script> [link](javascript:alert(1)) **bold**';
    const { box } = mount(async () => page([message(9, 9, { body })], { terms: ['alert'] }));
    await userEvent.type(box, 'alert{Enter}');
    const shown = await screen.findByTestId('search-result-body');
    expect(shown).toHaveTextContent(body);
    expect(shown.querySelector(':not(mark)')).toBeNull();
    expect([...shown.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['alert', 'alert', 'alert']);
  });
});
