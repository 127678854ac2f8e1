import { useSyncExternalStore } from 'react';

import { notificationPermission, subscribeNotificationPermission } from '@/lib/notifications';
import type { PermissionState } from '@/lib/notifications';

const read = () => notificationPermission();

/** Whether notifications may be shown: re-renders once the user answered the browser's question. */
export function useNotificationPermission(): PermissionState {
  return useSyncExternalStore(subscribeNotificationPermission, read, read);
}
