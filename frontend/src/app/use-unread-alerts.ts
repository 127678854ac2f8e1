import { useEffect, useRef, useState } from 'react';

import { createMemberships } from '@/lib/memberships';
import type { Memberships } from '@/lib/memberships';
import { browserNotification, createNotifier } from '@/lib/notifications';
import { watchTabTitle } from '@/lib/tab-title';

import { navigate, roomHref } from './router';
import type { Route } from './router';

/** One unread summary per signed-in user: a new one when someone else signs in. */
export function useUserMemberships(userId: number | null): Memberships {
  const [held, setHeld] = useState(() => ({ userId, memberships: createMemberships() }));
  if (held.userId !== userId) {
    const next = { userId, memberships: createMemberships() };
    setHeld(next);
    return next.memberships;
  }
  return held.memberships;
}

/** Opens the room at the message; again when it is already the address (a second click). */
function openMessage(slug: string, messageId: number): void {
  const hash = roomHref(slug, messageId);
  if (window.location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else navigate(hash);
}

/**
 * What the user hears of unread mentions outside the screen: desktop notifications for `alert`
 * frames (by the rules of lib/notifications.ts) and the count in a hidden tab's title.
 */
export function useUnreadAlerts(memberships: Memberships, route: Route, signedIn: boolean): void {
  const currentRoom = useRef<string | null>(null);
  useEffect(() => {
    currentRoom.current = route.name === 'room' ? route.slug : null;
  }, [route]);

  useEffect(() => {
    if (!signedIn) return;
    const notify = createNotifier({
      NotificationImpl: browserNotification(),
      memberships,
      currentRoom: () => currentRoom.current,
      pageVisible: () => document.visibilityState === 'visible',
      openMessage,
      focusWindow: () => window.focus(),
    });
    const offAlerts = memberships.onAlert(notify);
    const offTitle = watchTabTitle(memberships);
    return () => {
      offAlerts();
      offTitle();
    };
  }, [memberships, signedIn]);
}
