import { describe, expect, it, vi } from 'vitest';

import { message } from '@/test/fake-websocket';

import { markRoomRead, setRoomNotify } from './membership-api';
import { createMemberships, roomCounts, totalMentions } from './memberships';
import type { AlertFrame, Membership } from './protocol';

function membership(overrides: Partial<Membership> = {}): Membership {
  return { room: 'general', read_seq: 10, notify: 'mentions', unread_count: 0, mention_count: 0, mention_seqs: [], ...overrides };
}

const alert = (seq: number, reason: AlertFrame['reason'] = 'mention', slug = 'general'): AlertFrame => ({
  type: 'alert',
  reason,
  room: { slug, name: slug },
  message: message(100 + seq, seq, { room: slug }),
});

describe('memberships', () => {
  it('counts unread from the newest seq known and mentions from the unread mention seqs', () => {
    const m = createMemberships();
    expect(roomCounts(m.getState(), 'general')).toBeNull();
    m.dispatch({ type: 'memberships', memberships: [membership({ unread_count: 3, mention_count: 1, mention_seqs: [12] })] });
    expect(roomCounts(m.getState(), 'general')).toEqual({ unread: 3, mentions: 1 });
    m.dispatch({ type: 'lastSeq', rooms: [{ slug: 'general', last_seq: 20 }] });
    expect(roomCounts(m.getState(), 'general')).toEqual({ unread: 10, mentions: 1 });
    // An older row never takes the count back.
    m.dispatch({ type: 'lastSeq', rooms: [{ slug: 'general', last_seq: 15 }] });
    expect(roomCounts(m.getState(), 'general')?.unread).toBe(10);
  });

  it('never moves the read position back, whatever order frames arrive in', () => {
    const m = createMemberships();
    m.dispatch({ type: 'memberships', memberships: [membership({ read_seq: 20, unread_count: 5 })] });
    m.dispatch({ type: 'memberships', memberships: [membership({ read_seq: 12, unread_count: 13, mention_count: 1, mention_seqs: [15] })] });
    expect(m.getState().rooms.general?.readSeq).toBe(20);
    expect(roomCounts(m.getState(), 'general')).toEqual({ unread: 5, mentions: 0 });
    m.dispatch({ type: 'read', room: 'general', seq: 18 });
    expect(m.getState().rooms.general?.readSeq).toBe(20);
  });

  it('adds a mention from an alert once, not one already read or already counted', () => {
    const m = createMemberships();
    m.dispatch({ type: 'memberships', memberships: [membership({ read_seq: 10, unread_count: 2, mention_count: 1, mention_seqs: [12] })] });
    m.alert(alert(12));
    m.alert(alert(9));
    expect(roomCounts(m.getState(), 'general')).toEqual({ unread: 2, mentions: 1 });
    m.alert(alert(14, 'room_mention'));
    m.alert(alert(14, 'room_mention'));
    expect(roomCounts(m.getState(), 'general')).toEqual({ unread: 4, mentions: 2 });
    // A watched room's message counts as unread, not as a mention.
    m.alert(alert(15, 'watch'));
    expect(roomCounts(m.getState(), 'general')).toEqual({ unread: 5, mentions: 2 });
  });

  it('clears mentions as they are read, the ones the server did not list once read past its snapshot', () => {
    const m = createMemberships();
    const seqs = Array.from({ length: 100 }, (_, i) => 11 + i);
    m.dispatch({ type: 'memberships', memberships: [membership({ read_seq: 10, unread_count: 200, mention_count: 130, mention_seqs: seqs })] });
    expect(roomCounts(m.getState(), 'general')).toEqual({ unread: 200, mentions: 130 });
    m.dispatch({ type: 'read', room: 'general', seq: 60 });
    expect(roomCounts(m.getState(), 'general')?.mentions).toBe(80);
    m.dispatch({ type: 'read', room: 'general', seq: 210 });
    expect(roomCounts(m.getState(), 'general')).toEqual({ unread: 0, mentions: 0 });
  });

  it('keeps mentions newer than a membership snapshot, drops ones the server no longer counts', () => {
    const m = createMemberships();
    m.dispatch({ type: 'memberships', memberships: [membership({ read_seq: 10, unread_count: 5, mention_count: 1, mention_seqs: [12] })] });
    m.alert(alert(20));
    // Sent before message 20 was stored, and after message 12 was edited to mention no one.
    m.dispatch({ type: 'memberships', memberships: [membership({ read_seq: 10, unread_count: 6, mention_count: 0, mention_seqs: [] })] });
    expect(m.getState().rooms.general?.mentionSeqs).toEqual([20]);
  });

  it('totals mentions across rooms, leaving out the one on screen', () => {
    const m = createMemberships();
    m.dispatch({
      type: 'memberships',
      memberships: [
        membership({ unread_count: 1, mention_count: 1, mention_seqs: [11] }),
        membership({ room: 'tech', unread_count: 4, mention_count: 2, mention_seqs: [12, 13] }),
      ],
    });
    expect(totalMentions(m.getState())).toBe(3);
    expect(totalMentions(m.getState(), 'general')).toBe(2);
  });

  it('hands alerts on to listeners after counting them', () => {
    const m = createMemberships();
    const seen: number[] = [];
    const off = m.onAlert((frame) => seen.push(frame.message.seq));
    m.alert(alert(5));
    off();
    m.alert(alert(6));
    expect(seen).toEqual([5]);
  });
});

describe('markRoomRead and setRoomNotify', () => {
  it('read at once, then take the server’s answer', async () => {
    const m = createMemberships();
    m.dispatch({ type: 'memberships', memberships: [membership({ unread_count: 3, mention_count: 1, mention_seqs: [12] })] });
    const update = vi.fn(async () => membership({ read_seq: 13, unread_count: 0 }));
    const done = markRoomRead(m, { update }, 'general', 13);
    expect(roomCounts(m.getState(), 'general')).toEqual({ unread: 0, mentions: 0 });
    await done;
    expect(update).toHaveBeenCalledWith('general', { read_seq: 13 });
  });

  it('puts the level back when the server refuses', async () => {
    const m = createMemberships();
    m.dispatch({ type: 'memberships', memberships: [membership()] });
    const update = vi.fn(async () => {
      throw new Error('down');
    });
    await expect(setRoomNotify(m, { update }, 'general', 'muted')).rejects.toThrow('down');
    expect(m.getState().rooms.general?.notify).toBe('mentions');
  });
});
