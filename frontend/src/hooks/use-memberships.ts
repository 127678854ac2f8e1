import { useSyncExternalStore } from 'react';

import type { Memberships, MembershipsState } from '@/lib/memberships';

/** The user's unread summary, re-rendering when it changes; derive counts with `roomCounts`. */
export function useMemberships(memberships: Memberships): MembershipsState {
  return useSyncExternalStore(memberships.subscribe, memberships.getState, memberships.getState);
}
