import { describe, expect, it, vi } from 'vitest';

import { change, changes, helloFrame, jun, message, presenceFrame } from '../test/fake-websocket';
import { parseChanges, parseServerFrame } from './protocol';

const parse = (frame: unknown) => parseServerFrame(JSON.stringify(frame));

describe('parseServerFrame: presence', () => {
  it('accepts the new presence frame and fills in a missing list', () => {
    expect(parse(presenceFrame(812, 3, { joined: [change(jun, 810)] }))).toEqual({
      type: 'presence',
      version: 812,
      online_count: 3,
      joined: [change(jun, 810)],
      left: [],
    });
    expect(parse({ type: 'presence', version: 1, online_count: 1, left: [change(jun, 1)] })).toMatchObject({ joined: [] });
  });

  it('refuses the old shape and changes without a version', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(parse({ type: 'presence', event: 'join', user: jun, online_count: 2 })).toBeNull();
    expect(parse({ type: 'presence', version: 2, online_count: 2, joined: [jun] })).toBeNull();
    expect(parse({ type: 'presence', version: '2', online_count: 2, joined: [] })).toBeNull();
  });

  it('reads presence_version from hello, and a hello without one as 0', () => {
    expect(parse(helloFrame({ presence_version: 77 }))).toMatchObject({ presence_version: 77 });
    const { presence_version: _dropped, ...older } = helloFrame();
    expect(parse(older)).toMatchObject({ presence_version: 0 });
    expect(parse(helloFrame({ presence_version: 'x' }))).toBeNull();
  });
});

describe('parseServerFrame: is_staff', () => {
  // A user as an older server sends it: no is_staff.
  const older = { id: 7, display_name: 'Admin ✔', avatar_url: '' };
  const staff = { id: 8, display_name: 'Mod', avatar_url: '', is_staff: true };

  it('reads a user without is_staff as not staff, wherever a user comes', () => {
    const hello = parse(helloFrame({ online: [older], messages: [message(1, 1, { author: older })] }));
    expect(hello).toMatchObject({ online: [{ id: 7, is_staff: false }], messages: [{ author: { id: 7, is_staff: false } }] });
    expect(parse({ type: 'message.new', event: 1, message: message(1, 1, { author: older }) })).toMatchObject({
      message: { author: { display_name: 'Admin ✔', is_staff: false } },
    });
    expect(parse({ type: 'typing', user: older })).toEqual({ type: 'typing', user: { ...older, is_staff: false } });
    expect(parse(presenceFrame(3, 1, { joined: [{ ...older, version: 2 }], left: [{ ...older, version: 1 }] }))).toMatchObject({
      joined: [{ id: 7, is_staff: false }],
      left: [{ id: 7, is_staff: false }],
    });
  });

  it('keeps is_staff: true, and refuses a user whose is_staff is not a boolean', () => {
    expect(parse({ type: 'typing', user: staff })).toEqual({ type: 'typing', user: staff });
    expect(parse({ type: 'ack', client_id: 'c1', message: message(1, 1, { author: staff }) })).toMatchObject({
      message: { author: { is_staff: true } },
    });
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(parse({ type: 'typing', user: { ...older, is_staff: 'true' } })).toBeNull();
    expect(parse({ type: 'typing', user: { ...older, is_staff: 1 } })).toBeNull();
  });

  it('reads a REST changes answer without is_staff as not staff', () => {
    const answer = parseChanges({
      ...changes({ messages: [message(1, 1, { author: older })] }),
      presence: { online: [older, staff], online_count: 2, version: 4 },
      typing: [older],
    });
    expect(answer?.messages[0]?.author.is_staff).toBe(false);
    expect(answer?.presence?.online.map((u) => u.is_staff)).toEqual([false, true]);
    expect(answer?.typing).toEqual([{ ...older, is_staff: false }]);
  });
});

