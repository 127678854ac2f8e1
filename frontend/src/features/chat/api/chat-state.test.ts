import { describe, expect, it } from 'vitest';

import { changes, helloFrame, jun, me, message, room } from '@/test/fake-websocket';
import type { HelloFrame } from '@/lib/protocol';

import { chatReducer, hasGap, initialChatState, mergeIntoWindow, mergeMessages, resumeSince } from './chat-state';
import type { ChatState } from './chat-state';

const hello = (o: Record<string, unknown>) => helloFrame(o) as unknown as HelloFrame;
const pendingHi = { clientId: 'c1', body: 'hi', createdAt: '', status: 'pending' as const, error: null };
const ids = (s: ChatState) => s.messages.map((m) => m.id);

describe('mergeMessages', () => {
  it('keeps the copy with the larger event: a stale copy never undoes a delete or an edit', () => {
    const deleted = message(1, 1, { event: 9, deleted: true, body: '' });
    const edited = message(2, 2, { event: 8, body: 'v2', edited_at: '2026-11-23T10:05:00Z' });
    const merged = mergeMessages([deleted, edited], [message(1, 1), message(2, 2, { body: 'v1' })]);
    expect(merged.map((m) => [m.deleted, m.body])).toEqual([
      [true, ''],
      [false, 'v2'],
    ]);
  });

  it('takes a newer copy even when the older one looked further along (an edit after an edit)', () => {
    const first = message(2, 2, { event: 5, body: 'v2', edited_at: '2026-11-23T10:05:00Z' });
    // Clocks are not what orders versions: the event is.
    const second = message(2, 2, { event: 6, body: 'v3', edited_at: '2026-11-23T10:04:59Z' });
    expect(mergeMessages([first], [second])[0]?.body).toBe('v3');
    expect(mergeMessages([second], [first])[0]?.body).toBe('v3');
  });

  it('sorts by id whatever order the copies came in', () => {
    expect(mergeMessages([message(5, 3)], [message(3, 1), message(4, 2)]).map((m) => m.id)).toEqual([3, 4, 5]);
  });
});

describe('mergeIntoWindow', () => {
  it('adds messages newer than the oldest held and leaves older ones to scrolling', () => {
    const held = [message(10, 5), message(12, 7)];
    expect(mergeIntoWindow(held, [message(3, 1, { event: 20 }), message(11, 6), message(13, 8)]).map((m) => m.id)).toEqual([
      10, 11, 12, 13,
    ]);
    expect(mergeIntoWindow([], [message(3, 1)]).map((m) => m.id)).toEqual([3]);
  });
});

