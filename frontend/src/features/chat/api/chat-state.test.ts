import { describe, expect, it } from 'vitest';

import { change, changes, helloFrame, jun, me, message, presenceFrame, room } from '@/test/fake-websocket';
import type { HelloFrame, PresenceFrame, PresenceSnapshot, UserRef } from '@/lib/protocol';

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

describe('chatReducer: presence', () => {
  const ara: UserRef = { id: 3, display_name: 'Ara', avatar_url: '', is_staff: false };
  const bo: UserRef = { id: 4, display_name: 'Bo', avatar_url: '', is_staff: false };
  const AT = '2026-11-23T10:00:00.000Z';
  const start = (o: Record<string, unknown> = {}) =>
    chatReducer(initialChatState(me), { type: 'hello', frame: hello({ online: [jun, me], online_count: 2, presence_version: 10, ...o }) });
  const frame = (s: ChatState, f: PresenceFrame) => chatReducer(s, { type: 'presence', frame: f, at: AT });
  const snapshot = (s: ChatState, snap: PresenceSnapshot, announce = true) =>
    chatReducer(s, { type: 'presenceSnapshot', snapshot: snap, announce, at: AT });
  const online = (s: ChatState) => s.online.map((u) => u.id);
  const said = (s: ChatState) => s.notices.map((n) => `${n.event}:${n.user.display_name}`);

  it('takes the list, count and version from hello', () => {
    const s = start();
    expect([online(s), s.onlineCount, s.presenceVersion]).toEqual([[2, 1], 2, 10]);
  });

  it('applies changes newer than hello: the newest arrival first, a notice for each, the count from the frame', () => {
    let s = start();
    s = frame(s, presenceFrame(12, 3, { joined: [change(ara, 11)], left: [change(jun, 12)] }));
    expect(online(s)).toEqual([3, 1]);
    expect(said(s)).toEqual(['join:Ara', 'leave:Jun']);
    expect(s.onlineCount).toBe(3);
    // The list holds no versions: only what a user ref is.
    expect(s.online[0]).toEqual(ara);
  });

  it('ignores changes the hello already holds, yet takes the count of a newer frame', () => {
    let s = start();
    s = frame(s, presenceFrame(11, 2, { joined: [change(ara, 9)], left: [change(jun, 10)] }));
    expect(online(s)).toEqual([2, 1]);
    expect(s.notices).toEqual([]);
    expect(s.onlineCount).toBe(2);
  });

  it('never undoes a newer change of a user with an older one, and an older frame leaves the count alone', () => {
    let s = start();
    s = frame(s, presenceFrame(14, 1, { left: [change(jun, 14)] }));
    // A frame from another server process, overtaken on the way.
    s = frame(s, presenceFrame(13, 2, { joined: [change(jun, 13)] }));
    expect(online(s)).toEqual([1]);
    expect(said(s)).toEqual(['leave:Jun']);
    expect(s.onlineCount).toBe(1);
    expect(s.presenceVersion).toBe(14);
  });

  it('applies one user’s changes once: a repeated frame adds nothing', () => {
    let s = start();
    const f = presenceFrame(11, 3, { joined: [change(ara, 11)] });
    s = frame(frame(s, f), f);
    expect(online(s)).toEqual([3, 2, 1]);
    expect(said(s)).toEqual(['join:Ara']);
  });

  it('never announces yourself, and a leave only for someone listed', () => {
    let s = start({ online: [me], online_count: 1 });
    s = frame(s, presenceFrame(11, 2, { joined: [change(me, 11)], left: [change(bo, 11)] }));
    expect(s.notices).toEqual([]);
    expect(online(s)).toEqual([1]);
    // Bo's leave was applied all the same: an older join for him is no news.
    s = frame(s, presenceFrame(12, 2, { joined: [change(bo, 10)] }));
    expect(online(s)).toEqual([1]);
  });

  it('announces no join for someone already listed (a leave and a return seen as one change)', () => {
    let s = start();
    s = frame(s, presenceFrame(11, 2, { joined: [change(jun, 11)] }));
    expect(s.notices).toEqual([]);
    expect(online(s)).toEqual([2, 1]);
  });

  it('ends the typing notice of someone who left', () => {
    let s = start();
    s = chatReducer(s, { type: 'typing', user: jun, until: 5000 });
    s = frame(s, presenceFrame(11, 1, { left: [change(jun, 11)] }));
    expect(s.typing).toEqual([]);
  });

  it('keeps the list bounded like the server’s, the count exact', () => {
    const many = Array.from({ length: 100 }, (_, i) => ({ id: 100 + i, display_name: `U${i}`, avatar_url: '' }));
    let s = start({ online: many, online_count: 150 });
    s = frame(s, presenceFrame(11, 151, { joined: [change(ara, 11)] }));
    expect(s.online).toHaveLength(100);
    expect(s.online[0]?.id).toBe(3);
    expect(s.onlineCount).toBe(151);
  });

  it('takes a reconnect’s hello whole, even at a lower version (the presence store restarted)', () => {
    let s = start();
    s = frame(s, presenceFrame(20, 3, { joined: [change(ara, 20)] }));
    s = chatReducer(s, { type: 'hello', frame: hello({ online: [me], online_count: 1, presence_version: 2 }) });
    expect([online(s), s.onlineCount, s.presenceVersion]).toEqual([[1], 1, 2]);
    s = frame(s, presenceFrame(3, 2, { joined: [change(ara, 3)] }));
    expect(online(s)).toEqual([3, 1]);
  });

  it('replaces the list with a newer snapshot and announces what changed since the previous one', () => {
    let s = start();
    s = snapshot(s, { online: [ara, me], online_count: 2, version: 15 });
    expect([online(s), s.onlineCount, s.presenceVersion]).toEqual([[3, 1], 2, 15]);
    expect(said(s)).toEqual(['join:Ara', 'leave:Jun']);
    // Not newer: nothing changes.
    const same = snapshot(s, { online: [me], online_count: 1, version: 15 });
    expect(same).toBe(s);
  });

  it('does not announce the first snapshot of a run of polls, nor yourself', () => {
    let s = start({ online: [jun], online_count: 1 });
    s = snapshot(s, { online: [me], online_count: 1, version: 11 }, false);
    expect(online(s)).toEqual([1]);
    expect(s.notices).toEqual([]);
    s = snapshot(s, { online: [ara], online_count: 1, version: 12 });
    expect(said(s)).toEqual(['join:Ara']);
  });

  it('does not guess from lists cut short: no leave when the new one is, no join when the old one was', () => {
    let s = start({ online: [jun, me], online_count: 2 });
    // Jun missing from a list of 2 out of 3: maybe just beyond its end.
    s = snapshot(s, { online: [ara, me], online_count: 3, version: 11 });
    expect(said(s)).toEqual(['join:Ara']);
    // Bo newly in view of a list that was cut short: maybe he only moved up. Ara missing from a
    // complete list did leave.
    s = snapshot(s, { online: [bo, me], online_count: 2, version: 12 });
    expect(said(s)).toEqual(['join:Ara', 'leave:Ara']);
    expect(online(s)).toEqual([4, 1]);
  });

  it('takes a room row’s unversioned online_count only until a versioned count was seen', () => {
    let s = chatReducer(initialChatState(me), { type: 'changes', changes: changes() });
    expect(s.onlineCount).toBe(2);
    s = snapshot(s, { online: [me], online_count: 1, version: 5 });
    s = chatReducer(s, { type: 'changes', changes: changes({ room: room({ online_count: 7 }) }) });
    s = chatReducer(s, { type: 'roomUpdated', event: 1, room: room({ online_count: 8, last_event: 1 }) });
    expect(s.onlineCount).toBe(1);
  });

  it('never shows yourself as typing', () => {
    const s = chatReducer(initialChatState(me), { type: 'typing', user: me, until: 1000 });
    expect(s.typing).toEqual([]);
  });
});