describe('unread and mentions', () => {
  const membership = { room: 'general', read_seq: 5, notify: 'mentions', unread_count: 3, mention_count: 2, mention_seqs: [8, 4, 7, 7] };

  it('reads membership frames and hello memberships, keeping only unread mention seqs, sorted', () => {
    expect(parse({ type: 'membership', membership })).toEqual({
      type: 'membership',
      membership: { ...membership, mention_seqs: [7, 8] },
    });
    expect(parse(helloFrame({ membership }))).toMatchObject({ membership: { mention_seqs: [7, 8], mention_count: 2 } });
    expect(parse({ type: 'membership', membership: { ...membership, notify: 'loud' } })).toMatchObject({ membership: { notify: 'mentions' } });
  });

  it('refuses a malformed membership or alert', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(parse({ type: 'membership', membership: { ...membership, read_seq: -1 } })).toBeNull();
    expect(parse({ type: 'membership', membership: { ...membership, mention_seqs: ['x'] } })).toBeNull();
    expect(parse({ type: 'alert', reason: 'mention', room: { slug: 'general' }, message: message(1, 1) })).toBeNull();
  });

  it('reads an alert, and a message of an older server as mentioning no one', () => {
    const { mentions: _m, mentions_room: _r, ...older } = message(1, 1);
    expect(parse({ type: 'alert', reason: 'watch', room: { slug: 'general', name: 'General' }, message: older })).toMatchObject({
      message: { mentions: [], mentions_room: false },
    });
    expect(parse({ type: 'message.new', event: 1, message: { ...older, mentions: [{ id: 4, display_name: 'Jun', avatar_url: '' }] } })).toMatchObject({
      message: { mentions: [{ id: 4, is_staff: false }] },
    });
  });

  it('keeps the membership a poll carries', () => {
    expect(parseChanges({ ...changes(), membership })?.membership).toEqual({ ...membership, mention_seqs: [7, 8] });
    expect(parseChanges({ ...changes(), membership: { room: 1 } })?.membership).toBeUndefined();
  });
});

describe('parseServerFrame: replies and reactions', () => {
  const reply = { id: 790, seq: 41, author: { id: 2, display_name: 'Jun', avatar_url: '' }, excerpt: 'first line', deleted: false };
  const reactions = [{ emoji: '👍', users: [{ id: 2, display_name: 'Jun', avatar_url: '' }] }];

  it('reads reply_to and reactions, each user with is_staff', () => {
    const frame = parse({ type: 'message.new', event: 1, message: message(1, 1, { reply_to: reply, reactions }) });
    expect(frame).toMatchObject({
      message: {
        reply_to: { id: 790, seq: 41, excerpt: 'first line', deleted: false, author: { id: 2, is_staff: false } },
        reactions: [{ emoji: '👍', users: [{ id: 2, display_name: 'Jun', is_staff: false }] }],
      },
    });
  });

  it('fills in null and [] for a message of an older server, wherever a message comes', () => {
    const { reply_to: _r, reactions: _x, ...older } = message(1, 1);
    expect(parse({ type: 'ack', client_id: 'c1', message: older })).toMatchObject({ message: { reply_to: null, reactions: [] } });
    expect(parse(helloFrame({ messages: [older] }))).toMatchObject({ messages: [{ reply_to: null, reactions: [] }] });
    expect(parseChanges(changes({ messages: [older] }))?.messages[0]).toMatchObject({ reply_to: null, reactions: [] });
    expect(parse({ type: 'message.edited', event: 2, message: { ...older, reply_to: null } })).toMatchObject({
      message: { reply_to: null, reactions: [] },
    });
  });

  it('accepts message.reacted like an edit', () => {
    expect(parse({ type: 'message.reacted', event: 70, message: message(1, 1, { event: 70, reactions }) })).toMatchObject({
      type: 'message.reacted',
      event: 70,
      message: { id: 1, reactions: [{ emoji: '👍' }] },
    });
  });

  it('refuses a malformed reply or reaction', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const bad = (overrides: Record<string, unknown>) => parse({ type: 'message.new', event: 1, message: { ...message(1, 1), ...overrides } });
    expect(bad({ reply_to: { ...reply, excerpt: 5 } })).toBeNull();
    expect(bad({ reply_to: 790 })).toBeNull();
    expect(bad({ reactions: [{ emoji: '👍', users: [{ id: 'x' }] }] })).toBeNull();
    expect(bad({ reactions: { emoji: '👍' } })).toBeNull();
    expect(parse({ type: 'message.reacted', event: 'x', message: message(1, 1) })).toBeNull();
  });
});
