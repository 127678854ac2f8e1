import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { jun, message } from '@/test/fake-websocket';

import { createMemberships } from './memberships';
import type { Memberships } from './memberships';
import { alertBody, createNotifier, requestNotificationPermission, subscribeNotificationPermission } from './notifications';
import type { NotificationConstructor } from './notifications';
import type { AlertFrame, Membership, NotifyLevel } from './protocol';
import { watchTabTitle } from './tab-title';

/** A stand-in for the browser's Notification that records what was shown. */
function fakeNotification(permission: NotificationPermission = 'granted') {
  const shown: FakeNotification[] = [];
  class FakeNotification {
    static permission: NotificationPermission = permission;
    static requestPermission = vi.fn(async (): Promise<NotificationPermission> => {
      FakeNotification.permission = 'granted';
      return 'granted';
    });
    onclick: ((event: Event) => void) | null = null;
    closed = false;
    constructor(
      readonly title: string,
      readonly options?: NotificationOptions,
    ) {
      shown.push(this);
    }
    close() {
      this.closed = true;
    }
  }
  return { Impl: FakeNotification as unknown as NotificationConstructor & typeof FakeNotification, shown };
}

function member(slug: string, notify: NotifyLevel): Membership {
  return { room: slug, read_seq: 0, notify, unread_count: 0, mention_count: 0, mention_seqs: [] };
}

const alert = (reason: AlertFrame['reason'], slug = 'general', body = 'hello <@1>'): AlertFrame => ({
  type: 'alert',
  reason,
  room: { slug, name: slug === 'general' ? 'General' : 'Tech' },
  message: message(800, 5, { room: slug, author: jun, body, mentions: [{ id: 1, display_name: 'Mina', avatar_url: '' }] }),
});

interface Situation {
  notify?: NotifyLevel;
  current?: string | null;
  visible?: boolean;
  permission?: NotificationPermission;
}

function setup({ notify = 'mentions', current = null, visible = true, permission = 'granted' }: Situation = {}) {
  const { Impl, shown } = fakeNotification(permission);
  const memberships: Memberships = createMemberships();
  memberships.dispatch({ type: 'memberships', memberships: [member('general', notify)] });
  const openMessage = vi.fn();
  const focusWindow = vi.fn();
  const notify_ = createNotifier({
    NotificationImpl: Impl,
    memberships,
    currentRoom: () => current,
    pageVisible: () => visible,
    openMessage,
    focusWindow,
  });
  memberships.onAlert(notify_);
  return { shown, memberships, openMessage, focusWindow };
}

describe('notifications', () => {
  it('shows a mention with who, where and the text as read, tagged by message', () => {
    const { shown, memberships } = setup();
    memberships.alert(alert('mention'));
    expect(shown).toHaveLength(1);
    expect(shown[0]?.title).toBe('Jun mentioned you in General');
    expect(shown[0]?.options).toEqual({ body: 'hello @Mina', tag: 'rooms-800' });
    // Once per message.
    memberships.alert(alert('mention'));
    expect(shown).toHaveLength(1);
  });

  it('names @room and watched messages differently', () => {
    const a = setup({ notify: 'all' });
    a.memberships.alert(alert('room_mention'));
    expect(a.shown[0]?.title).toBe('Jun mentioned @room in General');
    const b = setup({ notify: 'all' });
    b.memberships.alert(alert('watch'));
    expect(b.shown[0]?.title).toBe('Jun in General');
  });

  it('keeps quiet for a muted room, a watched message below "all", and the room on screen', () => {
    expect(setupAndAlert({ notify: 'muted' }, 'mention')).toBe(0);
    expect(setupAndAlert({ notify: 'mentions' }, 'watch')).toBe(0);
    expect(setupAndAlert({ notify: 'all' }, 'watch')).toBe(1);
    expect(setupAndAlert({ current: 'general' }, 'mention')).toBe(0);
    // The same room in a hidden tab, or another room: shown.
    expect(setupAndAlert({ current: 'general', visible: false }, 'mention')).toBe(1);
    expect(setupAndAlert({ current: 'tech' }, 'mention')).toBe(1);
    expect(setupAndAlert({ permission: 'default' }, 'mention')).toBe(0);
    expect(setupAndAlert({ permission: 'denied' }, 'mention')).toBe(0);
  });

  it('opens the room at the message on a click, and closes', () => {
    const { shown, memberships, openMessage, focusWindow } = setup();
    memberships.alert(alert('mention'));
    shown[0]?.onclick?.(new Event('click'));
    expect(focusWindow).toHaveBeenCalled();
    expect(openMessage).toHaveBeenCalledWith('general', 800);
    expect(shown[0]?.closed).toBe(true);
  });

  it('puts the text on one line', () => {
    expect(alertBody(message(1, 1, { body: ' lunch?\n\n<@2>  ', mentions: [jun] }))).toBe('lunch? @Jun');
  });

  it('cuts a long text', () => {
    const body = alertBody(message(1, 1, { body: 'x'.repeat(500) }));
    expect([...body]).toHaveLength(140);
    expect(body.endsWith('…')).toBe(true);
  });

  it('asks for permission only when told to, and tells who listens', async () => {
    const { Impl } = fakeNotification('default');
    const asked = vi.spyOn(Impl, 'requestPermission');
    const listener = vi.fn();
    const off = subscribeNotificationPermission(listener);
    expect(asked).not.toHaveBeenCalled();
    expect(await requestNotificationPermission(Impl)).toBe('granted');
    expect(listener).toHaveBeenCalled();
    off();
  });
});

function setupAndAlert(options: Situation, reason: AlertFrame['reason']): number {
  const { shown, memberships } = setup(options);
  memberships.alert(alert(reason));
  return shown.length;
}

describe('tab title', () => {
  let hidden = false;
  beforeAll(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
  });
  afterEach(() => {
    hidden = false;
  });
  afterAll(() => {
    // Back to jsdom's own (on the prototype).
    delete (document as { hidden?: boolean }).hidden;
  });

  it('counts unread mentions across rooms while the tab is hidden, and restores the title', () => {
    document.title = 'General · Rooms';
    const memberships = createMemberships();
    const stop = watchTabTitle(memberships);
    memberships.dispatch({ type: 'memberships', memberships: [{ ...member('general', 'mentions'), unread_count: 2, mention_count: 1, mention_seqs: [1] }] });
    expect(document.title).toBe('General · Rooms');
    hidden = true;
    document.dispatchEvent(new Event('visibilitychange'));
    expect(document.title).toBe('(1) General · Rooms');
    memberships.dispatch({ type: 'memberships', memberships: [{ ...member('tech', 'mentions'), unread_count: 1, mention_count: 1, mention_seqs: [1] }] });
    expect(document.title).toBe('(2) General · Rooms');
    hidden = false;
    document.dispatchEvent(new Event('visibilitychange'));
    expect(document.title).toBe('General · Rooms');
    stop();
  });

  it('leaves a title that only looks like a count alone', () => {
    hidden = true;
    document.title = '(3) Ideas · Rooms';
    const stop = watchTabTitle(createMemberships());
    expect(document.title).toBe('(3) Ideas · Rooms');
    stop();
    expect(document.title).toBe('(3) Ideas · Rooms');
  });
});
