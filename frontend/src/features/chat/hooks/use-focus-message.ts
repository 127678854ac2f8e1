import { useEffect, useState } from 'react';

import type { RoomSession } from '../api/room-session';

/** Pages of history loaded to reach a message a notification was opened for. */
const FOCUS_PAGES_MAX = 10;
/** How long that message stays marked. */
const HIGHLIGHT_MS = 2500;

/**
 * A message to show (a notification was opened for it): once the room is loaded, older history
 * is loaded back to it, then it is the one to bring into view and mark for a moment.
 */
export function useFocusMessage(session: RoomSession, focus: { id: number } | null, ready: boolean): { id: number } | null {
  const [highlight, setHighlight] = useState<{ id: number } | null>(null);

  useEffect(() => {
    if (!focus || !ready) return;
    let current = true;
    void session
      .loadOlderUntil((s) => (s.messages[0]?.id ?? 0) <= focus.id, FOCUS_PAGES_MAX)
      .catch(() => undefined)
      .then(() => {
        if (current) setHighlight({ id: focus.id });
      });
    return () => {
      current = false;
    };
  }, [focus, ready, session]);

  useEffect(() => {
    if (!highlight) return;
    const timer = setTimeout(() => setHighlight(null), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [highlight]);

  return highlight;
}
