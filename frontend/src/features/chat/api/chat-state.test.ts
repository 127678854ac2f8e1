import { describe, expect, it } from 'vitest';

import { helloFrame, jun, me, message } from '@/test/fake-websocket';
import type { HelloFrame } from '@/lib/protocol';

import { chatReducer, initialChatState, mergeMessages } from './chat-state';

const hello = (o: Record<string, unknown>) => helloFrame(o) as unknown as HelloFrame;

describe('mergeMessages', () => {
  it('keeps the copy that has seen more: a stale catch-up never undoes a delete or an edit', () => {
    const deleted = message(1, 1, { deleted: true, body: '' });
    const edited = message(2, 2, { body: 'v2', edited_at: '2026-11-23T10:05:00Z' });
    const merged = mergeMessages([deleted, edited], [message(1, 1), message(2, 2, { body: 'v1' })]);
    expect(merged.map((m) => [m.deleted, m.body])).toEqual([
      [true, ''],
      [false, 'v2'],
    ]);
  });

  it('sorts by id whatever order the copies came in', () => {
    expect(mergeMessages([message(5, 3)], [message(3, 1), message(4, 2)]).map((m) => m.id)).toEqual([3, 4, 5]);
  });
});

describe('chatReducer', () => {
  it('takes has_more from the first hello only; a catch-up hello speaks of the tail', () => {
    let s = chatReducer(initialChatState(me), { type: 'hello', frame: hello({ messages: [message(10, 1)], has_more: true }) });
    s = chatReducer(s, { type: 'hello', frame: hello({ messages: [message(11, 2)], has_more: false }) });
    expect(s.hasMore).toBe(true);
    expect(s.messages.map((m) => m.id)).toEqual([10, 11]);
  });

  it('ignores edits of messages it never loaded', () => {
    const s = chatReducer(initialChatState(me), { type: 'messages', messages: [message(10, 1)] });
    expect(chatReducer(s, { type: 'updated', message: message(3, 1, { body: 'old edit' }) })).toBe(s);
  });

  it('does not settle a pending message with someone else’s message that reuses its client_id', () => {
    let s = chatReducer(initialChatState(me), {
      type: 'send',
      pending: { clientId: 'c1', body: 'hi', createdAt: '', status: 'pending', error: null },
    });
    s = chatReducer(s, { type: 'messages', messages: [message(4, 1, { author: jun, client_id: 'c1' })] });
    expect(s.pending).toHaveLength(1);
  });

  it('ignores an error for a message that was already acknowledged', () => {
    let s = chatReducer(initialChatState(me), {
      type: 'send',
      pending: { clientId: 'c1', body: 'hi', createdAt: '', status: 'pending', error: null },
    });
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
