import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import type { Message } from '@/lib/protocol';
import { me, message } from '@/test/fake-websocket';

import { initialChatState } from '../api/chat-state';
import type { ChatState } from '../api/chat-state';
import type { RoomSession } from '../api/room-session';
import { FOCUS_DISTANCE_MAX, FOCUS_PAGES_MAX, useFocusMessage } from './use-focus-message';
import type { FocusTarget } from './use-focus-message';

const held = (lo: number, hi: number): Message[] => Array.from({ length: Math.max(0, hi - lo + 1) }, (_, i) => message(lo + i, lo + i));

/**
 * What the hook uses of a session, over a room of ids (and seqs) 1…`newest` minus `gaps`; it
 * holds the newest `window`, and pages of `pageSize` are loaded in front of them.
 */
function fakeSession({ newest = 5000, window = 10, pageSize = 50, gaps = [] as number[] } = {}) {
  const room = (lo: number, hi: number) => held(lo, hi).filter((m) => !gaps.includes(m.id));
  let state: ChatState = { ...initialChatState(me), ready: true, messages: room(newest - window + 1, newest), hasMore: true };
  const history = {
    before: vi.fn(async (_slug: string, id: number, limit: number = pageSize) => {
      const lo = Math.max(1, id - limit);
      return { messages: room(lo, id - 1), has_more: lo > 1 };
    }),
    after: vi.fn(async (_slug: string, id: number, limit: number = pageSize) => {
      const hi = Math.min(newest, id + limit);
      return { messages: room(id + 1, hi), has_more: hi < newest };
    }),
  };
  const loadOlderUntil = vi.fn(async (reached: (s: ChatState) => boolean, maxPages: number) => {
    for (let page = 0; page < maxPages && state.hasMore && !reached(state); page++) {
      const first = state.messages[0]?.id ?? newest + 1;
      const lo = Math.max(1, first - pageSize);
      state = { ...state, messages: [...room(lo, first - 1), ...state.messages], hasMore: lo > 1 };
    }
  });
  const session = {
    slug: 'general',
    history,
    loadOlderUntil,
    get state() {
      return state;
    },
  } as unknown as RoomSession;
  return { session, history, loadOlderUntil, state: () => state };
}

function mount(session: RoomSession, focus: FocusTarget | null) {
  return renderHook(({ target }) => useFocusMessage(session, target, true), { initialProps: { target: focus } });
}

describe('useFocusMessage', () => {
  it('marks a message already held without asking anything', async () => {
    const { session, history, loadOlderUntil } = fakeSession();
    const { result } = mount(session, { id: 4995 });
    await waitFor(() => expect(result.current.highlight).toEqual({ id: 4995 }));
    expect(history.before).not.toHaveBeenCalled();
    expect(loadOlderUntil).toHaveBeenCalledTimes(1);
    expect(result.current.context).toBeNull();
  });

  it('pages the timeline back to a message at most FOCUS_DISTANCE_MAX back, judged by its seq', async () => {
    const { session, history, loadOlderUntil, state } = fakeSession();
    // The window starts at 4991: 3992 and the one before it are 1,000 messages back.
    const seq = 4991 - FOCUS_DISTANCE_MAX + 1;
    const { result } = mount(session, { id: seq, seq });
    await waitFor(() => expect(result.current.highlight).toEqual({ id: seq }));
    expect(loadOlderUntil).toHaveBeenCalledWith(expect.any(Function), FOCUS_PAGES_MAX);
    expect(state().messages[0]?.id).toBeLessThan(seq);
    expect(history.before).not.toHaveBeenCalled();
    expect(result.current.context).toBeNull();
  });

  it('opens one further back in the context view at once, leaving the timeline as it was', async () => {
    const { session, history, loadOlderUntil, state } = fakeSession();
    const before = state();
    const seq = 4991 - FOCUS_DISTANCE_MAX;
    const { result } = mount(session, { id: seq, seq });
    await waitFor(() => expect(result.current.context).not.toBeNull());
    const window = result.current.context?.window;
    expect([window?.targetId, window?.messages[0]?.id, window?.messages.at(-1)?.id]).toEqual([seq, seq - 25, seq + 25]);
    expect(loadOlderUntil).not.toHaveBeenCalled();
    expect(state()).toBe(before);
    expect(history.before).toHaveBeenCalledTimes(1);
    expect(result.current.highlight).toBeNull();
    expect(result.current.unreached).toBeNull();
  });

  it('without a seq, reads the message and what came before it to tell, and keeps that read for the view', async () => {
    const { session, history, loadOlderUntil } = fakeSession();
    const { result } = mount(session, { id: 1200 });
    await waitFor(() => expect(result.current.context?.window.targetId).toBe(1200));
    expect(history.before.mock.calls).toEqual([['general', 1201, 26]]);
    expect(history.after.mock.calls).toEqual([['general', 1200, 25]]);
    expect(loadOlderUntil).not.toHaveBeenCalled();
  });

  it('falls back to the context view when the pages run out short of it (a server with smaller pages)', async () => {
    const { session, loadOlderUntil } = fakeSession({ pageSize: 10 });
    const { result } = mount(session, { id: 4500, seq: 4500 });
    await waitFor(() => expect(result.current.context?.window.targetId).toBe(4500));
    expect(loadOlderUntil).toHaveBeenCalledTimes(1);
    expect(result.current.unreached).toBeNull();
  });

  it('says a message is missing (not in the room) or that reading failed', async () => {
    const { session, history } = fakeSession({ gaps: [700] });
    const { result, rerender } = mount(session, { id: 700 });
    await waitFor(() => expect(result.current.unreached).toEqual({ id: 700, reason: 'missing' }));
    expect(history.after).not.toHaveBeenCalled();
    history.before.mockRejectedValueOnce(new Error('offline'));
    rerender({ target: { id: 800 } });
    await waitFor(() => expect(result.current.unreached).toEqual({ id: 800, reason: 'failed' }));
  });

  it('keeps the context view open when the next message cannot be shown, and closes it on request or for the timeline', async () => {
    const { session, history } = fakeSession({ gaps: [700] });
    const { result, rerender } = mount(session, { id: 1200, seq: 1200 });
    await waitFor(() => expect(result.current.context?.serial).toBe(1));
    rerender({ target: { id: 700 } });
    await waitFor(() => expect(result.current.unreached?.reason).toBe('missing'));
    expect(result.current.context?.window.targetId).toBe(1200);
    // The same message opened again is read again: a new view.
    rerender({ target: { id: 1200, seq: 1200 } });
    await waitFor(() => expect(result.current.context?.serial).toBe(2));
    act(() => result.current.closeContext());
    expect(result.current.context).toBeNull();

    rerender({ target: { id: 1200, seq: 1200 } });
    await waitFor(() => expect(result.current.context).not.toBeNull());
    const calls = history.before.mock.calls.length;
    rerender({ target: { id: 4999 } });
    await waitFor(() => expect(result.current.highlight).toEqual({ id: 4999 }));
    expect(result.current.context).toBeNull();
    expect(history.before.mock.calls).toHaveLength(calls);
  });
});
