import { t } from './i18n';
import { notifyLevel } from './memberships';
import type { Memberships } from './memberships';
import { tokensToNames } from './mentions';
import type { AlertFrame, Message, NotifyLevel } from './protocol';

/**
 * Desktop notifications for `alert` frames (docs/protocol.md, "Unread, read positions, mentions
 * and notifications"). The browser's `Notification` is injected, so the rules can be tested:
 * nothing for a muted room, nothing for a watched room's ordinary message unless its level is
 * "all", nothing for the room the user is looking at; a click opens the room at the message.
 */

export interface NotificationLike {
  onclick: ((event: Event) => void) | null;
  close(): void;
}

export interface NotificationConstructor {
  new (title: string, options?: NotificationOptions): NotificationLike;
  readonly permission: NotificationPermission;
  requestPermission(): Promise<NotificationPermission>;
}

/** The browser's Notification API, where there is one. */
export function browserNotification(): NotificationConstructor | null {
  return typeof window !== 'undefined' && 'Notification' in window ? window.Notification : null;
}

export type PermissionState = NotificationPermission | 'unsupported';

const permissionListeners = new Set<() => void>();

export function notificationPermission(impl: NotificationConstructor | null = browserNotification()): PermissionState {
  return impl ? impl.permission : 'unsupported';
}

export function subscribeNotificationPermission(listener: () => void): () => void {
  permissionListeners.add(listener);
  return () => permissionListeners.delete(listener);
}

/** Asks the browser; only ever from a click of the user's (browsers refuse it otherwise). */
export async function requestNotificationPermission(impl: NotificationConstructor | null = browserNotification()): Promise<PermissionState> {
  if (!impl) return 'unsupported';
  const answer = await impl.requestPermission();
  for (const listener of [...permissionListeners]) listener();
  return answer;
}

/** How much of the message a notification shows. */
export const BODY_MAX_CHARS = 140;

export function shouldNotify(alert: AlertFrame, notify: NotifyLevel, onScreen: boolean): boolean {
  if (notify === 'muted' || onScreen) return false;
  if (alert.reason === 'watch') return notify === 'all';
  return alert.reason === 'mention' || alert.reason === 'room_mention';
}

export function alertTitle(alert: AlertFrame): string {
  const params = { name: alert.message.author.display_name, room: alert.room.name };
  if (alert.reason === 'mention') return t('notify.mention', params);
  if (alert.reason === 'room_mention') return t('notify.roomMention', params);
  return t('notify.watch', params);
}

/** The text as people read it (mentions as `@Name`) on one line, cut to a glance. */
export function alertBody(message: Message): string {
  const chars = [...tokensToNames(message.body, message.mentions ?? []).replace(/\s+/g, ' ').trim()];
  return chars.length > BODY_MAX_CHARS ? `${chars.slice(0, BODY_MAX_CHARS - 1).join('')}…` : chars.join('');
}

export interface NotifierOptions {
  NotificationImpl: NotificationConstructor | null;
  memberships: Memberships;
  /** The room on screen in this tab, if any. */
  currentRoom: () => string | null;
  pageVisible: () => boolean;
  /** Shows the room at the message. */
  openMessage: (slug: string, messageId: number) => void;
  focusWindow: () => void;
}

/** How many message ids are remembered so one message is never shown twice by this tab. */
const SHOWN_MAX = 200;

export function createNotifier(o: NotifierOptions): (alert: AlertFrame) => void {
  const shown = new Set<number>();
  return (alert) => {
    const impl = o.NotificationImpl;
    if (!impl || impl.permission !== 'granted' || shown.has(alert.message.id)) return;
    const slug = alert.room.slug;
    const onScreen = o.currentRoom() === slug && o.pageVisible();
    if (!shouldNotify(alert, notifyLevel(o.memberships.getState(), slug), onScreen)) return;
    shown.add(alert.message.id);
    if (shown.size > SHOWN_MAX) shown.delete(shown.values().next().value as number);
    // The tag makes the user's other tabs replace this one rather than add theirs.
    const notification = new impl(alertTitle(alert), { body: alertBody(alert.message), tag: `rooms-${alert.message.id}` });
    notification.onclick = () => {
      o.focusWindow();
      o.openMessage(slug, alert.message.id);
      notification.close();
    };
  };
}