describe('chatReducer: replies and reactions', () => {
  const quote = (m: ReturnType<typeof message>) => ({ id: m.id, seq: m.seq, author: m.author, excerpt: m.body, deleted: false });
  const original = message(10, 1, { body: 'the question' });
  const answer = message(11, 2, { author: me, reply_to: quote(original) });
  const start = (messages = [original, answer], event = 2) =>
    chatReducer(initialChatState(me), { type: 'hello', frame: hello({ messages, event }) });
  const replyOf = (s: ChatState, id = 11) => s.messages.find((m) => m.id === id)?.reply_to;

  it('merges message.reacted by the larger event, keeping the reply and the reactions', () => {
    let s = start();
    const reacted = message(11, 2, { event: 3, author: me, reply_to: quote(original), reactions: [{ emoji: '👍', users: [jun] }] });
    s = chatReducer(s, { type: 'message', event: 3, message: reacted });
    expect(s.messages[1]?.reactions).toEqual([{ emoji: '👍', users: [jun] }]);
    expect(s.messages[1]?.reply_to?.id).toBe(10);
    expect(s.head).toBe(3);
    // An older copy (the post itself, replayed) changes nothing.
    s = chatReducer(s, { type: 'message', event: 2, message: answer });
    expect(s.messages[1]?.reactions).toHaveLength(1);
    // Nor does a catch-up of an older state; a newer one takes the reaction away.
    s = chatReducer(s, { type: 'changes', changes: changes({ event: 3, messages: [answer] }) });
    expect(s.messages[1]?.reactions).toHaveLength(1);
    s = chatReducer(s, { type: 'changes', changes: changes({ event: 4, messages: [{ ...reacted, event: 4, reactions: [] }] }) });
    expect(s.messages[1]?.reactions).toEqual([]);
  });

  it('brings quotes up to date when the original is edited: its first line, at most 140 characters', () => {
    let s = start();
    const long = `${'가'.repeat(150)}\nsecond line`;
    s = chatReducer(s, { type: 'message', event: 3, message: message(10, 1, { event: 3, body: long, edited_at: '2026-11-23T10:05:00Z' }) });
    expect(replyOf(s)?.excerpt).toBe('가'.repeat(140));
    expect(replyOf(s)?.deleted).toBe(false);
  });

  it('shows a quote as deleted when the original is deleted, by frame or by one’s own delete', () => {
    let s = start();
    s = chatReducer(s, { type: 'message', event: 3, message: message(10, 1, { event: 3, deleted: true, body: '' }) });
    expect(replyOf(s)).toMatchObject({ deleted: true, excerpt: '' });

    s = chatReducer(start(), { type: 'removed', id: 10 });
    expect(replyOf(s)).toMatchObject({ deleted: true, excerpt: '' });
    expect(s.messages[0]).toMatchObject({ deleted: true, body: '', reactions: [] });
  });

  it('updates quotes of an original outside the window too, and not from a frame already applied', () => {
    // The original (id 3) is older than the window; its edit still reaches the replies held.
    const old = message(3, 1, { body: 'long ago' });
    let s = start([message(11, 2, { reply_to: quote(old) })], 5);
    s = chatReducer(s, { type: 'message', event: 6, message: message(3, 1, { event: 6, body: 'edited long ago' }) });
    expect(ids(s)).toEqual([11]);
    expect(replyOf(s)?.excerpt).toBe('edited long ago');
    // A repeat of an older frame (event ≤ head) is not news: the quote stays as it is.
    s = chatReducer(s, { type: 'message', event: 4, message: message(3, 1, { event: 4, body: 'stale' }) });
    expect(replyOf(s)?.excerpt).toBe('edited long ago');
  });

  it('updates quotes from the answer to one’s own edit', () => {
    const s = chatReducer(start(), { type: 'edited', message: message(10, 1, { event: 3, body: 'better question' }) });
    expect(replyOf(s)?.excerpt).toBe('better question');
  });

  it('keeps a refused reaction until the next one', () => {
    const failure = { messageId: 11, error: { code: 'invalid_emoji', detail: '', retryAfter: null } };
    let s = chatReducer(start(), { type: 'reactFailed', failure });
    expect(s.reactFailure).toEqual(failure);
    s = chatReducer(s, { type: 'reactFailed', failure: null });
    expect(s.reactFailure).toBeNull();
  });
});
