import { describe, expect, it } from 'vitest';

import { change, changes, me, message, presenceFrame } from '@/test/fake-websocket';

import { chatReducer, initialChatState } from '../api/chat-state';
import { buildTimeline } from './timeline';

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
