import { describe, expect, it } from 'vitest';

import { change, changes, me, message, presenceFrame } from '@/test/fake-websocket';

import { chatReducer, initialChatState } from '../api/chat-state';
import { buildTimeline, messageTimeline } from './timeline';

describe('buildTimeline', () => {
  it('places notices after the message that was newest when they happened, pending last', () => {
    let s = initialChatState(me);
    s = chatReducer(s, { type: 'message', event: 1, message: message(1, 1) });
    const ara = { id: 5, display_name: 'Ara', avatar_url: '' };
    s = chatReducer(s, { type: 'presence', frame: presenceFrame(1, 2, { joined: [change(ara, 1)] }), at: message(1, 1).created_at });
    s = chatReducer(s, { type: 'message', event: 2, message: message(2, 2) });
    s = chatReducer(s, { type: 'send', pending: { clientId: 'c9', body: 'x', createdAt: '', status: 'pending', error: null } });
    expect(buildTimeline(s).filter((i) => i.kind !== 'day').map((i) => i.kind)).toEqual(['message', 'notice', 'message', 'pending']);
  });

  it('keeps the same key for an own message from pending to stored', () => {
    let s = initialChatState(me);
    s = chatReducer(s, { type: 'send', pending: { clientId: 'c1', body: 'hi', createdAt: '', status: 'pending', error: null } });
    const before = buildTimeline(s).at(-1)?.key;
    s = chatReducer(s, { type: 'ack', clientId: 'c1', message: message(3, 1, { client_id: 'c1', author: me }) });
    const after = buildTimeline(s).at(-1);
    expect(after).toMatchObject({ kind: 'message', own: true });
    expect(after?.key).toBe(before);
  });

  it('groups consecutive messages of one author', () => {
    let s = initialChatState(me);
    s = chatReducer(s, { type: 'changes', changes: changes({ messages: [message(1, 1), message(2, 2)] }) });
    const rows = buildTimeline(s).filter((i) => i.kind === 'message');
    expect(rows.map((r) => (r.kind === 'message' ? r.continued : null))).toEqual([false, true]);
  });
});

describe('the "New messages" divider', () => {
  const mine = { id: me.id, display_name: me.display_name, avatar_url: '' };
  const entered = (messages: ReturnType<typeof message>[], readSeq: number, lastSeq: number, hasMore = false) => {
    let s = initialChatState(me);
    s = chatReducer(s, { type: 'changes', changes: changes({ messages, has_more: hasMore }) });
    return chatReducer(s, { type: 'entry', entry: { readSeq, lastSeq } });
  };
  const kinds = (s: ReturnType<typeof initialChatState>) =>
    buildTimeline(s)
      .filter((i) => i.kind !== 'day')
      .map((i) => (i.kind === 'message' ? i.message.seq : i.kind));

  it('goes before the first message from someone else unread at entry, and stays there', () => {
    let s = entered([message(1, 1), message(2, 2, { author: mine }), message(3, 3), message(4, 4)], 1, 4);
    expect(kinds(s)).toEqual([1, 2, 'unread', 3, 4]);
    s = chatReducer(s, { type: 'message', event: 5, message: message(5, 5) });
    expect(kinds(s)).toEqual([1, 2, 'unread', 3, 4, 5]);
  });

  it('is not there when nothing was unread, nor for messages that came later', () => {
    let s = entered([message(1, 1), message(2, 2)], 2, 2);
    s = chatReducer(s, { type: 'message', event: 3, message: message(3, 3) });
    expect(kinds(s)).toEqual([1, 2, 3]);
  });

  it('sits on top when the first unread message is older than the window', () => {
    const s = entered([message(10, 10), message(11, 11)], 3, 11, true);
    expect(kinds(s)).toEqual(['unread', 10, 11]);
  });
});

describe('messageTimeline', () => {
  it('draws stored messages alone (the context view): a day divider, runs of one author grouped, own ones marked', () => {
    const mine = { id: me.id, display_name: me.display_name, avatar_url: '' };
    const items = messageTimeline([message(7, 7), message(8, 8), message(9, 9, { author: mine })], me.id);
    expect(items.map((i) => (i.kind === 'message' ? [i.key, i.continued, i.own] : i.kind))).toEqual([
      'day',
      ['m:7', false, false],
      ['m:8', true, false],
      ['m:9', false, true],
    ]);
  });
});