describe('chatReducer: room events', () => {
  const start = (messages = [message(10, 1), message(11, 2)], event = 2) =>
    chatReducer(initialChatState(me), { type: 'hello', frame: hello({ messages, event, has_more: true }) });

  it('sets head from hello and resumes after it', () => {
    const s = start();
    expect(s.head).toBe(2);
    expect(resumeSince(s)).toBe(2);
    expect(resumeSince(initialChatState(me))).toBeNull();
  });

  it('applies head + 1 and moves on; ignores what is already applied', () => {
    let s = start();
    s = chatReducer(s, { type: 'message', event: 3, message: message(12, 3) });
    expect([s.head, hasGap(s)]).toEqual([3, false]);
    const again = chatReducer(s, { type: 'message', event: 3, message: message(12, 3) });
    expect(again.head).toBe(3);
    expect(ids(again)).toEqual([10, 11, 12]);
  });

  it('applies a frame beyond head + 1 but keeps head until the hole is filled, then moves over both', () => {
    let s = start();
    s = chatReducer(s, { type: 'message', event: 4, message: message(10, 1, { event: 4, body: 'edited' }) });
    expect(s.messages[0]?.body).toBe('edited');
    expect([s.head, s.ahead, hasGap(s)]).toEqual([2, [4], true]);
    s = chatReducer(s, { type: 'message', event: 3, message: message(12, 3) });
    expect([s.head, s.ahead, hasGap(s)]).toEqual([4, [], false]);
  });

  it('moves head to a catch-up answer’s event and over events seen beyond it', () => {
    let s = start();
    s = chatReducer(s, { type: 'message', event: 6, message: message(13, 4, { event: 6 }) });
    s = chatReducer(s, { type: 'changes', changes: changes({ event: 5, messages: [message(12, 3, { event: 5 })] }) });
    expect([s.head, s.ahead]).toEqual([6, []]);
    expect(ids(s)).toEqual([10, 11, 12, 13]);
    // An answer older than head does not move it back.
    s = chatReducer(s, { type: 'changes', changes: changes({ event: 4, messages: [] }) });
    expect(s.head).toBe(6);
  });

  it('merges a catch-up hello: edits and deletes missed while away replace the held copies', () => {
    let s = start();
    s = chatReducer(s, {
      type: 'hello',
      frame: hello({
        event: 5,
        has_more: false,
        messages: [message(10, 1, { event: 3, body: 'fixed', edited_at: '2026-11-23T10:05:00Z' }), message(11, 2, { event: 4, deleted: true, body: '' }), message(12, 3, { event: 5 })],
      }),
    });
    expect(s.messages.map((m) => [m.id, m.body, m.deleted])).toEqual([
      [10, 'fixed', false],
      [11, '', true],
      [12, 'message 12', false],
    ]);
    expect(s.head).toBe(5);
    // A catch-up speaks of what changed, not of older history.
    expect(s.hasMore).toBe(true);
  });

  it('replaces the window on a resync hello, keeping pending sends, and takes its has_more and event', () => {
    let s = chatReducer(start(), { type: 'send', pending: pendingHi });
    s = chatReducer(s, { type: 'hello', frame: hello({ resync: true, event: 90, has_more: false, messages: [message(50, 40, { event: 88 })] }) });
    expect(ids(s)).toEqual([50]);
    expect(s.pending).toEqual([pendingHi]);
    expect([s.head, s.hasMore]).toEqual([90, false]);
  });

  it('replaces the window on a resync answer from changes, even to a lower event (a reset database)', () => {
    let s = chatReducer(start(), { type: 'message', event: 9, message: message(20, 9) });
    s = chatReducer(s, { type: 'changes', changes: changes({ resync: true, event: 1, has_more: false, messages: [message(1, 1)] }) });
    expect(ids(s)).toEqual([1]);
    expect([s.head, s.ahead, s.hasMore]).toEqual([1, [], false]);
  });

  it('sets the room from room.updated and counts it as an event', () => {
    let s = start();
    s = chatReducer(s, { type: 'roomUpdated', event: 3, room: room({ is_archived: true, last_event: 3 }) });
    expect([s.room?.is_archived, s.head]).toEqual([true, 3]);
    s = chatReducer(s, { type: 'roomUpdated', event: 4, room: room({ is_archived: false, last_event: 4 }) });
    expect([s.room?.is_archived, s.head]).toEqual([false, 4]);
  });

  it('counts an ack as the event of its message', () => {
    let s = chatReducer(start(), { type: 'send', pending: pendingHi });
    s = chatReducer(s, { type: 'ack', clientId: 'c1', message: message(12, 3, { author: me, client_id: 'c1' }) });
    expect([s.head, s.pending]).toEqual([3, []]);
  });

  it('marks a deleted message locally on a 204, and the stale copy of the same event does not bring it back', () => {
    let s = start();
    s = chatReducer(s, { type: 'removed', id: 11 });
    expect(s.messages[1]).toMatchObject({ deleted: true, body: '', event: 2 });
    expect(s.head).toBe(2);
    s = chatReducer(s, { type: 'changes', changes: changes({ event: 2, messages: [message(11, 2)] }) });
    expect(s.messages[1]?.deleted).toBe(true);
    s = chatReducer(s, { type: 'message', event: 3, message: message(11, 2, { event: 3, deleted: true, body: '' }) });
    expect([s.messages[1]?.event, s.head]).toEqual([3, 3]);
  });

  it('applies an edit answer by its event without moving head', () => {
    let s = start();
    s = chatReducer(s, { type: 'edited', message: message(11, 2, { event: 7, body: 'new', edited_at: '2026-11-23T10:05:00Z' }) });
    expect([s.messages[1]?.body, s.head]).toEqual(['new', 2]);
  });
});

describe('chatReducer', () => {
  it('takes has_more from the first hello only; a catch-up hello speaks of the tail', () => {
    let s = chatReducer(initialChatState(me), { type: 'hello', frame: hello({ messages: [message(10, 1)], has_more: true }) });
    s = chatReducer(s, { type: 'hello', frame: hello({ messages: [message(11, 2)], has_more: false }) });
    expect(s.hasMore).toBe(true);
    expect(ids(s)).toEqual([10, 11]);
  });

  it('ignores edits of messages older than the window it holds', () => {
    const s = chatReducer(initialChatState(me), { type: 'message', event: 1, message: message(10, 1) });
    const after = chatReducer(s, { type: 'message', event: 2, message: message(3, 1, { event: 2, body: 'old edit' }) });
    expect(ids(after)).toEqual([10]);
    expect(after.head).toBe(2);
  });

  it('does not settle a pending message with someone else’s message that reuses its client_id', () => {
    let s = chatReducer(initialChatState(me), { type: 'send', pending: pendingHi });
    s = chatReducer(s, { type: 'message', event: 1, message: message(4, 1, { author: jun, client_id: 'c1' }) });
    expect(s.pending).toHaveLength(1);
  });

  it('ignores an error for a message that was already acknowledged', () => {
    let s = chatReducer(initialChatState(me), { type: 'send', pending: pendingHi });
    s = chatReducer(s, { type: 'ack', clientId: 'c1', message: message(4, 1, { author: me, client_id: 'c1' }) });
    const after = chatReducer(s, { type: 'rejected', clientId: 'c1', error: { code: 'rate_limited', detail: '', retryAfter: 1 } });
    expect(after).toBe(s);
    expect(after.messages).toHaveLength(1);
  });

  it('expires typing notices after their time', () => {
    let s = chatReducer(initialChatState(me), { type: 'typing', user: jun, until: 1000 });
    s = chatReducer(s, { type: 'expireTyping', now: 999 });
    expect(s.typing).toHaveLength(1);
    s = chatReducer(s, { type: 'expireTyping', now: 1000 });
    expect(s.typing).toHaveLength(0);
  });
});
